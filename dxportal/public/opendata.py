"""The open-data CSV of a plan: one row per measure × KPI × fiscal year (and per pillar indicator × year).

Column meanings are documented in docs/open-data.md. Actuals and marks appear only for years residents
may see (kpis.visibility); targets always. Read in a fixed number of queries, then written row by row.
"""

import csv
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

from django.http import StreamingHttpResponse

from kpis import visibility
from kpis.formulas import csv_safe
from kpis.interchange.exporter import number
from kpis.models import Indicator, IndicatorValue
from kpis.summary import plan_summary
from measures.models import Measure, MeasureDepartment, MeasureListing
from plans import fiscal
from plans.marks import final_mark_expression
from plans.models import Category

COLUMNS = [
    "全国地方公共団体コード",
    "都道府県名",
    "市区町村名",
    "計画ID",
    "計画名",
    "区分",
    "分類パス",
    "分類名",
    "取組ID",
    "取組番号",
    "取組名",
    "担当部署",
    "指標名",
    "単位",
    "指標の種類",
    "方向",
    "設定した改定",
    "見直した改定",
    "年度",
    "年度（和暦）",
    "目標",
    "目標値",
    "実績",
    "実績値",
    "指標の評価",
    "指標の評価記号",
    "取組の評価",
    "取組の評価記号",
    # Added after the first release at the end, so that the columns above keep their places.
    "指標番号",
    "計画期間後の目標",
    "指標の継続先",
    "指標の継続先の計画ID",
    "取組の継続先",
    "取組の継続先の計画ID",
]
KIND_MEASURE, KIND_CATEGORY = "取組", "分類"
BOM = "\ufeff"
CHUNK_LINES = 500


class Value(NamedTuple):
    """What the CSV shows of an indicator's value in a year."""

    target_text: str
    target_value: Decimal | None
    actual_text: str
    actual_value: Decimal | None
    mark: str


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


class PlanTable:
    """Everything the CSV needs, read up front in eight queries (plan included) whatever the plan's size."""

    def __init__(self, plan):
        self.plan = plan
        # Cells are made formula-safe (csv_safe) where they are built, once per text rather than per row.
        self.symbols = {entry["code"]: csv_safe(entry["symbol"]) for entry in plan.legend}
        self.categories = {c.pk: c for c in Category.objects.filter(plan=plan)}
        self.indicators = list(
            Indicator.objects.filter(plan=plan).select_related("introduced_in", "retired_in").order_by("position", "pk")
        )
        self.values = defaultdict(dict)
        rows = (
            IndicatorValue.objects.filter(indicator__plan=plan)
            .with_publication()
            .annotate(final_mark=final_mark_expression())
            .values_list(
                "indicator_id",
                "fiscal_year",
                "target_text",
                "target_value",
                "actual_text",
                "actual_value",
                "final_mark",
                "actual_public",
            )
            .order_by()
        )
        for indicator_id, fy, target_text, target_value, actual_text, actual_value, mark, public in rows:
            # Plain tuples rather than model instances; unpublished years blanked as kpis.visibility.mask does.
            if not public:
                actual_text, actual_value, mark = "", None, ""
            self.values[indicator_id][fy] = Value(target_text, target_value, actual_text, actual_value, mark)
        self.measures = list(
            Measure.objects.for_plan(plan)
            .order_by("position", "pk")
            .values_list("pk", "key", "code", "name", "continues_in", "continues_in_plan")
        )
        self.home = dict(
            MeasureListing.objects.filter(measure__plan=plan, is_primary=True).values_list("measure_id", "category_id")
        )
        self.owners = defaultdict(list)
        for measure_id, name in MeasureDepartment.objects.filter(measure__plan=plan).values_list(
            "measure_id", "department__name"
        ):
            self.owners[measure_id].append(name)
        self.marks = {
            (measure_id, fy): mark
            for measure_id, fy, mark in visibility.public_marks()
            .filter(measure__plan=plan)
            .annotate(final_mark=final_mark_expression())
            .values_list("measure_id", "fiscal_year", "final_mark")
            .order_by()
        }

    def category_columns(self, category_id) -> list[str]:
        """The category's path (1/(2)) and its names from the top, joined by ' > '."""
        names, category = [], self.categories.get(category_id)
        path = category.path if category else ""
        while category is not None:
            names.append(category.name)
            category = self.categories.get(category.parent_id)
        return [path, " > ".join(reversed(names))]

    def rows(self) -> Iterator[list]:
        """The table's rows, every text cell already formula-safe."""
        municipality = self.plan.municipality
        head = [municipality.code, municipality.prefecture, municipality.name, self.plan.slug, self.plan.title]
        head = [csv_safe(cell) for cell in head]
        kpis_of = defaultdict(list)
        pillar_indicators = []
        for indicator in self.indicators:
            (kpis_of[indicator.measure_id] if indicator.measure_id else pillar_indicators).append(indicator)
        pillar_indicators.sort(key=lambda i: (self.categories[i.category_id].position, i.position))
        for indicator in pillar_indicators:
            owner = [csv_safe(cell) for cell in [KIND_CATEGORY, *self.category_columns(indicator.category_id)]]
            owner += ["", "", "", ""]
            yield from self.indicator_rows(head + owner, indicator, measure_id=None, measure_tail=["", ""])
        for pk, key, code, name, continues_in, continues_in_plan in self.measures:
            owner = [
                KIND_MEASURE,
                *self.category_columns(self.home.get(pk)),
                key,
                code,
                name,
                "、".join(self.owners[pk]),
            ]
            owner = [csv_safe(cell) for cell in owner]
            measure_tail = [csv_safe(continues_in), csv_safe(continues_in_plan)]
            for indicator in kpis_of[pk]:
                yield from self.indicator_rows(head + owner, indicator, measure_id=pk, measure_tail=measure_tail)
            if not kpis_of[pk]:  # keep the measure and its marks in the table
                for fy in self.plan.fiscal_years:
                    yield head + owner + [""] * 6 + self.year_columns(fy, None, pk) + [""] * 4 + measure_tail

    def indicator_rows(self, prefix: list, indicator, measure_id, measure_tail: list) -> Iterator[list]:
        values = self.values[indicator.pk]
        describe = [
            indicator.name,
            indicator.unit,
            indicator.kind,
            indicator.direction,
            indicator.introduced_in.key if indicator.introduced_in_id else "",
            indicator.retired_in.key if indicator.retired_in_id else "",
        ]
        describe = [csv_safe(cell) for cell in describe]
        tail = [indicator.number, indicator.target_after_period, indicator.continues_in, indicator.continues_in_plan]
        tail = [csv_safe(cell) for cell in tail] + measure_tail
        for fy in sorted(set(self.plan.fiscal_years) | set(values)):
            yield prefix + describe + self.year_columns(fy, values.get(fy), measure_id) + tail

    def year_columns(self, fy: int, value, measure_id) -> list:
        measure_mark = self.marks.get((measure_id, fy), "") if measure_id else ""
        kpi_mark = value.mark if value else ""
        return [
            fy,
            fiscal.wareki(fy),
            csv_safe(value.target_text) if value else "",
            number(value.target_value) if value and value.target_value is not None else "",
            csv_safe(value.actual_text) if value else "",
            number(value.actual_value) if value and value.actual_value is not None else "",
            kpi_mark,
            self.symbols.get(kpi_mark, ""),
            measure_mark,
            self.symbols.get(measure_mark, ""),
        ]


