from django.contrib import admin

from plans.models import Category, Department, Municipality, Plan, PlanRevision

PROVENANCE_FIELDS = ("source_document", "source_lines", "uncertain")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefecture", "slug")
    list_filter = ("prefecture",)
    search_fields = ("code", "name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "municipality")
    list_filter = ("municipality",)
    list_select_related = ("parent", "municipality")
    search_fields = ("name", "parent__name")
    autocomplete_fields = ("parent", "municipality")


class PlanRevisionInline(admin.TabularInline):
    model = PlanRevision
    extra = 0
    fields = ("key", "date", "date_precision", "kind", "title", "summary", "period_end_fy")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("title", "municipality", "edition", "period_start_fy", "period_end_fy", "status")
    list_filter = ("status", "municipality")
    list_select_related = ("municipality",)
    search_fields = ("title", "slug", "municipality__name")
    autocomplete_fields = ("municipality", "replaces")
    inlines = [PlanRevisionInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "municipality",
                    "slug",
                    "title",
                    "edition",
                    "status",
                    "published_on",
                    "published_on_precision",
                    "replaces",
                    "description",
                )
            },
        ),
        ("計画期間", {"fields": ("period_start_fy", "period_end_fy")}),
        ("評価", {"fields": ("scoring_policy", "mark_legend", "stage_legend", "related_plans")}),
        ("出典", {"fields": PROVENANCE_FIELDS, "classes": ("collapse",)}),
    )


@admin.register(PlanRevision)
class PlanRevisionAdmin(admin.ModelAdmin):
    list_display = ("plan", "key", "date", "kind", "period_end_fy")
    list_filter = ("kind", "plan__municipality")
    list_select_related = ("plan__municipality",)
    search_fields = ("key", "title", "summary", "plan__title")
    autocomplete_fields = ("plan",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("path", "name", "level_name", "plan")
    list_filter = ("plan__municipality", "level_name", "depth")
    list_select_related = ("plan__municipality",)
    search_fields = ("path", "name", "plan__title")
    autocomplete_fields = ("plan", "parent")
