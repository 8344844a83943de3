"""Two staff screens the stock admin lacks: the yearly entry screen and HQ's board.

Both are plain function views wrapped by the admin site (login, staff flag, CSRF); every write goes
through kpis.entry or kpis.workflow, which check the roles again.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from kpis import access as kpis_access
from kpis import workflow
from kpis.entry import ENTERED_FIELDS, ActualEntry, Entered, EntryValidationError, merge, save_entries
from kpis.models import DepartmentReport, Indicator, IndicatorValue, PlanYear
from kpis.workflow import current_entry_year
from plans import access
from plans.fiscal import label as fy_label
from plans.models import Department, Plan


def chosen_plan_and_year(request, plans):
    """The plan and fiscal year from ?plan=&fy=, defaulting to the first plan and its entry year."""
    plan_id = request.GET.get("plan") or request.POST.get("plan")
    plan = get_object_or_404(plans, pk=plan_id) if plan_id else plans.first()
    if plan is None:
        return None, None
    try:
        fiscal_year = int(request.GET.get("fy") or request.POST.get("fy") or current_entry_year(plan))
    except ValueError:
        fiscal_year = current_entry_year(plan)
    if not plan.accepts_fiscal_year(fiscal_year):
        fiscal_year = current_entry_year(plan)
    return plan, fiscal_year


def back(name: str, plan, fiscal_year) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?plan={plan.pk}&fy={fiscal_year}")


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
    one without a choice gets an error (and the save stops).
    """
    sent, entries = [], []
    for row in rows:
        key = row.indicator.pk
        if row.blocker is not None or f"actual-{key}" not in request.POST:
            continue
        typed = [request.POST.get(f"{FORM_NAMES[name]}-{key}", "") for name in ENTERED_FIELDS]
        row.actual_text, row.note, row.evidence_url = typed
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
        entries.append(ActualEntry(key, fiscal_year, *typed, loaded=row.loaded if None not in loaded else None))
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


def save_posted(request, user, plan, fiscal_year, rows: list[EntryRow]) -> bool:
    """Save the posted rows through save_entries; else False, with the errors and conflicts on the rows."""
    sent, entries = posted_entries(request, rows, fiscal_year)
    unchosen = [row for row in sent if row.conflicts]
    problems = []
    if not unchosen:
        try:
            result = save_entries(user, plan, fiscal_year, entries, source="entry")
        except EntryValidationError as error:
            problems = error.errors
        else:
            messages.success(
                request,
                f"保存しました（新規 {result.created} 件、変更 {result.changed} 件、変更なし {result.unchanged} 件）",
            )
            return True
    for problem in problems:
        row = sent[problem.index]
        row.errors.setdefault(problem.field, []).append(problem.message)
        if problem.code == "conflict":
            row.conflicts.append(Conflict(ENTERED_FIELDS[problem.field], problem.value.strip(), problem.current))
    in_conflict = [row for row in sent if row.conflicts]
    current = {
        v.indicator_id: Entered.of(v)
        for v in IndicatorValue.objects.filter(
            indicator__in=[r.indicator for r in in_conflict], fiscal_year=fiscal_year
        )
    }
    for row in in_conflict:
        # The fields the user did not change show the colleague's value; the current value becomes the
        # loaded one: both values are on the screen, so saving again is the user's choice.
        now = current.get(row.indicator.pk, Entered())
        typed = ActualEntry(row.indicator.pk, fiscal_year, row.actual_text, row.note, row.evidence_url, row.loaded)
        row.actual_text, row.note, row.evidence_url = vars(merge(typed, now)[0]).values()
        row.loaded = now
    if in_conflict:
        messages.error(
            request,
            f"{len(in_conflict)}行は、この画面を開いた後に他の利用者が変更しています。"
            "行ごとにどちらを残すか選んで、もう一度保存してください（何も保存していません）",
        )
    other = sum(problem.code != "conflict" for problem in problems)
    if other:
        messages.error(request, f"{other}件の入力に誤りがあります。何も保存していません")
    return False


def entry_view(request, admin_site):
    """Yearly entry screen: every KPI the user may update, saved in one go through save_entries."""
    user = request.user
    plans = Plan.objects.visible_to(user).select_related("municipality").distinct()
    plan, fiscal_year = chosen_plan_and_year(request, plans)
    if plan is None:
        raise PermissionDenied("入力できる計画がありません")
    rows = entry_rows(user, plan, fiscal_year)
    if request.method == "POST" and request.POST.get("action") == "submit":
        department = get_object_or_404(Department, pk=request.POST.get("department"))
        try:
            workflow.submit(user, plan, fiscal_year, department)
            messages.success(request, f"{department}の{fy_label(fiscal_year)}の実績を提出しました")
        except (PermissionDenied, workflow.WorkflowError) as error:
            messages.error(request, str(error))
        return back("admin:kpis_entry", plan, fiscal_year)
    if request.method == "POST":
        if save_posted(request, user, plan, fiscal_year, rows):
            return back("admin:kpis_entry", plan, fiscal_year)
    context = {
        **admin_site.each_context(request),
        "title": f"実績の入力: {plan.title} {fy_label(fiscal_year)}",
        "plans": plans,
        "plan": plan,
        "fiscal_year": fiscal_year,
        "fiscal_years": plan.fiscal_years,
        "rows": rows,
        "editable": any(row.blocker is None for row in rows),
        "year_status": workflow.year_status(plan, fiscal_year),
        "reports": my_reports(user, plan, fiscal_year),
    }
    return TemplateResponse(request, "admin/kpis/entry.html", context)


