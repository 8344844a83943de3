from django.contrib import admin
from django.db.models import Q

from dxportal.staff.onboarding import AddByCodeMixin
from dxportal.staff.scope import EVERY_PAGE, NO_PAGE, RoleScopedAdmin, ScopedInlineMixin
from dxportal.staff.sheets import PlanSheetsMixin
from plans import access
from plans.models import Category, Department, HQMembership, Municipality, Plan, PlanRevision, StaffMembership

PROVENANCE_FIELDS = ("source_document", "source_lines", "uncertain")


def municipality_scope(user) -> Q:
    if access.is_superuser(user):
        return Q()
    return Q(pk__in=access.hq_municipalities(user)) | Q(pk__in=access.user_departments(user).values("municipality"))


@admin.register(Municipality)
class MunicipalityAdmin(AddByCodeMixin, RoleScopedAdmin):
    """Municipalities are reference data: superusers edit them; roles see their own."""

    list_display = ("code", "name", "prefecture", "slug")
    list_filter = ("prefecture",)
    search_fields = ("code", "name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    scope = staticmethod(municipality_scope)
    public_reach = EVERY_PAGE  # its name and slug show on the index pages and in every URL under it

    def hq_right(self, request, obj):
        return access.is_superuser(request.user)


@admin.register(Department)
class DepartmentAdmin(RoleScopedAdmin):
    list_display = ("name", "parent", "municipality", "email")
    list_filter = ("municipality",)
    list_select_related = ("parent", "municipality")
    search_fields = ("name", "parent__name")
    autocomplete_fields = ("parent", "municipality")
    scope = staticmethod(lambda user: Q(municipality__in=Municipality.objects.filter(municipality_scope(user))))


@admin.register(StaffMembership)
class StaffMembershipAdmin(RoleScopedAdmin):
    """HQ assigns its municipality's staff to departments."""

    list_display = ("user", "department", "municipality")
    list_filter = ("department__municipality",)
    list_select_related = ("user", "department__municipality")
    search_fields = ("user__username", "department__name")
    autocomplete_fields = ("department",)
    scope = staticmethod(lambda user: Q(department__municipality__in=access.hq_municipalities(user)))
    public_reach = NO_PAGE

    @admin.display(description="地方公共団体")
    def municipality(self, obj):
        return obj.department.municipality

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Staff accounts only; never offers superusers.
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return self.hq_right(request, None)

    def has_view_permission(self, request, obj=None):
        return self.hq_right(request, obj)


@admin.register(HQMembership)
class HQMembershipAdmin(RoleScopedAdmin):
    """Only superusers appoint HQ members."""

    list_display = ("user", "municipality")
    list_select_related = ("user", "municipality")
    search_fields = ("user__username", "municipality__name")
    autocomplete_fields = ("user", "municipality")
    scope = staticmethod(lambda user: Q() if access.is_superuser(user) else Q(pk__in=[]))
    public_reach = NO_PAGE

    def hq_right(self, request, obj):
        return access.is_superuser(request.user)

    def has_module_permission(self, request):
        return access.is_superuser(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_superuser(request.user)


class PlanRevisionInline(ScopedInlineMixin, admin.TabularInline):
    model = PlanRevision
    extra = 0
    fields = ("key", "date", "date_precision", "kind", "title", "summary", "period_end_fy")


@admin.register(Plan)
class PlanAdmin(PlanSheetsMixin, RoleScopedAdmin):
    list_display = ("title", "municipality", "edition", "period_start_fy", "period_end_fy", "status")
    list_filter = ("status", "municipality")
    list_select_related = ("municipality",)
    search_fields = ("title", "slug", "municipality__name")
    autocomplete_fields = ("municipality", "replaces")
    inlines = [PlanRevisionInline]
    scope = staticmethod(access.plan_scope)
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
class PlanRevisionAdmin(RoleScopedAdmin):
    list_display = ("plan", "key", "date", "kind", "period_end_fy")
    list_filter = ("kind", "plan__municipality")
    list_select_related = ("plan__municipality",)
    search_fields = ("key", "title", "summary", "plan__title")
    autocomplete_fields = ("plan",)
    scope = staticmethod(lambda user: Q(plan__in=Plan.objects.filter(access.plan_scope(user))))


@admin.register(Category)
class CategoryAdmin(RoleScopedAdmin):
    list_display = ("path", "name", "level_name", "plan")
    list_filter = ("plan__municipality", "level_name", "depth")
    list_select_related = ("plan__municipality",)
    search_fields = ("path", "name", "plan__title")
    autocomplete_fields = ("plan", "parent")
    scope = staticmethod(lambda user: Q(plan__in=Plan.objects.filter(access.plan_scope(user))))
