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
from kpis.entry import ActualEntry, EntryValidationError, save_entries
from kpis.models import DepartmentReport, Indicator, IndicatorValue
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
    rows = []
    for indicator in indicators:
        value = values.get((indicator.pk, fiscal_year))
        row = EntryRow(indicator, value, values.get((indicator.pk, fiscal_year - 1)), blocker(indicator))
        if value is not None:
            row.actual_text, row.note, row.evidence_url = value.actual_text, value.note, value.evidence_url
        rows.append(row)
    return rows


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
        editable = [row for row in rows if row.blocker is None]
        for row in editable:
            key = row.indicator.pk
            row.actual_text = request.POST.get(f"actual-{key}", "")
            row.note = request.POST.get(f"note-{key}", "")
            row.evidence_url = request.POST.get(f"url-{key}", "")
        entries = [ActualEntry(r.indicator.pk, fiscal_year, r.actual_text, r.note, r.evidence_url) for r in editable]
        try:
            result = save_entries(user, plan, fiscal_year, entries, source="entry")
        except EntryValidationError as error:
            for problem in error.errors:
                editable[problem.index].errors.setdefault(problem.field, []).append(problem.message)
            messages.error(request, f"{len(error.errors)}件の入力に誤りがあります。何も保存していません")
        else:
            messages.success(
                request,
                f"保存しました（新規 {result.created} 件、変更 {result.changed} 件、変更なし {result.unchanged} 件）",
            )
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
        rows.append({"department": department, "report": report, "status": report.status if report else "open"})
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
        "submitted": sum(r.status == "submitted" for r in rows),
        "returned": sum(r.status == "returned" for r in rows),
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
