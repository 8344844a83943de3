from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.urls import path
from django.utils import timezone

from dxportal.staff import corrections
from dxportal.staff import entry as entry_screens
from dxportal.staff.loaded import OVERWRITE, LoadedValuesForm
from dxportal.staff.scope import RoleScopedAdmin, ScopedInlineMixin
from dxportal.staff.sheets import ActualsImportMixin
from kpis import access as kpis_access
from kpis import audit, workflow
from kpis.entry import ActualEntry, Entered, save_entries, validate_entries
from kpis.models import DepartmentReport, Indicator, IndicatorValue, PlanYear
from kpis.services import recompute_plan_marks
from plans import access
from plans.models import Plan

# The fields department staff update; everything else on a value (targets, year) is HQ's.
UPDATE_FIELDS = ("actual_text", "note", "evidence_file", "evidence_url")
CONFIRM_FIELDS = ("override", "override_reason")
ENTRY_FIELDS = ("actual_text", "note", "evidence_url")
# computed_mark: the computed mark in the plan's words (MarkColumns.computed_mark), not its code.
DERIVED_FIELDS = ("actual_value", "computed_mark", "explanation", "confirmed_by", "confirmed_at", "confirmed_warning")


MARK_FIELDS = ("override",)  # the mark staff choose; the computed one is read-only


def mark_choices(plan) -> list[tuple[str, str]]:
    """The plan's own codes for a mark dropdown: ↗ 目標を上回った … or, with a scheme, A 目標より進んでいる …"""
    return [("", "---------")] + [(entry["code"], legend_words(entry)) for entry in plan.legend]


def legend_words(entry: dict) -> str:
    return f"{entry['symbol']} {entry['label']}"


def mark_text(plan, code: str) -> str:
    """A mark code in the plan's own words: ↗ 目標を上回った, or A 目標より進んでいる under a scheme."""
    if not code or plan is None:
        return code or ""
    entry = next((entry for entry in plan.legend if entry["code"] == code), None)
    return legend_words(entry) if entry else code


