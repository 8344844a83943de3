"""Everything the review workbook shows, read in a fixed number of queries whatever the plan's size."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from kpis.models import Indicator
from kpis.summary import SummaryRow, plan_summary
from measures.models import Measure
from plans.access import is_hq
from plans.models import Category


@dataclass
class ReviewData:
    plan: object
    fiscal_year: int
    categories: dict[int, Category]
    tops: list[Category]
    measures: list[Measure]
    pillar_indicators: dict[int, list[Indicator]]  # top category pk → its numeric targets
    summary: list[SummaryRow]
    legend: dict[str, dict]  # code → {code, symbol, label}, every outcome of the plan's scheme in order
    scoped: bool = False  # a department's export: its own measures only, no plan-wide counts
    listed: dict[int, list[tuple[Measure, object]]] = field(default_factory=dict)  # top pk → (measure, listing)

    @property
    def codes(self) -> list[str]:
        """The plan's levels, best first, then its not-evaluable outcome: every count row, every legend line."""
        return list(self.legend)

    @property
    def counted(self) -> str:
        """The summary's heading, in the plan's words for what it counts: 取組の目標達成状況 (its measures'
        marks), else 取組項目の達成状況, 目標の達成状況 … (as the summary page)."""
        word = self.plan.counted_word
        return "取組の目標達成状況" if word == "取組" else f"{word}の達成状況"

    def words(self, header: str) -> str:
        """A header in the plan's own words: 取組 → its measure_word (取組項目 …), 指標 → its kpi_word (目標 …)."""
        return header.replace("取組", self.plan.measure_word).replace("指標", self.plan.kpi_word)

    @property
    def years(self) -> list[int]:
        return self.plan.fiscal_years

    def shows_results(self, fiscal_year: int) -> bool:
        """Actuals and marks are shown up to the reviewed year; later years show targets only."""
        return fiscal_year <= self.fiscal_year

    def symbol(self, code: str) -> str:
        return self.legend.get(code, {}).get("symbol", "") if code else ""

    def reason(self, mark) -> str:
        """Why a mark (a measure's or a KPI value's) is what it is: an override's reason beside the computed
        mark it replaced, else the engine's explanation."""
        if mark.override:
            computed = self.symbol(mark.computed) or "なし"
            return f"確定評価: {mark.override_reason}（算定結果: {computed}）"
        return mark.explanation

    def top_of(self, category: Category) -> Category:
        while category.parent_id:
            category = self.categories[category.parent_id]
        return category

    def chain(self, category: Category) -> list[Category]:
        """The category and its ancestors, top first."""
        result = [category]
        while result[0].parent_id:
            result.insert(0, self.categories[result[0].parent_id])
        return result


def load_review_data(plan, fiscal_year: int, user=None) -> ReviewData:
    """All the workbook shows; with a non-HQ ``user``, only the measures their departments own."""
    scoped = user is not None and not is_hq(user, plan.municipality_id)
    measures = Measure.objects.visible_to(user) if scoped else Measure.objects.all()
    categories = {c.pk: c for c in Category.objects.filter(plan=plan).order_by("position")}
    tops = [c for c in categories.values() if c.parent_id is None]
    kpis = Indicator.objects.order_by("position").prefetch_related("values")
    measures = list(
        measures.for_plan(plan)
        .with_listing()
        .prefetch_related("sdgs", "schedule", Prefetch("kpis", queryset=kpis))
        .order_by("position")
    )
    pillar_indicators: dict[int, list[Indicator]] = {}
    for indicator in (
        Indicator.objects.filter(plan=plan, category__parent__isnull=True)
        .select_related("introduced_in", "retired_in")
        .prefetch_related("values")
        .order_by("category__position", "position")
    ):
        pillar_indicators.setdefault(indicator.category_id, []).append(indicator)
    data = ReviewData(
        plan=plan,
        fiscal_year=fiscal_year,
        categories=categories,
        tops=tops,
        measures=measures,
        pillar_indicators=pillar_indicators,
        summary=[] if scoped else plan_summary(plan, plan.fiscal_years),
        legend={entry["code"]: entry for entry in plan.legend},
        scoped=scoped,
    )
    for measure in measures:
        for listing in measure.listings.all():
            top = data.top_of(categories[listing.category_id])
            data.listed.setdefault(top.pk, []).append((measure, listing))
    for rows in data.listed.values():
        rows.sort(key=lambda pair: (categories[pair[1].category_id].position, pair[0].position))
    return data
