"""The yearly entry screen, which the stock admin lacks (HQ's board: dxportal.staff.board).

A plain function view wrapped by the admin site (login, staff flag, CSRF); every write goes through
kpis.entry or kpis.workflow, which check the roles again.

One form holds the rows and, at its foot, both actions: 保存 and 保存して提出. Submitting saves what was
typed first; when KPIs of the department are still blank it asks, naming them, before it submits. After
submitting, the department's rows are shown as text with the reason (提出済み: 推進本部の確認待ち).
A changed actual that looks wrong (kpis.plausibility) is not saved until the user corrects it or ticks
「この値で正しい」 beside it and saves again (確認して保存).
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from dxportal.staff.board import (  # noqa: F401  (board_view: the admin's URL wiring finds both screens here)
    back,
    board_view,
    chosen_plan_and_year,
    reporting_indicators,
)
from kpis import access as kpis_access
from kpis import workflow
from kpis.entry import ENTERED_FIELDS, ActualEntry, Entered, EntryValidationError, merge, save_entries
from kpis.models import DepartmentReport, Indicator, IndicatorValue, PlanYear
from kpis.reminders import missing_by_department
from plans import access
from plans.fiscal import label as fy_label
from plans.models import Department, Plan

# The form fields of a row, by entered field: actual-<KPI id>, note-<id>, url-<id>; the value as the user
# loaded it travels in loaded-actual-<id>, loaded-note-<id>, loaded-url-<id> (kpis.entry.merge).
FORM_NAMES = {"actual_text": "actual", "note": "note", "evidence_url": "url"}


@dataclass
class Conflict:
    """A field the user changed that a colleague changed too since the screen was loaded."""

    label: str
    mine: str
    current: str


@dataclass
class EntryRow:
    indicator: Indicator
    value: IndicatorValue | None
    previous: IndicatorValue | None
    blocker: str | None
    actual_text: str = ""
    note: str = ""
    evidence_url: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    loaded: Entered = field(default_factory=Entered)  # sent back as hidden fields
    conflicts: list[Conflict] = field(default_factory=list)  # shown with a choice: overwrite or keep
    correct_url: str = ""  # a locked year's correction page (HQ)
    warning: str = ""  # plausibility warnings of the typed actual, asked before saving
    confirmed: bool = False  # the user ticked 「この値で正しい」 for the typed actual


def entry_rows(user, plan, fiscal_year) -> list[EntryRow]:
    """The KPIs the user may update in the plan, with this and last year's values: three queries."""
    indicators = list(
        Indicator.objects.filter(kpis_access.indicator_scope(user), plan=plan, retired_in__isnull=True)
        .exclude(kind=Indicator.Kind.PLACEHOLDER)
        .select_related("measure", "category")
        .order_by("measure__position", "category__position", "position")
    )
    values = {
        (v.indicator_id, v.fiscal_year): v
        for v in IndicatorValue.objects.filter(indicator__in=indicators, fiscal_year__in=[fiscal_year, fiscal_year - 1])
    }
    blocker = workflow.entry_blockers(user, plan, fiscal_year)
    correctable = access.can_correct(user, plan) and workflow.year_status(plan, fiscal_year) == PlanYear.Status.LOCKED
    rows = []
    for indicator in indicators:
        value = values.get((indicator.pk, fiscal_year))
        row = EntryRow(indicator, value, values.get((indicator.pk, fiscal_year - 1)), blocker(indicator))
        if value is not None:
            row.actual_text, row.note, row.evidence_url = value.actual_text, value.note, value.evidence_url
            row.loaded = Entered.of(value)
            if correctable:
                row.correct_url = reverse("admin:kpis_indicatorvalue_correct", args=[value.pk])
        rows.append(row)
    return rows


def posted_entries(request, rows: list[EntryRow], fiscal_year) -> tuple[list[EntryRow], list[ActualEntry]]:
    """The rows the form sent, and their entries with the value as loaded: only what changed is written.

    A row not on the form sent is left alone, and so is a row in conflict whose user chose 「現在の値を残す」;
    one without a choice gets an error (and the save stops). 「この値で正しい」 confirms the plausibility
    warnings of the actual it was ticked for (its value carries that actual), not of one typed since.
    """
    sent, entries = [], []
    for row in rows:
        key = row.indicator.pk
        if row.blocker is not None or f"actual-{key}" not in request.POST:
            continue
        typed = [request.POST.get(f"{FORM_NAMES[name]}-{key}", "") for name in ENTERED_FIELDS]
        row.actual_text, row.note, row.evidence_url = typed
        row.confirmed = request.POST.get(f"confirm-{key}") == row.actual_text.strip() != ""
        loaded = [request.POST.get(f"loaded-{FORM_NAMES[name]}-{key}") for name in ENTERED_FIELDS]
        row.loaded = Entered(*loaded) if None not in loaded else Entered.of(row.value)
        if request.POST.get(f"conflict-{key}"):
            choice = request.POST.get(f"resolve-{key}")
            if choice == "theirs":
                continue
            if choice != "mine":
                row.errors.setdefault("actual_text", []).append(CHOOSE)
                row.conflicts = conflicts_shown(Entered(*typed), row.loaded)
        sent.append(row)
        entry = ActualEntry(key, fiscal_year, *typed, loaded=row.loaded if None not in loaded else None)
        entry.warnings_confirmed = row.confirmed
        entries.append(entry)
    return sent, entries