class MarkFilter(admin.SimpleListFilter):
    """A list filter of a mark field offering the codes in use, each named as its plan names it."""

    plan_path = ""  # from the row to its plan

    def lookups(self, request, model_admin):
        rows = (
            model_admin.get_queryset(request)
            .exclude(**{self.parameter_name: ""})
            .values_list(self.parameter_name, self.plan_path)
            .distinct()
        )
        plans = Plan.objects.in_bulk({plan_id for _, plan_id in rows})
        names = {}
        for code, plan_id in rows:
            names.setdefault(code, mark_text(plans[plan_id], code))
        return sorted(names.items(), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


def mark_filter(field: str, title: str, plan_path: str) -> type[MarkFilter]:
    return type(f"{field}_filter", (MarkFilter,), {"parameter_name": field, "title": title, "plan_path": plan_path})


def limit_mark_fields(form, plan) -> None:
    """Offer, and accept, only the codes of the plan's legend in the form's mark fields."""
    for name in MARK_FIELDS:
        field = form.fields.get(name)
        if field is not None:
            form.fields[name] = forms.ChoiceField(
                choices=mark_choices(plan), required=False, label=field.label, help_text=field.help_text
            )


def mark_owner_plan(instance, cleaned: dict | None = None):
    """The plan whose legend a mark (a measure's or a KPI value's) takes its codes from; None when unknown yet."""
    cleaned = cleaned or {}
    owner = (
        cleaned.get("measure")
        or cleaned.get("indicator")
        or getattr(instance, "measure", None)
        or getattr(instance, "indicator", None)
    )
    return owner.plan if owner is not None and owner.plan_id else None


class MarkColumns:
    """The computed and the confirmed mark of a row (a KPI value's or a measure's) in its plan's words."""

    @admin.display(description="算定された評価", ordering="computed")
    def computed_mark(self, obj):
        return mark_text(mark_owner_plan(obj), obj.computed) if obj.pk else ""

    @admin.display(description="確定した評価（上書き）", ordering="override")
    def override_mark(self, obj):
        return mark_text(mark_owner_plan(obj), obj.override) if obj.pk else ""


class PlanMarksForm(LoadedValuesForm):
    """A form of one mark: the override offers the plan's codes; on an add form, where the plan is known only
    once the measure or KPI is chosen, the code is checked against that plan's legend."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plan = mark_owner_plan(self.instance)
        if plan is not None:
            limit_mark_fields(self, plan)

    def clean(self):
        cleaned = super().clean()
        plan = mark_owner_plan(self.instance, cleaned)
        override = cleaned.get("override")
        if override and plan is not None and override not in plan.scheme.codes:
            codes = "、".join(plan.scheme.codes)
            self.add_error("override", f"「{override}」はこの計画の評価の記号にありません（使える値: {codes}）")
        return cleaned


class IndicatorInline(ScopedInlineMixin, admin.StackedInline):
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


class LockedYearFormSet(forms.BaseInlineFormSet):
    """Rows of a locked year (a KPI's targets, a measure's marks) are read-only in inlines too: such a
    year changes only through a correction (kpis.workflow.correct_locked_value)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if getattr(self.instance, "plan_id", None):  # a measure or an indicator: its plan's mark codes
            limit_mark_fields(form, self.instance.plan)

    def clean(self):
        super().clean()
        parent = self.instance  # an indicator or a measure: both belong to a plan
        if parent.pk is None:
            return
        locked = set(
            PlanYear.objects.filter(plan_id=parent.plan_id, status=PlanYear.Status.LOCKED).values_list(
                "fiscal_year", flat=True
            )
        )
        for form in self.forms:
            years = {form.cleaned_data.get("fiscal_year"), form.instance.fiscal_year}  # moved out of one too
            if (form.has_changed() or form in self.deleted_forms) and years & locked:
                fiscal_year = min(years & locked)
                raise ValidationError(f"{fiscal_year}年度は確定（ロック）済みのため変更できません")


class ValueInline(MarkColumns, ScopedInlineMixin, admin.TabularInline):
    """Targets per fiscal year (HQ); actuals are shown here but entered through the entry service."""

    model = IndicatorValue
    formset = LockedYearFormSet
    extra = 0
    fields = (
        "fiscal_year",
        "target_text",
        "target_value",
        "actual_text",
        "computed_mark",
        "override",
        "override_reason",
    )
    readonly_fields = ("actual_text", "computed_mark")


@admin.register(Indicator)
class IndicatorAdmin(RoleScopedAdmin):
    """KPI definitions and targets: HQ only; staff see their measures' KPIs read-only."""

    list_display = ("name", "unit", "kind", "measure", "category", "plan")
    list_filter = ("kind", "direction", "cumulative", "plan__municipality")
    list_select_related = ("measure", "category", "plan__municipality")
    search_fields = ("name", "measure__name", "measure__code", "category__name")
    autocomplete_fields = ("plan", "measure", "category", "introduced_in", "retired_in", "also_listed_under")
    inlines = [ValueInline]
    scope = staticmethod(kpis_access.indicator_scope)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        recompute_plan_marks(form.instance.plan)


class ValueEntryForm(PlanMarksForm):
    """Checks the actual, note and evidence URL with the entry service's rules, errors next to the fields.

    Lost updates (dxportal.staff.loaded): the actual, note and URL as loaded go to save_entries, which
    merges them under the row lock; the other fields (targets, overrides) are merged by the form.
    """

    user = None  # set by IndicatorValueAdmin.get_form
    untracked = ("confirm_warning",)
    merged_elsewhere = ENTRY_FIELDS

    # An actual that looks wrong (kpis.plausibility) is saved only once the user says it is right.
    confirm_warning = forms.BooleanField(
        label="この値で正しい（確認して保存）",
        required=False,
        help_text="実績に「確認してください」と出たとき、値が正しければチェックして保存します。"
        "確認した警告は記録され、推進本部が進捗ボードで確認できます",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaded_entered = None  # the actual, note and URL as loaded, for save_entries

    def clean(self):
        cleaned = super().clean()  # LoadedValuesForm has kept colleagues' changes to the other fields
        loaded = self.loaded_values()
        indicator = cleaned.get("indicator") or getattr(self.instance, "indicator", None)
        fiscal_year = cleaned.get("fiscal_year") or self.instance.fiscal_year
        if indicator is None or fiscal_year is None or self.errors:
            return cleaned
        if loaded is not None:
            self.loaded_entered = Entered(*(loaded.get(name, getattr(self.instance, name)) for name in ENTRY_FIELDS))
        entry = ActualEntry(
            indicator_id=indicator.pk,
            fiscal_year=fiscal_year,
            actual_text=cleaned.get("actual_text", self.instance.actual_text) or "",
            note=cleaned.get("note", self.instance.note) or "",
            evidence_url=cleaned.get("evidence_url", self.instance.evidence_url) or "",
            loaded=self.loaded_entered,
            warnings_confirmed=bool(cleaned.get("confirm_warning")),
        )
        for error in validate_entries(self.user, indicator.plan, fiscal_year, [entry]):
            field = {"indicator_id": "indicator"}.get(error.field, error.field)
            self.add_error(field if field in self.fields else None, self.worded(error))
        return cleaned

    def worded(self, error) -> str:
        if error.code == "implausible":
            return f"確認してください: {error.warning}。正しければ「この値で正しい」にチェックを入れて保存してください"
        if error.code != "conflict":
            return error.message
        self.show_current(error.field, error.current)
        return f"{error.message}。{OVERWRITE}"


@admin.register(IndicatorValue)
class IndicatorValueAdmin(MarkColumns, ActualsImportMixin, RoleScopedAdmin):
    """Staff update actual, note, evidence and (qualitative KPIs) the mark confirmation; HQ also targets."""

    form = ValueEntryForm
    list_display = (
        "indicator",
        "fiscal_year",
        "target_text",
        "actual_text",
        "computed_mark",
        "override_mark",
        "confirmed_warning",
    )
    list_filter = (
        "fiscal_year",
        mark_filter("computed", "算定された評価", "indicator__plan"),
        "indicator__kind",
        "indicator__plan__municipality",
    )
    list_select_related = ("indicator__plan",)
    search_fields = ("indicator__name", "indicator__measure__name", "target_text", "actual_text")
    autocomplete_fields = ("indicator",)
    scope = staticmethod(lambda user: kpis_access.indicator_scope(user, prefix="indicator__"))

    def get_fields(self, request, obj=None):
        confirm = ("confirm_warning",) if self.has_change_permission(request, obj) else ()
        if self.is_hq(request, obj):
            return (
                "indicator",
                "fiscal_year",
                "target_text",
                "target_value",
                *UPDATE_FIELDS,
                *confirm,
                "achievement_text",
                *CONFIRM_FIELDS,
                *DERIVED_FIELDS,
            )
        return (
            "indicator",
            "fiscal_year",
            "target_text",
            "target_value",
            *UPDATE_FIELDS,
            *confirm,
            *CONFIRM_FIELDS,
            *DERIVED_FIELDS,
        )

    def get_readonly_fields(self, request, obj=None):
        if self.is_hq(request, obj):
            return DERIVED_FIELDS
        readonly = ("indicator", "fiscal_year", "target_text", "target_value", *DERIVED_FIELDS)
        if obj is not None and obj.indicator.kind != Indicator.Kind.QUALITATIVE:
            readonly += CONFIRM_FIELDS  # staff confirm only the suggested marks of qualitative KPIs
        return readonly

    def is_hq(self, request, obj) -> bool:
        return self.hq_right(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type("ValueEntryForm", (form,), {"user": request.user})

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return access.has_role(request.user)
        return kpis_access.can_update_value(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return self.hq_right(request, None)
        return (
            self.is_hq(request, obj)
            and workflow.year_status(obj.indicator.plan, obj.fiscal_year) != PlanYear.Status.LOCKED
        )

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        # The actual, note and URL go through the entry service (validation, audit, marks, cache); the
        # rest of the form (targets, evidence file, mark confirmation) is saved here first.
        data = form.cleaned_data
        entry = ActualEntry(
            indicator_id=obj.indicator_id,
            fiscal_year=obj.fiscal_year,
            actual_text=data.get("actual_text", obj.actual_text) or "",
            note=data.get("note", obj.note) or "",
            evidence_url=data.get("evidence_url", obj.evidence_url) or "",
            loaded=getattr(form, "loaded_entered", None),
            warnings_confirmed=bool(data.get("confirm_warning")),
        )
        stored = IndicatorValue.objects.get(pk=obj.pk) if change else IndicatorValue()
        for name in (*ENTRY_FIELDS, "actual_value"):
            setattr(obj, name, getattr(stored, name))
        other = set(form.changed_data) - set(ENTRY_FIELDS)
        if other & set(CONFIRM_FIELDS):
            obj.confirmed_by, obj.confirmed_at = request.user, timezone.now()
        if other or not change:
            audit.record(obj, user=request.user, source="admin")
            obj.save()
        save_entries(request.user, obj.indicator.plan, obj.fiscal_year, [entry], source="admin")
        if other:
            recompute_plan_marks(obj.indicator.plan)
        obj.refresh_from_db()

    def get_urls(self):
        view = self.admin_site.admin_view(self.evidence_view)
        correct = self.admin_site.admin_view(
            lambda request, object_id: corrections.correction_view(
                request, self.admin_site, self.get_queryset(request), object_id
            )
        )
        return [
            path("evidence/<path:name>", view, name="kpis_evidence"),
            path("<path:object_id>/correct/", correct, name="kpis_indicatorvalue_correct"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A locked year's value is read-only here; HQ gets a link to correct it (訂正)."""
        value = self.get_object(request, object_id)
        if value is not None and corrections.may_correct(request.user, value):
            extra_context = {**(extra_context or {}), "correct_url": corrections.correction_url(value)}
        return super().change_view(request, object_id, form_url, extra_context)

    def evidence_view(self, request, name):
        """Send an evidence file only to users who may see a value it is attached to."""
        value = self.get_queryset(request).filter(evidence_file=name).first()
        if value is None or not self.has_view_permission(request, value):
            raise Http404("根拠資料が見つかりません")
        return FileResponse(value.evidence_file.open("rb"), as_attachment=True)

    def delete_model(self, request, obj):
        plan = obj.indicator.plan
        super().delete_model(request, obj)
        recompute_plan_marks(plan)


class WorkflowAdmin(RoleScopedAdmin):
    """Year states and department reports change only through kpis.workflow (the board and these actions)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # HQ may delete a whole plan, which takes its year states along; never one state on its own.
        return obj is not None and self.hq_right(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied("年度の状態と報告は削除できません（計画ごと削除されます）")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def run(self, request, queryset, transition, verb):
        done = 0
        for obj in queryset:
            try:
                transition(request.user, obj)
                done += 1
            except (PermissionDenied, workflow.WorkflowError) as error:
                self.message_user(request, f"{obj}: {error}", messages.ERROR)
        if done:
            self.message_user(request, f"{done}件を{verb}しました", messages.SUCCESS)


@admin.register(PlanYear)
class PlanYearAdmin(WorkflowAdmin):
    list_display = ("plan", "fiscal_year", "status", "published_at", "locked_at")
    list_filter = ("status", "plan__municipality", "fiscal_year")
    list_select_related = ("plan__municipality",)
    actions = ["publish", "lock", "export_history_csv"]
    scope = staticmethod(lambda user: Q(plan__in=Plan.objects.filter(access.plan_scope(user))))

    def get_urls(self):
        site = self.admin_site
        return [
            path("entry/", site.admin_view(lambda r: entry_screens.entry_view(r, site)), name="kpis_entry"),
            path("board/", site.admin_view(lambda r: entry_screens.board_view(r, site)), name="kpis_board"),
        ] + super().get_urls()

    @admin.action(description="選択した年度を公表する")
    def publish(self, request, queryset):
        self.run(request, queryset, lambda user, year: workflow.publish_year(user, year.plan, year.fiscal_year), "公表")

    @admin.action(description="選択した年度を確定（ロック）する")
    def lock(self, request, queryset):
        self.run(request, queryset, lambda user, year: workflow.lock_year(user, year.plan, year.fiscal_year), "確定")


@admin.register(DepartmentReport)
class DepartmentReportAdmin(WorkflowAdmin):
    list_display = ("department", "plan", "fiscal_year", "status", "submitted_at", "reviewed_at", "comment")
    list_filter = ("status", "plan_year__plan__municipality", "plan_year__fiscal_year")
    list_select_related = ("department", "plan_year__plan__municipality")
    actions = ["approve", "export_history_csv"]
    scope = staticmethod(
        lambda user: (
            Q(plan_year__plan__municipality__in=access.hq_municipalities(user))
            | Q(department__in=access.user_departments(user))
        )
    )

    @admin.display(description="計画", ordering="plan_year__plan")
    def plan(self, obj):
        return obj.plan_year.plan

    @admin.display(description="年度", ordering="plan_year__fiscal_year")
    def fiscal_year(self, obj):
        return obj.plan_year.fiscal_year

    @admin.action(description="選択した報告を承認する")
    def approve(self, request, queryset):
        self.run(request, queryset.select_related("plan_year__plan", "department"), workflow.approve, "承認")
