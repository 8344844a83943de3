"""Plan-page filters: plain GET parameters, so every filtered view has a shareable URL and needs no JavaScript."""

from django.db.models import Q

from kpis import visibility
from kpis.models import IndicatorValue
from measures.models import MeasureStage, SdgGoal
from plans.marks import final_mark_expression
from plans.models import Department


class MeasureFilter:
    """Parses the plan page's GET parameters and offers the choices its form shows.

    The choices cost three queries (departments, SDGs goals and stages in use) whatever the plan's size.
    """

    def __init__(self, plan, params, categories):
        self.plan = plan
        self.params = params
        self.categories = categories
        self.category = params.get("category", "")
        self.department = self._int(params.get("department"))
        self.sdg = self._int(params.get("sdg"))
        # A code of the plan's own legend (↗ → ↘ － codes, or its scheme's: a, b, c, d …); anything else is ignored.
        self.mark = params.get("mark", "") if params.get("mark", "") in plan.scheme.codes else ""
        self.fy = self._int(params.get("fy"))
        if self.fy not in plan.fiscal_years:
            self.fy = plan.fiscal_years[0] if plan.fiscal_years else None
        self.stage = self._int(params.get("stage"))
        self.new = params.get("new", "") == "1"
        self.q = params.get("q", "").strip()

    @staticmethod
    def _int(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    @property
    def active(self) -> bool:
        return any([self.category, self.department, self.sdg, self.mark, self.stage, self.new, self.q])

    def department_choices(self) -> list[tuple[int, str]]:
        """(pk, name) of the departments that own measures of this plan, in name order."""
        return list(
            Department.objects.filter(ownerships__measure__plan=self.plan)
            .distinct()
            .order_by("name")
            .values_list("pk", "name")
        )

    def sdg_choices(self) -> list[tuple[int, str]]:
        """(number, name) of the SDGs goals the plan's measures name."""
        return list(
            SdgGoal.objects.filter(measures__plan=self.plan).distinct().order_by("number").values_list("number", "name")
        )

    def stage_choices(self) -> list[tuple[int, str]]:
        """(stage, label) for the lifecycle stages the plan's measures use; labels from the plan's legend."""
        labels = {entry.get("stage"): entry.get("label", "") for entry in self.plan.stage_legend or []}
        # order_by(): the default ordering would join the measures and plans into the DISTINCT.
        used = (
            MeasureStage.objects.filter(measure__plan=self.plan).values_list("stage", flat=True).order_by().distinct()
        )
        return [(stage, labels.get(stage, "")) for stage in sorted(set(used))]

    def marked_measures(self):
        """Ids of the measures with the chosen mark in the chosen year: their own mark, or, when the plan
        marks each KPI (scheme unit "kpi"), a KPI with that mark. Only marks residents may see: filtering
        must not reveal an unpublished year's marks."""
        if self.plan.scheme.unit == "kpi":
            values = (
                IndicatorValue.objects.filter(indicator__plan=self.plan, indicator__measure__isnull=False)
                .filter(fiscal_year=self.fy)
                .with_publication()
                .filter(actual_public=True)
                .alias(final_mark=final_mark_expression())
                .filter(final_mark=self.mark)
            )
            return values.values("indicator__measure_id")
        marks = (
            visibility.public_marks()
            .filter(fiscal_year=self.fy)
            .alias(final_mark=final_mark_expression())
            .filter(final_mark=self.mark)
        )
        return marks.values("measure_id")

    def apply(self, queryset):
        if self.category:
            queryset = queryset.filter(
                Q(listings__category__path=self.category) | Q(listings__category__path__startswith=self.category + "/")
            )
        if self.department:
            queryset = queryset.filter(ownerships__department_id=self.department)
        if self.sdg:
            queryset = queryset.filter(sdgs__number=self.sdg)
        if self.mark and self.fy:
            queryset = queryset.filter(pk__in=self.marked_measures())
        if self.stage:
            queryset = queryset.filter(stages__stage=self.stage)
        if self.new:
            queryset = queryset.filter(is_new=True)
        if self.q:
            queryset = queryset.filter(
                Q(name__icontains=self.q) | Q(overview__icontains=self.q) | Q(code__icontains=self.q)
            )
        return queryset.distinct()
