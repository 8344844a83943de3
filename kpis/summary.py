"""The yearly summary (目標達成状況): measures per final mark, per top-level category and fiscal year."""

from dataclasses import dataclass, field

from kpis import visibility
from measures.models import MeasureListing, MeasureMark
from plans.marks import MARK_ORDER, final_mark_expression
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


def plan_summary(plan, fiscal_years: list[int] | None = None, *, public_only: bool = False) -> list[SummaryRow]:
    """Rows for every top-level category and fiscal year, then the whole-plan row per year.

    Three queries whatever the plan's size. A measure counts under the top-level category of its
    primary listing (再掲 listings are not counted twice); measures without a mark that year are left out.
    ``public_only`` counts only marks residents may see (public pages and the public JSON).
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
    marks = (visibility.public_marks() if public_only else MeasureMark.objects).filter(
        measure__plan=plan, fiscal_year__in=years
    )
    marks = marks.annotate(final_mark=final_mark_expression())
    for measure_id, fy, final in marks.values_list("measure_id", "fiscal_year", "final_mark"):
        if not final:
            continue
        top = top_by_label.get(measure_top.get(measure_id))
        if top is not None:
            rows[(top.pk, fy)].counts[final] += 1
        whole[fy].counts[final] += 1
    ordered = [rows[(c.pk, fy)] for c in tops for fy in years]
    return ordered + [whole[fy] for fy in years]


CHART_WIDTH, CHART_ROW, CHART_LABEL = 640, 36, 40


def summary_chart(rows: list[SummaryRow]) -> dict:
    """Geometry of the stacked bar chart (one bar per top-level category) as SVG attributes.

    SVG attributes rather than inline styles, so the page works under a Content-Security-Policy that
    forbids inline style. The numbers are the same as the table's.
    """
    bars = [row for row in rows if row.category is not None]
    top = max([row.total for row in bars] + [1])
    scale = (CHART_WIDTH - CHART_LABEL - 8) / top
    chart_rows = []
    for index, row in enumerate(bars):
        x, segments = CHART_LABEL, []
        for mark in MARK_ORDER:
            n = row.counts[mark.value]
            if n:
                width = n * scale
                segments.append(
                    {
                        "code": mark.value,
                        "n": n,
                        "x": round(x, 1),
                        "width": round(width, 1),
                        "text_x": round(x + 3, 1),
                        "labelled": width >= 30,  # a label only where it fits; the table has every number
                    }
                )
                x += width
        chart_rows.append({"row": row, "y": index * CHART_ROW, "segments": segments})
    bar = CHART_ROW - 8
    return {
        "width": CHART_WIDTH,
        "height": max(len(bars), 1) * CHART_ROW,
        "rows": chart_rows,
        "bar": bar,
        "text_y": round(2 + bar * 0.72, 1),
    }
