from django.contrib import admin

from kpis.admin import IndicatorInline
from kpis.services import recompute_plan_marks
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


class ListingInline(admin.TabularInline):
    model = MeasureListing
    extra = 0
    autocomplete_fields = ("category",)


class OwnershipInline(admin.TabularInline):
    model = MeasureDepartment
    extra = 0
    autocomplete_fields = ("department",)


class StageInline(admin.TabularInline):
    model = MeasureStage
    extra = 0


class ScheduleInline(admin.TabularInline):
    model = ScheduleEntry
    extra = 0


class MarkInline(admin.TabularInline):
    model = MeasureMark
    extra = 0
    fields = ("fiscal_year", "computed", "explanation", "override", "override_reason")
    readonly_fields = ("computed", "explanation")


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "plan", "is_new", "is_managed", "departments_text")
    list_display_links = ("code", "name")
    list_filter = ("plan__municipality", "plan", "is_new", "is_managed", "sdgs", "tags")
    list_select_related = ("plan__municipality",)
    search_fields = ("key", "code", "name", "overview", "departments_text")
    autocomplete_fields = ("plan",)
    filter_horizontal = ("sdgs", "tags")
    inlines = [ListingInline, OwnershipInline, StageInline, ScheduleInline, IndicatorInline, MarkInline]
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
class MeasureMarkAdmin(admin.ModelAdmin):
    list_display = ("measure", "fiscal_year", "computed", "override", "explanation")
    list_filter = ("fiscal_year", "computed", "override", "measure__plan")
    list_select_related = ("measure",)
    search_fields = ("measure__name", "measure__code", "override_reason")
    autocomplete_fields = ("measure",)
    readonly_fields = ("computed", "explanation")


@admin.register(SdgGoal)
class SdgGoalAdmin(admin.ModelAdmin):
    list_display = ("number", "name")
    search_fields = ("name",)


@admin.register(PriorityArea)
class PriorityAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
