"""The yearly summary (目標達成状況): measures per final mark, per top-level category and fiscal year."""

from dataclasses import dataclass, field

from measures.models import MeasureListing, MeasureMark
from plans.marks import MARK_ORDER
from plans.models import Category


@dataclass
class SummaryRow:
    category: Category | None  # None = the whole plan
    fiscal_year: int
    counts: dict[str, int] = field(default_factory=lambda: {m.value: 0 for m in MARK_ORDER})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict:
        return {
            "category": self.category.path if self.category else None,
            "fy": self.fiscal_year,
            "counts": {**self.counts, "total": self.total},
        }


def plan_summary(plan, fiscal_years: list[int] | None = None) -> list[SummaryRow]:
    """Rows for every top-level category and fiscal year, then the whole-plan row per year.

    Three queries whatever the plan's size. A measure counts under the top-level category of its
    primary listing (再掲 listings are not counted twice); measures without a mark that year are left out.
    """
    years = fiscal_years or plan.fiscal_years
    tops = list(Category.objects.filter(plan=plan, parent__isnull=True).order_by("position"))
    top_by_label = {c.label: c for c in tops}
    measure_top = {
        measure_id: path.split("/")[0]
        for measure_id, path in MeasureListing.objects.filter(measure__plan=plan, is_primary=True).values_list(
            "measure_id", "category__path"
        )
    }
    rows = {(c.pk, fy): SummaryRow(c, fy) for c in tops for fy in years}
    whole = {fy: SummaryRow(None, fy) for fy in years}
    marks = MeasureMark.objects.filter(measure__plan=plan, fiscal_year__in=years)
    for measure_id, fy, computed, override in marks.values_list("measure_id", "fiscal_year", "computed", "override"):
        final = override or computed
        if not final:
            continue
        top = top_by_label.get(measure_top.get(measure_id))
        if top is not None:
            rows[(top.pk, fy)].counts[final] += 1
        whole[fy].counts[final] += 1
    ordered = [rows[(c.pk, fy)] for c in tops for fy in years]
    return ordered + [whole[fy] for fy in years]
