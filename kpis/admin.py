from django.contrib import admin

from kpis.models import Indicator, IndicatorValue
from kpis.services import recompute_plan_marks


class IndicatorInline(admin.StackedInline):
    model = Indicator
    fk_name = "measure"
    extra = 0
    fields = (
        ("name", "unit", "kind"),
        ("direction", "cumulative"),
        ("baseline_text", "baseline_value", "baseline_fy"),
        "definition",
    )
    show_change_link = True


class ValueInline(admin.TabularInline):
    """Target and actual per fiscal year, the rows of the printed 目標及び実績 table."""

    model = IndicatorValue
    extra = 0
    fields = (
        "fiscal_year",
        "target_text",
        "target_value",
        "actual_text",
        "actual_value",
        "computed",
        "override",
        "override_reason",
        "note",
    )
    readonly_fields = ("computed",)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "kind", "measure", "category", "plan")
    list_filter = ("kind", "direction", "cumulative", "plan__municipality")
    list_select_related = ("measure", "category", "plan__municipality")
    search_fields = ("name", "measure__name", "measure__code", "category__name")
    autocomplete_fields = ("plan", "measure", "category", "introduced_in", "retired_in")
    inlines = [ValueInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        recompute_plan_marks(form.instance.plan)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    list_display = ("indicator", "fiscal_year", "target_text", "actual_text", "computed", "override")
    list_filter = ("fiscal_year", "computed", "indicator__kind", "indicator__plan__municipality")
    list_select_related = ("indicator",)
    search_fields = ("indicator__name", "indicator__measure__name", "target_text", "actual_text")
    autocomplete_fields = ("indicator",)
    readonly_fields = ("computed", "explanation", "confirmed_by", "confirmed_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        recompute_plan_marks(obj.indicator.plan)

    def delete_model(self, request, obj):
        plan = obj.indicator.plan
        super().delete_model(request, obj)
        recompute_plan_marks(plan)
