from django.contrib import admin
from django.db.models import Q

from dxportal.staff.admin.kpis import IndicatorInline, LockedYearFormSet, MarkColumns, PlanMarksForm, mark_filter
from dxportal.staff.scope import ReferenceDataAdmin, RoleScopedAdmin, ScopedInlineMixin
from kpis.models import PlanYear
from kpis.services import recompute_plan_marks
from kpis.workflow import year_status
from measures.access import measure_scope
from measures.models import (
    Measure,
    MeasureDepartment,
    MeasureListing,
    MeasureMark,
    MeasureStage,
    PriorityArea,
    ScheduleEntry,
    SdgGoal,
)


class ListingInline(ScopedInlineMixin, admin.TabularInline):
    model = MeasureListing
    extra = 0
    autocomplete_fields = ("category",)


class OwnershipInline(ScopedInlineMixin, admin.TabularInline):
    model = MeasureDepartment
    extra = 0
    autocomplete_fields = ("department",)


class StageInline(ScopedInlineMixin, admin.TabularInline):
    model = MeasureStage
    extra = 0


class ScheduleInline(ScopedInlineMixin, admin.TabularInline):
    model = ScheduleEntry
    extra = 0


class MarkInline(MarkColumns, ScopedInlineMixin, admin.TabularInline):
    model = MeasureMark
    formset = LockedYearFormSet  # a locked year's mark changes only through a correction
    extra = 0
    fields = ("fiscal_year", "computed_mark", "explanation", "override", "override_reason")
    readonly_fields = ("computed_mark", "explanation")


@admin.register(Measure)
class MeasureAdmin(RoleScopedAdmin):
    """Definitions are HQ's; staff see their departments' measures read-only (they update values)."""

    list_display = ("code", "name", "plan", "is_new", "is_managed", "departments_text")
    list_display_links = ("code", "name")
    list_filter = ("plan__municipality", "plan", "is_new", "is_managed", "sdgs", "tags")
    list_select_related = ("plan__municipality",)
    search_fields = ("key", "code", "name", "overview", "departments_text")
    autocomplete_fields = ("plan",)
    filter_horizontal = ("sdgs", "tags")
    inlines = [ListingInline, OwnershipInline, StageInline, ScheduleInline, IndicatorInline, MarkInline]
    scope = staticmethod(measure_scope)
    fieldsets = (
        (None, {"fields": ("plan", "key", "code", "name", "position", "is_new", "is_managed")}),
        (
            "内容",
            {
                "fields": (
                    "overview",
                    "background",
                    "started_fy",
                    "target_state",
                    "direction",
                    "expected_effects",
                    "national_policies",
                    "related_plans",
                    "notes",
                    "continues_in",
                    "continues_in_plan",
                )
            },
        ),
        ("担当課・分類", {"fields": ("departments_text", "departments_open_ended", "sdgs", "tags")}),
        ("出典", {"fields": ("source_document", "source_lines", "uncertain"), "classes": ("collapse",)}),
    )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if hasattr(instance, "plan_id") and not instance.plan_id:
                instance.plan = form.instance.plan  # KPIs added inline belong to the measure's plan
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        # Marks are derived from KPI values: recompute after any edit so no page shows a stale mark.
        super().save_related(request, form, formsets, change)
        recompute_plan_marks(form.instance.plan)


@admin.register(MeasureMark)
class MeasureMarkAdmin(MarkColumns, RoleScopedAdmin):
    """Computed marks are read-only; HQ may override one with a reason (staff confirm KPI marks instead)."""

    form = PlanMarksForm  # the override offers the codes of the measure's plan

    list_display = ("measure", "fiscal_year", "computed_mark", "override_mark", "explanation")
    list_filter = (
        "fiscal_year",
        mark_filter("computed", "算定された評価", "measure__plan"),
        mark_filter("override", "確定した評価（上書き）", "measure__plan"),
        "measure__plan",
    )
    list_select_related = ("measure__plan",)
    search_fields = ("measure__name", "measure__code", "override_reason")
    autocomplete_fields = ("measure",)
    readonly_fields = ("computed_mark", "explanation")
    exclude = ("computed",)  # shown in the plan's words (computed_mark)
    scope = staticmethod(lambda user: Q(measure__in=Measure.objects.filter(measure_scope(user))))

    def has_change_permission(self, request, obj=None):
        if obj is not None and year_status(obj.measure.plan, obj.fiscal_year) == PlanYear.Status.LOCKED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


@admin.register(SdgGoal)
class SdgGoalAdmin(ReferenceDataAdmin):
    list_display = ("number", "name")
    search_fields = ("name",)


@admin.register(PriorityArea)
class PriorityAreaAdmin(ReferenceDataAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
