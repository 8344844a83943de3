"""Plan-page filters: plain GET parameters, so every filtered view has a shareable URL."""

from django.db.models import Q

from measures.models import MeasureMark
from plans.marks import Mark


class MeasureFilter:
    def __init__(self, plan, params, categories):
        self.plan = plan
        self.params = params
        self.categories = categories
        self.category = params.get("category", "")
        self.department = params.get("department", "")
        self.sdg = params.get("sdg", "")
        self.mark = params.get("mark", "")
        self.fy = self._int(params.get("fy")) or (plan.fiscal_years[0] if plan.fiscal_years else None)
        self.stage = params.get("stage", "")
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

    def apply(self, queryset):
        if self.category:
            queryset = queryset.filter(
                Q(listings__category__path=self.category) | Q(listings__category__path__startswith=self.category + "/")
            )
        if self._int(self.department):
            queryset = queryset.filter(ownerships__department_id=self._int(self.department))
        if self._int(self.sdg):
            queryset = queryset.filter(sdgs__number=self._int(self.sdg))
        if self.mark in Mark.values and self.fy:
            marks = MeasureMark.objects.filter(fiscal_year=self.fy).filter(
                Q(override=self.mark) | Q(override="", computed=self.mark)
            )
            queryset = queryset.filter(pk__in=marks.values("measure_id"))
        if self._int(self.stage):
            queryset = queryset.filter(stages__stage=self._int(self.stage))
        if self.new:
            queryset = queryset.filter(is_new=True)
        if self.q:
            queryset = queryset.filter(
                Q(name__icontains=self.q) | Q(overview__icontains=self.q) | Q(code__icontains=self.q)
            )
        return queryset.distinct()
