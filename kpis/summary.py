"""The yearly summary (目標達成状況): measures (or KPIs) per final mark, per top-level category and fiscal year.

What is counted is the plan's evaluation scheme's ``unit`` (plans.evaluation): each measure's mark, or
each KPI's. Counts are keyed by the scheme's codes in legend order; percentages come from
plans.evaluation.percentages so every output adds up to 100.0 the same way.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from kpis import visibility
from kpis.models import IndicatorValue
from measures.models import MeasureListing, MeasureMark
from plans.evaluation import percentages
from plans.marks import MARK_ORDER, final_mark_expression
from plans.models import Category


@dataclass
class SummaryRow:
    """One row of 目標達成状況: every level of the plan's scheme with its count and share, and the total.

    The web page, the review workbook, the JSON (``as_dict``) and the summary CSV all print these rows,
    every level included even when its count is 0, so the counts always add up to the total.
    """

    category: Category | None  # None = the whole plan
    fiscal_year: int
    counts: dict[str, int] = field(default_factory=lambda: {m.value: 0 for m in MARK_ORDER})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def percent(self) -> dict[str, Decimal]:
        """Each code's share of the row, one decimal, adding up to 100.0 (0.0 everywhere when empty)."""
        return percentages(self.counts)

    def count(self, code: str) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1

    def as_dict(self) -> dict:
        return {
            "category": self.category.path if self.category else None,
            "fy": self.fiscal_year,
            "counts": {**self.counts, "total": self.total},
            "percent": {code: float(share) for code, share in self.percent.items()},
        }


def plan_summary(plan, fiscal_years: list[int] | None = None, *, public_only: bool = False) -> list[SummaryRow]:
    """Rows for every top-level category and fiscal year, then the whole-plan row per year.

    Three queries whatever the plan's size. A measure counts under the top-level category of its
    primary listing (再掲 listings are not counted twice); measures without a mark that year are left out.
    Unit "kpi": each KPI's mark counts instead, under its measure's (or its own category's) top-level
    category. ``public_only`` counts only marks residents may see (public pages and the public JSON).
    """
    scheme = plan.scheme
    years = fiscal_years or plan.fiscal_years
    tops = list(Category.objects.filter(plan=plan, parent__isnull=True).order_by("position"))
    top_by_label = {c.label: c for c in tops}
    measure_top = {
        measure_id: path.split("/")[0]
        for measure_id, path in MeasureListing.objects.filter(measure__plan=plan, is_primary=True).values_list(
            "measure_id", "category__path"
        )
    }

    def new_row(category, fy):
        return SummaryRow(category, fy, dict.fromkeys(scheme.codes, 0))

    rows = {(c.pk, fy): new_row(c, fy) for c in tops for fy in years}
    whole = {fy: new_row(None, fy) for fy in years}
    for top_label, fy, final in unit_marks(plan, scheme.unit, years, public_only, measure_top):
        if not final:
            continue
        top = top_by_label.get(top_label)
        if top is not None:
            rows[(top.pk, fy)].count(final)
        whole[fy].count(final)
    ordered = [rows[(c.pk, fy)] for c in tops for fy in years]
    return ordered + [whole[fy] for fy in years]


TOP_LEVEL_NAME = "施策の柱"


def top_level_name(rows: list[SummaryRow]) -> str:
    """What the plan calls its top-level categories (施策の柱, 基本方針 …): the name they share, else 施策の柱."""
    names = {row.category.level_name for row in rows if row.category is not None}
    return names.pop() if len(names) == 1 and "" not in names else TOP_LEVEL_NAME


def unit_marks(plan, unit: str, years: list[int], public_only: bool, measure_top: dict):
    """(top-level category label, fiscal year, final mark) of every measure, or every KPI (unit "kpi")."""
    if unit == "kpi":
        values = IndicatorValue.objects.filter(indicator__plan=plan, fiscal_year__in=years)
        if public_only:
            values = values.with_publication().filter(actual_public=True)
        values = values.annotate(final_mark=final_mark_expression())
        for measure_id, path, fy, final in values.values_list(
            "indicator__measure_id", "indicator__category__path", "fiscal_year", "final_mark"
        ):
            yield (measure_top.get(measure_id) if measure_id else path.split("/")[0]), fy, final
        return
    marks = (visibility.public_marks() if public_only else MeasureMark.objects).filter(
        measure__plan=plan, fiscal_year__in=years
    )
    marks = marks.annotate(final_mark=final_mark_expression())
    for measure_id, fy, final in marks.values_list("measure_id", "fiscal_year", "final_mark"):
        yield measure_top.get(measure_id), fy, final