CHOOSE = "自分の入力で上書きするか、現在の値を残すかを選んでください"


def conflicts_shown(mine: Entered, current: Entered) -> list[Conflict]:
    """The fields where the user's input and the current value differ (a conflict shown again)."""
    mine = Entered.of(mine)
    return [
        Conflict(label, getattr(mine, name), getattr(current, name))
        for name, label in ENTERED_FIELDS.items()
        if getattr(mine, name) != getattr(current, name)
    ]


def save_posted(request, user, plan, fiscal_year, rows: list[EntryRow], *, quiet: bool = False) -> bool:
    """Save the posted rows through save_entries; else False, with the errors, warnings and conflicts on
    the rows. ``quiet``: no message when nothing was typed (the submit button saves first)."""
    sent, entries = posted_entries(request, rows, fiscal_year)
    unchosen = [row for row in sent if row.conflicts]
    problems = []
    if not unchosen:
        try:
            result = save_entries(user, plan, fiscal_year, entries, source="entry")
        except EntryValidationError as error:
            problems = error.errors
        else:
            if not quiet or result.created or result.changed:
                messages.success(
                    request,
                    f"保存しました（新規 {result.created} 件、変更 {result.changed} 件、変更なし {result.unchanged} 件）",
                )
            return True
    for problem in problems:
        row = sent[problem.index]
        if problem.code == "implausible":
            row.warning = problem.warning
            continue
        row.errors.setdefault(problem.field, []).append(problem.message)
        if problem.code == "conflict":
            row.conflicts.append(Conflict(ENTERED_FIELDS[problem.field], problem.value.strip(), problem.current))
    show_current_values(request, sent, fiscal_year)
    warned = sum(problem.code == "implausible" for problem in problems)
    if warned:
        messages.warning(
            request,
            f"{warned}件の値に確認が必要です。値を直すか、正しければ行の「この値で正しい」にチェックを入れて"
            "「確認して保存」を押してください（何も保存していません）",
        )
    other = sum(problem.code not in ("conflict", "implausible") for problem in problems)
    if other:
        messages.error(request, f"{other}件の入力に誤りがあります。何も保存していません")
    return False


def show_current_values(request, sent: list[EntryRow], fiscal_year) -> None:
    """Rows in conflict: the fields the user did not change show the colleague's value, and the current
    value becomes the loaded one (both values are on the screen, so saving again is the user's choice)."""
    in_conflict = [row for row in sent if row.conflicts]
    if not in_conflict:
        return
    current = {
        v.indicator_id: Entered.of(v)
        for v in IndicatorValue.objects.filter(
            indicator__in=[r.indicator for r in in_conflict], fiscal_year=fiscal_year
        )
    }
    for row in in_conflict:
        now = current.get(row.indicator.pk, Entered())
        typed = ActualEntry(row.indicator.pk, fiscal_year, row.actual_text, row.note, row.evidence_url, row.loaded)
        row.actual_text, row.note, row.evidence_url = vars(merge(typed, now)[0]).values()
        row.loaded = now
    messages.error(
        request,
        f"{len(in_conflict)}行は、この画面を開いた後に他の利用者が変更しています。"
        "行ごとにどちらを残すか選んで、もう一度保存してください（何も保存していません）",
    )


def entry_view(request, admin_site):
    """Yearly entry screen: every KPI the user may update, saved in one go through save_entries."""
    user = request.user
    plans = Plan.objects.visible_to(user).select_related("municipality").distinct()
    plan, fiscal_year = chosen_plan_and_year(request, plans)
    if plan is None:
        raise PermissionDenied("入力できる計画がありません")
    rows = entry_rows(user, plan, fiscal_year)
    if request.method == "POST":
        # The form's buttons: 保存, or 保存して提出 of one of the user's departments (its id as the value).
        submitting = request.POST.get("submit_department")
        if save_posted(request, user, plan, fiscal_year, rows, quiet=bool(submitting)):
            if submitting:
                return submit_report(request, plan, fiscal_year, submitting)
            return back("admin:kpis_entry", plan, fiscal_year)
    reports = my_reports(user, plan, fiscal_year)
    asking = request.GET.get("confirm_submit")
    confirm_submit = next((r for r in reports if str(r["department"].pk) == asking and r["can_submit"]), None)
    context = {
        **admin_site.each_context(request),
        "title": f"実績の入力: {plan.title} {fy_label(fiscal_year)}",
        "plans": plans,
        "plan": plan,
        "fiscal_year": fiscal_year,
        "fiscal_years": plan.fiscal_years,
        "rows": rows,
        "editable": any(row.blocker is None for row in rows),
        "warned": any(row.warning for row in rows),
        "year_status": workflow.year_status(plan, fiscal_year),
        "reports": reports,
        "submittable": [r for r in reports if r["can_submit"]],
        "blocker": next((row.blocker for row in rows if row.blocker), ""),
        "confirm_submit": confirm_submit,
        "confirm_total": department_kpi_count(plan, confirm_submit["department"]) if confirm_submit else 0,
    }
    return TemplateResponse(request, "admin/kpis/entry.html", context)


