"""The open-data CSV of a plan: one row per measure × KPI × fiscal year (and per pillar indicator × year).

Column meanings are documented in docs/open-data.md. Actuals and marks appear only for years residents
may see (kpis.visibility); targets always. Read in a fixed number of queries, then written row by row.
"""

import csv
from collections import defaultdict
from collections.abc import Iterator

from django.http import StreamingHttpResponse

from kpis.audit import csv_safe
from kpis.models import Indicator, IndicatorValue
from measures.models import Measure, MeasureDepartment, MeasureListing, MeasureMark
from measures.public import mask
from plans import fiscal
from plans.interchange.exporter import number
from plans.marks import legend_map
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
]
KIND_MEASURE, KIND_CATEGORY = "取組", "分類"
BOM = "\ufeff"


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


class PlanTable:
    """Everything the CSV needs, read up front in eight queries (plan included) whatever the plan's size."""

    def __init__(self, plan):
        self.plan = plan
        self.symbols = {code: entry.get("symbol", "") for code, entry in legend_map(plan.mark_legend).items()}
        self.categories = {c.pk: c for c in Category.objects.filter(plan=plan)}
        self.indicators = list(
            Indicator.objects.filter(plan=plan).select_related("introduced_in", "retired_in").order_by("position", "pk")
        )
        self.values = defaultdict(dict)
        for value in IndicatorValue.objects.filter(indicator__plan=plan).with_publication():
            self.values[value.indicator_id][value.fiscal_year] = mask(value)
        self.measures = list(Measure.objects.for_plan(plan).order_by("position", "pk"))
        self.home = {
            listing.measure_id: listing.category_id
            for listing in MeasureListing.objects.filter(measure__plan=plan, is_primary=True)
        }
        self.owners = defaultdict(list)
        for ownership in MeasureDepartment.objects.filter(measure__plan=plan).select_related("department"):
            self.owners[ownership.measure_id].append(ownership.department.name)
        self.marks = {
            (m.measure_id, m.fiscal_year): m.mark for m in MeasureMark.objects.public().filter(measure__plan=plan)
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
        municipality = self.plan.municipality
        head = [municipality.code, municipality.prefecture, municipality.name, self.plan.slug, self.plan.title]
        kpis_of = defaultdict(list)
        pillar_indicators = []
        for indicator in self.indicators:
            (kpis_of[indicator.measure_id] if indicator.measure_id else pillar_indicators).append(indicator)
        pillar_indicators.sort(key=lambda i: (self.categories[i.category_id].position, i.position))
        for indicator in pillar_indicators:
            owner = [KIND_CATEGORY, *self.category_columns(indicator.category_id), "", "", "", ""]
            yield from self.indicator_rows(head + owner, indicator, measure_id=None)
        for measure in self.measures:
            owner = [
                KIND_MEASURE,
                *self.category_columns(self.home.get(measure.pk)),
                measure.key,
                measure.code,
                measure.name,
                "、".join(self.owners[measure.pk]),
            ]
            for indicator in kpis_of[measure.pk]:
                yield from self.indicator_rows(head + owner, indicator, measure_id=measure.pk)
            if not kpis_of[measure.pk]:  # keep the measure and its marks in the table
                for fy in self.plan.fiscal_years:
                    yield head + owner + [""] * 6 + self.year_columns(fy, None, measure.pk)

    def indicator_rows(self, prefix: list, indicator, measure_id) -> Iterator[list]:
        values = self.values[indicator.pk]
        describe = [
            indicator.name,
            indicator.unit,
            indicator.kind,
            indicator.direction,
            indicator.introduced_in.key if indicator.introduced_in_id else "",
            indicator.retired_in.key if indicator.retired_in_id else "",
        ]
        for fy in sorted(set(self.plan.fiscal_years) | set(values)):
            yield prefix + describe + self.year_columns(fy, values.get(fy), measure_id)

    def year_columns(self, fy: int, value, measure_id) -> list:
        measure_mark = self.marks.get((measure_id, fy), "") if measure_id else ""
        kpi_mark = value.mark if value else ""
        return [
            fy,
            fiscal.wareki(fy),
            value.target_text if value else "",
            number(value.target_value) if value and value.target_value is not None else "",
            value.actual_text if value else "",
            number(value.actual_value) if value and value.actual_value is not None else "",
            kpi_mark,
            self.symbols.get(kpi_mark, ""),
            measure_mark,
            self.symbols.get(measure_mark, ""),
        ]


def csv_response(plan) -> StreamingHttpResponse:
    """The plan's CSV, UTF-8 with a BOM (so Excel reads it as UTF-8), streamed line by line."""
    table = PlanTable(plan)
    writer = csv.writer(_Echo())

    def lines():
        yield BOM + writer.writerow(COLUMNS)
        for row in table.rows():
            # Numbers are written as numbers; only text can carry a spreadsheet formula.
            yield writer.writerow([cell if isinstance(cell, int | float) else csv_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan.municipality.code}-{plan.slug}.csv"'
    return response
