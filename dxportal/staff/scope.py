"""Role scoping for every plan-data admin: querysets, object permissions, foreign-key choices.

The roles (plans.access) decide, not Django's model permissions: a staff user without a role sees no
plan data even with model permissions, and HQ of one municipality never sees another's rows, whether
through a changelist, a list filter, a change page, an autocomplete, a foreign-key choice, an action
or the history.

Every admin write goes through one hook, ``PublicPagesHook.public_pages_changed``: after the commit,
the public pages of the municipalities the write touched are rendered again (plans.generations).
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.db.models import Q
from django.http import HttpResponse
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from dxportal.staff.loaded import LoadedValuesForm
from kpis import access as kpis_access
from kpis import audit
from kpis.models import Indicator
from plans import access
from plans.generations import bump_after_commit
from plans.ownership import has_municipality, municipality_id_of, municipality_ids, of_municipalities

# What an admin write changes on the public site (PublicPagesHook.public_reach).
MUNICIPALITY_PAGES = "municipality"  # plan data: the owning municipality's pages and the index pages
EVERY_PAGE = "all"  # a municipality's name and slug, SDGs, priority areas: on index pages and in URLs
NO_PAGE = "none"  # who works where (memberships): on no public page


class PublicPagesHook:
    """The one place an admin write invalidates cached public pages: save (with its inlines, saved in
    the same transaction), delete, and bulk delete. Other writes from the admin (entry, imports, the
    workflow actions) go through domain services, which bump the same generations themselves."""

    public_reach = MUNICIPALITY_PAGES

    def public_pages_changed(self, municipalities: set) -> None:
        """After the commit, render again the public pages of these municipalities (ids) and the index."""
        if self.public_reach == EVERY_PAGE:
            bump_after_commit()
        elif self.public_reach == MUNICIPALITY_PAGES:
            for municipality_id in sorted(municipalities - {None}):
                bump_after_commit(municipality_id)

    def owners(self, queryset) -> set:
        return municipality_ids(queryset) if has_municipality(self.model) else set()

    def save_model(self, request, obj, form, change):
        # The stored owner too: a plan or measure moved to another municipality leaves its old pages.
        before = self.owners(self.model._default_manager.filter(pk=obj.pk)) if change else set()
        super().save_model(request, obj, form, change)
        self.public_pages_changed({*before, self.owner(obj)})

    def delete_model(self, request, obj):
        owner = self.owner(obj)  # before: a deleted row no longer leads to its municipality
        super().delete_model(request, obj)
        self.public_pages_changed({owner})

    def delete_queryset(self, request, queryset):
        owners = self.owners(queryset)
        super().delete_queryset(request, queryset)
        self.public_pages_changed(owners)

    def owner(self, obj):
        return municipality_id_of(obj) if has_municipality(self.model) else None


class DeletePageInWords:
    """The delete confirmation names only objects a user knows."""

    def get_deleted_objects(self, objs, request):
        """Django's list of what a delete removes, without the rows of automatic many-to-many tables (a
        measure's national priority areas): they are links that go with the object, and Django can only
        name them by model ("Measure-priorityarea の関連: Measure_tags object (1)")."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        links = link_table_names()
        counts = {name: count for name, count in counts.items() if str(name) not in links}
        return without_links(deleted, links), counts, perms_needed, protected


class ReferenceDataAdmin(DeletePageInWords, PublicPagesHook, admin.ModelAdmin):
    """Data of the whole portal (SDGs, priority areas): an edit shows on every municipality's pages."""

    public_reach = EVERY_PAGE


