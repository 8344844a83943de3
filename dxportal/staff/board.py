"""HQ's board: each department's progress for a plan year, with approve / return / publish / lock and the
taking back of a mistaken publication (公表の取消).

Publishing asks first when something is missing: the board names the departments that have not
submitted and the KPIs still without an actual (kpis.workflow.publication_gaps), and publishes only once
HQ confirms. Values saved against a plausibility warning are listed for HQ to look at before publishing.
Every write goes through kpis.workflow, which checks the roles again.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from kpis import workflow
from kpis.models import DepartmentReport, Indicator, IndicatorValue, PlanYear
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
        fiscal_year = int(request.GET.get("fy") or request.POST.get("fy") or workflow.current_entry_year(plan))
    except ValueError:
        fiscal_year = workflow.current_entry_year(plan)
    if not plan.accepts_fiscal_year(fiscal_year):
        fiscal_year = workflow.current_entry_year(plan)
    return plan, fiscal_year


def back(name: str, plan, fiscal_year, **query) -> HttpResponseRedirect:
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return HttpResponseRedirect(f"{reverse(name)}?plan={plan.pk}&fy={fiscal_year}{extra}")


@dataclass
class BoardRow:
    department: Department
    total: int = 0
    entered: int = 0
    report: DepartmentReport | None = None
    unreported_at_publication: bool = False  # missing when the year was published, not submitted since

    @property
    def missing(self) -> int:
        return self.total - self.entered

    @property
    def status(self) -> str:
        return self.report.status if self.report else DepartmentReport.Status.OPEN


def reporting_indicators(plan):
    """The KPIs departments report on: current KPIs of measures (as kpis.reminders counts them)."""
    return Indicator.objects.filter(plan=plan, measure__isnull=False, retired_in__isnull=True).exclude(
        kind=Indicator.Kind.PLACEHOLDER
    )


def _entered(fiscal_year):
    return Count("pk", filter=Q(values__fiscal_year=fiscal_year) & ~Q(values__actual_text=""), distinct=True)


def board_rows(plan, fiscal_year) -> list[BoardRow]:
    """Per department: current KPIs it owns, how many have this year's actual, and its report. Four queries."""
    counts = (
        reporting_indicators(plan)
        .values("measure__ownerships__department")
        .annotate(total=Count("pk", distinct=True), entered=_entered(fiscal_year))
    )
    by_department = {c["measure__ownerships__department"]: c for c in counts if c["measure__ownerships__department"]}
    reports = {
        r.department_id: r
        for r in DepartmentReport.objects.filter(plan_year__plan=plan, plan_year__fiscal_year=fiscal_year)
    }
    unreported = set(workflow.unreported_departments(plan, fiscal_year).values_list("pk", flat=True))
    departments = Department.objects.filter(pk__in=by_department).order_by("name")
    return [
        BoardRow(d, by_department[d.pk]["total"], by_department[d.pk]["entered"], reports.get(d.pk), d.pk in unreported)
        for d in departments
    ]


def board_totals(plan, fiscal_year, rows: list[BoardRow]) -> dict:
    """The 合計 row. A KPI of a measure shared by two 課 is in both rows but counted once here."""
    counts = reporting_indicators(plan).aggregate(total=Count("pk", distinct=True), entered=_entered(fiscal_year))
    return {
        "total": counts["total"],
        "entered": counts["entered"],
        "missing": counts["total"] - counts["entered"],
        "submitted": sum(r.status == DepartmentReport.Status.SUBMITTED for r in rows),
        "returned": sum(r.status == DepartmentReport.Status.RETURNED for r in rows),
    }


def confirmed_warnings(plan, fiscal_year):
    """The year's values saved against a plausibility warning, for HQ to look at (one query)."""
    return (
        IndicatorValue.objects.filter(indicator__plan=plan, fiscal_year=fiscal_year)
        .exclude(confirmed_warning="")
        .select_related("indicator__measure", "indicator__category")
        .order_by("indicator__measure__position", "indicator__position")
    )


BOARD_ACTIONS = {"approve", "return", "publish", "unpublish", "lock"}


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
        return run_board_action(request, plan, fiscal_year)
    rows = board_rows(plan, fiscal_year)
    year_status = workflow.year_status(plan, fiscal_year)
    asking = request.GET.get("confirm") == "publish" and year_status == PlanYear.Status.OPEN
    context = {
        **admin_site.each_context(request),
        "title": f"進捗ボード: {plan.title} {fy_label(fiscal_year)}",
        "plans": plans,
        "plan": plan,
        "fiscal_year": fiscal_year,
        "fiscal_years": plan.fiscal_years,
        "rows": rows,
        "totals": board_totals(plan, fiscal_year, rows),
        "year_status": year_status,
        "gaps": workflow.publication_gaps(plan, fiscal_year) if asking else None,
        "confirmed_warnings": confirmed_warnings(plan, fiscal_year),
        "unreported": [row.department for row in rows if row.unreported_at_publication],
    }
    return TemplateResponse(request, "admin/kpis/board.html", context)


def run_board_action(request, plan, fiscal_year) -> HttpResponseRedirect:
    action, user = request.POST.get("action"), request.user
    if action not in BOARD_ACTIONS:
        messages.error(request, "不明な操作です")
        return back("admin:kpis_board", plan, fiscal_year)
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
            asks = not request.POST.get("confirmed") and not workflow.pending_reports(plan, fiscal_year).exists()
            if asks and workflow.publication_gaps(plan, fiscal_year):
                return back("admin:kpis_board", plan, fiscal_year, confirm="publish")  # ask first, naming the gaps
            workflow.publish_year(user, plan, fiscal_year)
            messages.success(request, f"{fy_label(fiscal_year)}を公表しました")
        elif action == "unpublish":
            workflow.unpublish_year(user, plan, fiscal_year, request.POST.get("reason", ""))
            messages.success(request, f"{fy_label(fiscal_year)}の公表を取り消しました（受付中に戻りました）")
        else:
            workflow.lock_year(user, plan, fiscal_year)
            messages.success(request, f"{fy_label(fiscal_year)}を確定（ロック）しました")
    except PermissionDenied as error:
        messages.error(request, str(error) or "権限がありません")
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
    return back("admin:kpis_board", plan, fiscal_year)