def submit_report(request, plan, fiscal_year, department_id):
    """After the save: submit the department's report, or first ask when some of its KPIs are blank."""
    department = get_object_or_404(Department, pk=department_id)
    if not request.POST.get("blank_confirmed") and blank_indicators(plan, fiscal_year, department):
        return back("admin:kpis_entry", plan, fiscal_year, confirm_submit=department.pk)
    try:
        workflow.submit(request.user, plan, fiscal_year, department)
        messages.success(request, f"{department}の{fy_label(fiscal_year)}の実績を提出しました")
    except (PermissionDenied, workflow.WorkflowError) as error:
        messages.error(request, str(error))
    return back("admin:kpis_entry", plan, fiscal_year)


def department_kpi_count(plan, department) -> int:
    """How many KPIs the department reports on in the plan (the board's count)."""
    return reporting_indicators(plan).filter(measure__ownerships__department=department).distinct().count()


def blank_indicators(plan, fiscal_year, department) -> list[Indicator]:
    """The department's KPIs without an actual for the year (kpis.reminders decides what counts)."""
    for reminder in missing_by_department(plan, fiscal_year):
        if reminder.department.pk == department.pk:
            return reminder.missing
    return []


STATUS_NOTES = {
    DepartmentReport.Status.OPEN: "入力して保存し、すべて入力したら提出してください",
    DepartmentReport.Status.SUBMITTED: "推進本部の確認待ちです。提出後は変更できません（直すときは推進本部に差戻しを依頼してください）",
    DepartmentReport.Status.APPROVED: "推進本部が承認しました。変更は推進本部に依頼してください",
    DepartmentReport.Status.RETURNED: "推進本部から差し戻されました。直して保存し、もう一度提出してください",
}


def my_reports(user, plan, fiscal_year) -> list[dict]:
    """The user's departments that report in this plan: each with its report, state, a note saying what
    it means, whether it may submit now, and (when asked) its blank KPIs."""
    departments = workflow.plan_departments(plan).filter(pk__in=access.user_departments(user)).order_by("name")
    reports = {
        r.department_id: r
        for r in DepartmentReport.objects.filter(plan_year__plan=plan, plan_year__fiscal_year=fiscal_year)
    }
    year_status = workflow.year_status(plan, fiscal_year)
    late = set()
    if year_status == PlanYear.Status.PUBLISHED:
        late = set(workflow.unreported_departments(plan, fiscal_year).values_list("pk", flat=True))
    blank = {r.department.pk: r.missing for r in missing_by_department(plan, fiscal_year)} if departments else {}
    rows = []
    for department in departments:
        report = reports.get(department.pk)
        status = report.status if report else DepartmentReport.Status.OPEN
        open_year = year_status == PlanYear.Status.OPEN or department.pk in late
        rows.append(
            {
                "department": department,
                "report": report,
                "status": status,
                "status_label": DepartmentReport.Status(status).label,
                "note": STATUS_NOTES[status],
                "late": department.pk in late,
                "can_submit": open_year and status in (DepartmentReport.Status.OPEN, DepartmentReport.Status.RETURNED),
                "blank": blank.get(department.pk, []),
            }
        )
    return rows


def staff_tasks(user) -> dict:
    """The staff home page's list: the user's departments' reports HQ returned (with the reason), and for
    HQ the reports waiting for review. Two queries."""
    returned = (
        DepartmentReport.objects.filter(
            department__in=access.user_departments(user), status=DepartmentReport.Status.RETURNED
        )
        .select_related("department", "plan_year__plan__municipality")
        .order_by("-reviewed_at")
    )
    waiting = DepartmentReport.objects.none()
    if access.is_hq(user):
        plans = (
            Plan.objects.all()
            if access.is_superuser(user)
            else Plan.objects.filter(municipality__in=access.hq_municipalities(user))
        )
        waiting = (
            DepartmentReport.objects.filter(plan_year__plan__in=plans, status=DepartmentReport.Status.SUBMITTED)
            .select_related("department", "plan_year__plan__municipality")
            .order_by("submitted_at")
        )
    return {"returned": list(returned), "waiting": list(waiting)}