def my_reports(user, plan, fiscal_year):
    """(department, report status label, comment) for the user's departments that report in this plan."""
    departments = workflow.plan_departments(plan).filter(pk__in=access.user_departments(user)).order_by("name")
    reports = {
        r.department_id: r
        for r in DepartmentReport.objects.filter(plan_year__plan=plan, plan_year__fiscal_year=fiscal_year)
    }
    rows = []
    for department in departments:
        report = reports.get(department.pk)
        rows.append(
            {
                "department": department,
                "report": report,
                "status": report.status if report else DepartmentReport.Status.OPEN,
            }
        )
    return rows


@dataclass
class BoardRow:
    department: Department
    total: int = 0
    entered: int = 0
    report: DepartmentReport | None = None

    @property
    def missing(self) -> int:
        return self.total - self.entered

    @property
    def status(self) -> str:
        return self.report.status if self.report else DepartmentReport.Status.OPEN


def _board_indicators(plan):
    return Indicator.objects.filter(plan=plan, measure__isnull=False, retired_in__isnull=True).exclude(
        kind=Indicator.Kind.PLACEHOLDER
    )


def _entered(fiscal_year):
    return Count("pk", filter=Q(values__fiscal_year=fiscal_year) & ~Q(values__actual_text=""), distinct=True)


def board_rows(plan, fiscal_year) -> list[BoardRow]:
    """Per department: current KPIs it owns, how many have this year's actual, and its report. Three queries."""
    counts = (
        _board_indicators(plan)
        .values("measure__ownerships__department")
        .annotate(total=Count("pk", distinct=True), entered=_entered(fiscal_year))
    )
    by_department = {c["measure__ownerships__department"]: c for c in counts if c["measure__ownerships__department"]}
    reports = {
        r.department_id: r
        for r in DepartmentReport.objects.filter(plan_year__plan=plan, plan_year__fiscal_year=fiscal_year)
    }
    departments = Department.objects.filter(pk__in=by_department).order_by("name")
    return [
        BoardRow(d, by_department[d.pk]["total"], by_department[d.pk]["entered"], reports.get(d.pk))
        for d in departments
    ]


def board_totals(plan, fiscal_year, rows: list[BoardRow]) -> dict:
    """The 合計 row. A KPI of a measure shared by two 課 is in both rows but counted once here."""
    counts = _board_indicators(plan).aggregate(total=Count("pk", distinct=True), entered=_entered(fiscal_year))
    return {
        "total": counts["total"],
        "entered": counts["entered"],
        "missing": counts["total"] - counts["entered"],
        "submitted": sum(r.status == DepartmentReport.Status.SUBMITTED for r in rows),
        "returned": sum(r.status == DepartmentReport.Status.RETURNED for r in rows),
    }


BOARD_ACTIONS = {"approve", "return", "publish", "lock"}


def board_view(request, admin_site):
    """HQ board: each department's progress for a plan year, with approve / return / publish / lock."""
    user = request.user
    plans = Plan.objects.filter(
        Q() if access.is_superuser(user) else Q(municipality__in=access.hq_municipalities(user))
    ).select_related("municipality")
    if not access.is_hq(user):
        raise PermissionDenied("推進本部のみ利用できます")
    plan, fiscal_year = chosen_plan_and_year(request, plans)
    if plan is None:
        raise PermissionDenied("計画がありません")
    if request.method == "POST":
        run_board_action(request, plan, fiscal_year)
        return back("admin:kpis_board", plan, fiscal_year)
    rows = board_rows(plan, fiscal_year)
    context = {
        **admin_site.each_context(request),
        "title": f"進捗ボード: {plan.title} {fy_label(fiscal_year)}",
        "plans": plans,
        "plan": plan,
        "fiscal_year": fiscal_year,
        "fiscal_years": plan.fiscal_years,
        "rows": rows,
        "totals": board_totals(plan, fiscal_year, rows),
        "year_status": workflow.year_status(plan, fiscal_year),
    }
    return TemplateResponse(request, "admin/kpis/board.html", context)


def run_board_action(request, plan, fiscal_year) -> None:
    action, user = request.POST.get("action"), request.user
    if action not in BOARD_ACTIONS:
        messages.error(request, "不明な操作です")
        return
    try:
        if action in ("approve", "return"):
            report = get_object_or_404(
                DepartmentReport.objects.select_related("plan_year__plan", "department"),
                plan_year__plan=plan,
                plan_year__fiscal_year=fiscal_year,
                department_id=request.POST.get("department"),
            )
            if action == "approve":
                workflow.approve(user, report)
                messages.success(request, f"{report.department}の報告を承認しました")
            else:
                workflow.return_(user, report, request.POST.get("comment", ""))
                messages.success(request, f"{report.department}の報告を差し戻しました")
        elif action == "publish":
            workflow.publish_year(user, plan, fiscal_year)
            messages.success(request, f"{fy_label(fiscal_year)}を公表しました")
        else:
            workflow.lock_year(user, plan, fiscal_year)
            messages.success(request, f"{fy_label(fiscal_year)}を確定（ロック）しました")
    except PermissionDenied as error:
        messages.error(request, str(error) or "権限がありません")
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