def csv_response(plan) -> StreamingHttpResponse:
    """The plan's CSV, UTF-8 with a BOM (so Excel reads it as UTF-8), streamed line by line."""
    return streamed_csv(COLUMNS, PlanTable(plan).rows(), f"{plan.municipality.code}-{plan.slug}.csv")


def streamed_csv(columns: list[str], rows: Iterator[list], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        # Numbers are written as numbers; the text cells are formula-safe already (where rows are built).
        # Chunks of many lines: one write per line would cost a system call each behind gunicorn.
        chunk = [BOM + writer.writerow(columns)]
        for row in rows:
            chunk.append(writer.writerow(row))
            if len(chunk) >= CHUNK_LINES:
                yield "".join(chunk)
                chunk = []
        yield "".join(chunk)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


SUMMARY_COLUMNS = [
    "全国地方公共団体コード",
    "都道府県名",
    "市区町村名",
    "計画ID",
    "計画名",
    "年度",
    "年度（和暦）",
    "分類パス",
    "分類名",
    "集計の対象",
    "評価",
    "評価記号",
    "評価の説明",
    "件数",
    "合計",
    "割合（％）",
]
WHOLE_PLAN = "計画全体"


def summary_rows(plan) -> Iterator[list]:
    """目標達成状況 as published: per top-level category (then the whole plan) and fiscal year, one row per
    level of the plan's scheme with its count, the row's total and its share (kpis.summary, as on the page)."""
    municipality = plan.municipality
    head = [csv_safe(cell) for cell in (municipality.code, municipality.prefecture, municipality.name)]
    head += [csv_safe(plan.slug), csv_safe(plan.title)]
    counted = "指標" if plan.scheme.unit == "kpi" else "取組"
    legend = [[entry["code"], csv_safe(entry["symbol"]), csv_safe(entry["label"])] for entry in plan.legend]
    rows = sorted(plan_summary(plan, public_only=True), key=lambda row: row.fiscal_year)  # stable: tops, then all
    for row in rows:
        where = [csv_safe(row.category.path), csv_safe(row.category.name)] if row.category else ["", WHOLE_PLAN]
        percent = row.percent
        for code, symbol, label in legend:
            year = [row.fiscal_year, fiscal.wareki(row.fiscal_year)]
            share = percent[code] if row.total else ""
            yield head + year + where + [counted, code, symbol, label, row.counts.get(code, 0), row.total, share]


def summary_csv_response(plan) -> StreamingHttpResponse:
    """The plan's 目標達成状況 as CSV (docs/open-data.md, The summary CSV)."""
    return streamed_csv(SUMMARY_COLUMNS, summary_rows(plan), f"{plan.municipality.code}-{plan.slug}-summary.csv")