class RoleScopedAdmin(DeletePageInWords, PublicPagesHook, SimpleHistoryAdmin):
    """Base admin for plan data. Subclasses set ``scope(user) -> Q``, the rows the user may see.

    HQ rights are per municipality: the municipality of an object is the one its model's
    ``municipality_path`` leads to (plans.ownership).
    """

    form = LoadedValuesForm  # a stale change page does not revert a colleague's change (dxportal.staff.loaded)
    history_list_display = ["history_change_reason"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["export_history_csv"]

    @staticmethod
    def scope(user) -> Q:
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if access.is_superuser(request.user):
            return queryset
        # pk__in a subquery, not a filter on the joins: the role joins are multi-valued and would repeat rows.
        return queryset.filter(pk__in=self.model._default_manager.filter(self.scope(request.user)).values("pk"))

    def in_scope(self, request, obj) -> bool:
        if access.is_superuser(request.user):
            return True
        if access.is_hq(request.user, municipality_id_of(obj)):
            return True
        return self.model._default_manager.filter(self.scope(request.user), pk=obj.pk).exists()

    def has_module_permission(self, request):
        return access.has_role(request.user)

    def has_view_permission(self, request, obj=None):
        if not access.has_role(request.user):
            return False
        return obj is None or self.in_scope(request, obj)

    def hq_right(self, request, obj) -> bool:
        if obj is None:
            return access.is_hq(request.user)
        return access.is_hq(request.user, municipality_id_of(obj))

    def has_add_permission(self, request, *args):
        return self.hq_right(request, None)

    def has_change_permission(self, request, obj=None):
        return self.hq_right(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.hq_right(request, obj)

    def get_list_filter(self, request):
        return [visible_only(self.model, entry) for entry in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limited = scoped_choices(db_field.related_model, request.user)
        if limited is not None:
            kwargs["queryset"] = limited
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        audit.record(obj, user=request.user, source="admin")
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        audit.record(obj, user=request.user, source="admin")
        super().delete_model(request, obj)

    @admin.action(description="選択した項目の変更履歴をCSVで出力", permissions=["view"])
    def export_history_csv(self, request, queryset):
        """The full audit trail of the selected rows (queryset is already role-scoped by the changelist)."""
        records = (
            self.model.history.filter(**{f"{self.model._meta.pk.attname}__in": queryset.values("pk")})
            .select_related("history_user")
            .order_by(self.model._meta.pk.attname, "history_date", "history_id")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.model._meta.model_name}-history.csv"'
        response.write("\ufeff")  # BOM: Excel reads the CSV as UTF-8
        audit.write_history_csv(response, records)
        return response


def link_table_names() -> set[str]:
    """The names Django's delete page gives the automatic many-to-many tables (singular and plural)."""
    return {
        str(name)
        for model in apps.get_models(include_auto_created=True)
        if model._meta.auto_created
        for plain in (model._meta.verbose_name, model._meta.verbose_name_plural)
        for name in (plain, capfirst(plain))
    }


def without_links(items: list, links: set[str]) -> list:
    """A nested list of "<model name>: <object>" lines without the lines of the link tables."""
    kept = []
    for item in items:
        if isinstance(item, list):
            kept.append(without_links(item, links))
        elif not any(str(item).startswith(f"{name}: ") for name in links):
            kept.append(item)
    return [item for item in kept if item != []]


class VisibleRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A relation's list filter offering only the related rows of the user's own changelist, in one query.

    Django's default offers every row of the related model (another municipality's draft plan titles
    among them) and, at 1,741 municipalities, ran a query per plan to label it (Plan.__str__ names the
    municipality): 1,752 queries for the measure changelist.
    """

    LABEL_JOINS = {"plans.plan": ("municipality",)}  # what each model's __str__ reads through a relation

    def field_choices(self, field, request, model_admin):
        shown = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
        related = field.related_model._default_manager.filter(pk__in=shown).select_related(
            *self.LABEL_JOINS.get(field.related_model._meta.label_lower, ())
        )
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            related = related.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in related]


def visible_only(model, entry):
    """A list_filter entry, with VisibleRelatedFilter for a plain relation path ("plan", "plan__municipality")."""
    if isinstance(entry, str) and get_fields_from_path(model, entry)[-1].is_relation:
        return (entry, VisibleRelatedFilter)
    return entry


def scoped_choices(model, user):
    """The rows of a related model a user may pick in a form (None: no limit).

    Plan data: the rows of the user's HQ municipalities; KPIs: the ones the user sees (staff pick
    their own). Users and the portal's reference data (SDGs, priority areas): no limit.
    """
    if access.is_superuser(user) or not has_municipality(model):
        return None
    if model is Indicator:
        return model._default_manager.filter(kpis_access.indicator_scope(user))
    return model._default_manager.filter(of_municipalities(model, access.hq_municipalities(user)))


class ScopedInlineMixin:
    """Inlines follow their parent's HQ rule: staff see them read-only. Their rows keep colleagues' changes
    as the change form does (dxportal.staff.loaded)."""

    form = LoadedValuesForm

    def _hq(self, request, obj):
        if obj is None:
            return access.is_hq(request.user)
        return access.is_hq(request.user, municipality_id_of(obj))

    def has_add_permission(self, request, obj=None):
        return self._hq(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._hq(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._hq(request, obj)

    def has_view_permission(self, request, obj=None):
        return access.has_role(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limited = scoped_choices(db_field.related_model, request.user)
        if limited is not None:
            kwargs["queryset"] = limited
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
