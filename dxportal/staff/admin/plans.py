from django.contrib import admin
from django.db.models import Q

from dxportal.staff.loaded import LoadedValuesForm
from dxportal.staff.onboarding import AddByCodeMixin
from dxportal.staff.plan_import import PlanImportMixin
from dxportal.staff.plan_publication import PlanPublicationMixin
from dxportal.staff.scope import EVERY_PAGE, NO_PAGE, RoleScopedAdmin, ScopedInlineMixin
from dxportal.staff.sheets import PlanSheetsMixin
from kpis.services import recompute_plan_marks
from plans import access
from plans.models import Category, Department, HQMembership, Municipality, Plan, PlanRevision, StaffMembership

PROVENANCE_FIELDS = ("source_document", "source_lines", "uncertain")


class AdminLogHistory:
    """The history page of a model django-simple-history does not track (municipalities, departments,
    plan revisions): Django's own admin log. SimpleHistoryAdmin's page needs a historical model and
    answered 500 for these."""

    object_history_template = None  # Django's admin/object_history.html

    def history_view(self, request, object_id, extra_context=None):
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)


class DepartmentForm(LoadedValuesForm):
    """A department's parent (部 of a 課) is of the same municipality and never the department itself or
    one below it: a cycle (A↔B, or A under A) would leave the tree without a top."""

    def clean(self):
        cleaned = super().clean()
        parent, municipality = cleaned.get("parent"), cleaned.get("municipality", self.instance.municipality_id)
        if parent is None:
            return cleaned
        municipality_id = getattr(municipality, "pk", municipality)
        if municipality_id is not None and parent.municipality_id != municipality_id:
            self.add_error("parent", "上位の部署は同じ地方公共団体の部署から選んでください")
        elif self.instance.pk is not None:
            above, seen = parent, set()
            while above is not None and above.pk not in seen:
                if above.pk == self.instance.pk:
                    self.add_error(
                        "parent",
                        f"「{parent}」は「{self.instance}」自身かその下位の部署のため、上位の部署にはできません（循環します）",
                    )
                    break
                seen.add(above.pk)
                above = above.parent
        return cleaned


def municipality_scope(user) -> Q:
    if access.is_superuser(user):
        return Q()
    return Q(pk__in=access.hq_municipalities(user)) | Q(pk__in=access.user_departments(user).values("municipality"))


@admin.register(Municipality)
class MunicipalityAdmin(AdminLogHistory, AddByCodeMixin, RoleScopedAdmin):
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
class DepartmentAdmin(AdminLogHistory, RoleScopedAdmin):
    form = DepartmentForm
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
            kwargs["queryset"] = appointable_staff(db_field.related_model, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return self.hq_right(request, None)

    def has_view_permission(self, request, obj=None):
        return self.hq_right(request, obj)


def appointable_staff(user_model, user):
    """Staff accounts an HQ may assign to its departments: never superusers, and none with a role in
    another municipality (accounts without any role yet are new staff to assign). Superusers: all."""
    accounts = user_model.objects.filter(is_staff=True, is_superuser=False)
    if access.is_superuser(user):
        return accounts
    others = Municipality.objects.exclude(pk__in=access.hq_municipalities(user))
    return accounts.exclude(staff_memberships__department__municipality__in=others).exclude(
        hq_memberships__municipality__in=others
    )


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
class PlanAdmin(PlanImportMixin, PlanPublicationMixin, PlanSheetsMixin, RoleScopedAdmin):
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
        ("評価", {"fields": ("scoring_policy", "mark_legend", "evaluation", "stage_legend", "related_plans")}),
        ("呼び方", {"fields": ("measure_level_name", "kpi_level_name")}),
        ("出典", {"fields": PROVENANCE_FIELDS, "classes": ("collapse",)}),
    )

    def save_related(self, request, form, formsets, change):
        # The scheme (or scoring policy) decides every mark: recompute them when it changed. The form's
        # field validators (plans.evaluation) already refused an invalid scheme or legend.
        super().save_related(request, form, formsets, change)
        if {"evaluation", "scoring_policy"} & set(form.changed_data):
            recompute_plan_marks(form.instance)


@admin.register(PlanRevision)
class PlanRevisionAdmin(AdminLogHistory, RoleScopedAdmin):
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
