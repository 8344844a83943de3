"""The workflow of a plan: publishing the plan itself, and its yearly reporting (department reports, HQ
review, publication and locking of a year).

A plan arrives as a draft (import_plan, 計画の取込): only its own staff see it, in the preview. HQ of its
municipality publishes it (``publish_plan``): its pages, sitemaps, open data and static files then show it.

Per plan × fiscal year (``PlanYear``): open → published → locked; published → open again when HQ takes
a mistaken publication back (``unpublish_year``, 公表の取消, audited with its reason).
Per department inside it (``DepartmentReport``): open → submitted → approved, or returned (差戻し, with a
comment) → submitted again. A year is published once no report waits for review; publishing makes the
year's actuals and marks public (kpis.visibility). HQ may publish before every department has submitted
(``publication_gaps`` names them and the KPIs still empty, for the board to ask first): those departments
are recorded (``PlanYear.unreported_at_publication``), the public summary says so, and they may still
enter and submit their report late, until the year is locked (``unreported_departments``). A locked year
is read-only everywhere; only HQ may correct a value, with a reason, and the change is shown publicly as
訂正.

Every transition checks permissions (``PermissionDenied``) and state (``WorkflowError``) and says in
Japanese what was wrong.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kpis import audit
from kpis.models import DepartmentReport, IndicatorValue, PlanYear
from kpis.reminders import Reminder, missing_by_department
from kpis.services import recompute_plan_marks
from measures.models import MeasureDepartment
from plans import access
from plans.fiscal import label as fy_label
from plans.generations import bump_after_commit
from plans.models import Department, Plan

Report = DepartmentReport.Status
Year = PlanYear.Status


class WorkflowError(Exception):
    """A transition that the current state does not allow."""


def year_status(plan, fiscal_year: int) -> str:
    status = PlanYear.objects.filter(plan=plan, fiscal_year=fiscal_year).values_list("status", flat=True).first()
    return status or Year.OPEN


def _plan_for_update(plan) -> Plan:
    return Plan.objects.select_for_update().select_related("municipality").get(pk=plan.pk)


@transaction.atomic
def publish_plan(*, user, plan) -> Plan:
    """Publish a draft plan: residents see its pages from the commit on (the cached pages of its
    municipality and the index pages are rendered again, the static files written again)."""
    if not access.can_publish(user, plan):
        raise PermissionDenied("計画を公開する権限がありません（その団体の推進本部のみ）")
    plan = _plan_for_update(plan)
    if plan.status == Plan.Status.PUBLISHED:
        raise WorkflowError(f"{plan.title}は既に公開されています")
    if not plan.measures.exists():
        raise WorkflowError(f"{plan.title}には取組が1つもないため公開できません（計画の取込で取組を入れてください）")
    plan.status = Plan.Status.PUBLISHED
    audit.record(plan, user=user, source="publication", reason="公開")
    plan.save(update_fields=["status"])
    bump_after_commit(plan.municipality_id)
    return plan


@transaction.atomic
def withdraw_plan(*, user, plan) -> Plan:
    """Take a published plan off the public site again (a draft: only its staff see it, in the preview)."""
    if not access.can_publish(user, plan):
        raise PermissionDenied("計画の公開を取りやめる権限がありません（その団体の推進本部のみ）")
    plan = _plan_for_update(plan)
    if plan.status != Plan.Status.PUBLISHED:
        raise WorkflowError(f"{plan.title}は公開されていません（下書きです）")
    plan.status = Plan.Status.DRAFT
    audit.record(plan, user=user, source="publication", reason="下書きに戻す")
    plan.save(update_fields=["status"])
    bump_after_commit(plan.municipality_id)
    return plan


def plan_year(plan, fiscal_year: int, user=None) -> PlanYear:
    """The year's state row, locked for this transaction; created (open) on first use."""
    if not plan.accepts_fiscal_year(fiscal_year):
        raise WorkflowError(f"{fy_label(fiscal_year)}はこの計画の期間外です")
    year = PlanYear.objects.select_for_update().filter(plan=plan, fiscal_year=fiscal_year).first()
    if year is None:
        year = _save(PlanYear(plan=plan, fiscal_year=fiscal_year), user, "受付開始")
    return year


def plan_departments(plan):
    """Departments that own at least one measure with a KPI in the plan (the ones that report)."""
    return Department.objects.filter(ownerships__measure__plan=plan, ownerships__measure__kpis__isnull=False).distinct()


def entry_blockers(user, plan, fiscal_year: int):
    """A function indicator → why the user may not enter its actual this year (None = allowed).

    Reads the year and report states once, so checking a whole entry screen costs two queries.
    """
    status = year_status(plan, fiscal_year)
    if status == Year.LOCKED:
        message = (
            f"{fy_label(fiscal_year)}は確定（ロック）済みのため変更できません（訂正は推進本部が理由を付けて行います）"
        )
        return lambda indicator: message
    if access.is_hq(user, plan.municipality_id):
        return lambda indicator: None
    mine = set(access.user_departments(user).values_list("pk", flat=True))
    if status == Year.PUBLISHED:
        # Only a department whose report was missing at publication may still enter (and submit) it.
        mine &= set(unreported_departments(plan, fiscal_year).values_list("pk", flat=True))
        if not mine:
            message = f"{fy_label(fiscal_year)}は公表済みのため、変更は推進本部に依頼してください"
            return lambda indicator: message
    blocked = set(
        DepartmentReport.objects.filter(
            plan_year__plan=plan,
            plan_year__fiscal_year=fiscal_year,
            department__in=mine,
            status__in=[Report.SUBMITTED, Report.APPROVED],
        ).values_list("department_id", flat=True)
    )
    owners: dict[int, set[int]] = {}
    for measure_id, department_id in MeasureDepartment.objects.filter(
        measure__plan=plan, department__in=mine
    ).values_list("measure_id", "department_id"):
        owners.setdefault(measure_id, set()).add(department_id)
    message = "担当課の報告が提出済みのため変更できません（差戻し後に修正できます）"

    def blocker(indicator):
        open_owners = owners.get(indicator.measure_id, set()) - blocked
        return None if open_owners or not owners.get(indicator.measure_id) else message

    return blocker


def staff_departments_blocked(user, value) -> bool:
    indicator = value.indicator
    return entry_blockers(user, indicator.plan, value.fiscal_year)(indicator) is not None


def _report(plan, fiscal_year, department, user) -> DepartmentReport:
    """The department's report row (unsaved when new: the first save is then the transition itself)."""
    year = plan_year(plan, fiscal_year, user)
    report = DepartmentReport.objects.select_for_update().filter(plan_year=year, department=department).first()
    return report or DepartmentReport(plan_year=year, department=department)


def _save(obj, user, reason=""):
    audit.record(obj, user=user, source="workflow", reason=reason)
    obj.save()
    return obj


@transaction.atomic
def submit(user, plan, fiscal_year: int, department) -> DepartmentReport:
    """A department submits its actuals of the year for HQ review."""
    is_member = access.user_departments(user).filter(pk=department.pk).exists()
    if (
        not (is_member or access.is_hq(user, plan.municipality_id))
        or department.municipality_id != plan.municipality_id
    ):
        raise PermissionDenied(f"{department}の報告を提出する権限がありません")
    status = year_status(plan, fiscal_year)
    late = status == Year.PUBLISHED and unreported_departments(plan, fiscal_year).filter(pk=department.pk).exists()
    if status != Year.OPEN and not late:
        raise WorkflowError(f"{fy_label(fiscal_year)}は公表済みのため提出できません")
    if not plan_departments(plan).filter(pk=department.pk).exists():
        raise WorkflowError(f"{department}はこの計画の指標を担当していません")
    report = _report(plan, fiscal_year, department, user)
    if report.status not in (Report.OPEN, Report.RETURNED):
        raise WorkflowError(
            f"{department}の報告は{report.get_status_display()}です（提出できるのは入力中か差戻しのとき）"
        )
    report.status, report.submitted_by, report.submitted_at = Report.SUBMITTED, user, timezone.now()
    if late:  # the public summary no longer counts it as missing
        bump_after_commit(plan.municipality_id)
    return _save(report, user, "公表後の提出" if late else "提出")


def _review(user, report: DepartmentReport, allowed: tuple[str, ...], verb: str, *, late_too: bool = False):
    """``late_too``: also a report that came in after the year was published (recorded as missing then)."""
    plan = report.plan_year.plan
    if not access.can_review(user, plan):
        raise PermissionDenied(f"{report.department}の報告を{verb}する権限がありません（推進本部のみ）")
    year = report.plan_year
    late = (
        late_too
        and year.status == Year.PUBLISHED
        and year.unreported_at_publication.filter(pk=report.department_id).exists()
    )
    if year.status != Year.OPEN and not late:
        raise WorkflowError(f"{fy_label(year.fiscal_year)}は公表済みのため{verb}できません")
    if report.status not in allowed:
        raise WorkflowError(f"{report.department}の報告は{report.get_status_display()}のため{verb}できません")


@transaction.atomic
def approve(user, report: DepartmentReport) -> DepartmentReport:
    """HQ accepts a submitted report, never its own: the approver is someone other than the submitter
    (HQ may submit for a department; another HQ member or a superuser then approves)."""
    _review(user, report, (Report.SUBMITTED,), "承認", late_too=True)
    if report.submitted_by_id is not None and report.submitted_by_id == user.pk:
        raise WorkflowError(
            f"{report.department}の報告は自分で提出したため承認できません（提出者以外の推進本部の職員が承認します）"
        )
    report.status, report.reviewed_by, report.reviewed_at = Report.APPROVED, user, timezone.now()
    return _save(report, user, "承認")


@transaction.atomic
def return_(user, report: DepartmentReport, comment: str) -> DepartmentReport:
    """HQ sends a submitted (or approved) report back to the department with a comment (差戻し)."""
    _review(user, report, (Report.SUBMITTED, Report.APPROVED), "差戻し")
    if not comment.strip():
        raise WorkflowError("差戻しの理由を入力してください")
    report.status, report.comment = Report.RETURNED, comment.strip()
    report.reviewed_by, report.reviewed_at = user, timezone.now()
    return _save(report, user, f"差戻し: {comment.strip()}")


@transaction.atomic
def publish_year(user, plan, fiscal_year: int) -> PlanYear:
    """Make the year's actuals and marks public; refused while a department report awaits review."""
    if not access.can_publish(user, plan):
        raise PermissionDenied("年度を公表する権限がありません（推進本部のみ）")
    year = plan_year(plan, fiscal_year, user)
    if year.status != Year.OPEN:
        raise WorkflowError(f"{fy_label(fiscal_year)}は既に{year.get_status_display()}です")
    pending = list(pending_reports(plan, fiscal_year).select_related("department").order_by("department__name"))
    if pending:
        names = "、".join(f"{r.department}（{r.get_status_display()}）" for r in pending)
        raise WorkflowError(f"確認が終わっていない担当課があるため公表できません: {names}")
    unsubmitted = publication_gaps(plan, fiscal_year).unsubmitted
    year.status, year.published_by, year.published_at = Year.PUBLISHED, user, timezone.now()
    names = "、".join(str(department) for department in unsubmitted)
    _save(year, user, f"公表（報告のない担当課: {names}）" if unsubmitted else "公表")
    year.unreported_at_publication.set(unsubmitted)
    bump_after_commit(plan.municipality_id)
    return year


def pending_reports(plan, fiscal_year: int):
    """Reports HQ has yet to finish with (submitted, or returned and not submitted again): they hold the
    year's publication back."""
    return DepartmentReport.objects.filter(
        plan_year__plan=plan, plan_year__fiscal_year=fiscal_year, status__in=[Report.SUBMITTED, Report.RETURNED]
    )


@transaction.atomic
def unpublish_year(user, plan, fiscal_year: int, reason: str) -> PlanYear:
    """公表の取消: take a mistaken publication back before the year is locked. The year is open again
    (actuals and marks no longer public, the public pages and static files follow after the commit);
    the reports keep their states; the reason is kept in the year's history."""
    if not access.can_publish(user, plan):
        raise PermissionDenied("年度の公表を取り消す権限がありません（推進本部のみ）")
    if not reason.strip():
        raise WorkflowError("公表を取り消す理由を入力してください")
    year = plan_year(plan, fiscal_year, user)
    if year.status != Year.PUBLISHED:
        raise WorkflowError(
            f"{fy_label(fiscal_year)}は{year.get_status_display()}です（取り消せるのは確定前の公表済みの年度）"
        )
    year.status, year.published_by, year.published_at = Year.OPEN, None, None
    _save(year, user, f"公表の取消: {reason.strip()}")
    year.unreported_at_publication.clear()
    bump_after_commit(plan.municipality_id)
    return year


@dataclass
class PublicationGaps:
    """What is still missing of a plan year: departments that have not submitted, KPIs without an actual."""

    unsubmitted: list  # Department, by name: no report yet, or still 入力中
    blank: list[Reminder]  # per department, its KPIs without an actual (kpis.reminders)

    @property
    def blank_count(self) -> int:
        """KPIs without an actual, each once (a KPI of a measure two departments share is in both lists)."""
        return len({indicator.pk for reminder in self.blank for indicator in reminder.missing})

    def __bool__(self) -> bool:
        return bool(self.unsubmitted or self.blank)


def publication_gaps(plan, fiscal_year: int) -> PublicationGaps:
    """The departments that report in the plan but have not submitted the year's report, and the KPIs
    still without an actual (three queries)."""
    unsubmitted = list(plan_departments(plan).exclude(pk__in=_reported(plan, fiscal_year)).order_by("name"))
    return PublicationGaps(unsubmitted, missing_by_department(plan, fiscal_year))


def unreported_departments(plan, fiscal_year: int):
    """The departments recorded as missing when the year was published that have not submitted since: the
    public summary names their number (「N 課の報告が未提出のまま公表」). One query."""
    recorded = Department.objects.filter(unreported_years__plan=plan, unreported_years__fiscal_year=fiscal_year)
    return recorded.exclude(pk__in=_reported(plan, fiscal_year))


def _reported(plan, fiscal_year: int):
    """The ids of the departments that have submitted the year's report (a subquery)."""
    return DepartmentReport.objects.filter(
        plan_year__plan=plan, plan_year__fiscal_year=fiscal_year, status__in=[Report.SUBMITTED, Report.APPROVED]
    ).values("department_id")


@transaction.atomic
def lock_year(user, plan, fiscal_year: int) -> PlanYear:
    """Close a published year: its values become read-only (corrections only)."""
    if not access.can_lock(user, plan):
        raise PermissionDenied("年度を確定（ロック）する権限がありません（推進本部のみ）")
    year = plan_year(plan, fiscal_year, user)
    if year.status != Year.PUBLISHED:
        raise WorkflowError(f"{fy_label(fiscal_year)}は{year.get_status_display()}です（確定できるのは公表済みの年度）")
    year.status, year.locked_by, year.locked_at = Year.LOCKED, user, timezone.now()
    _save(year, user, "確定")
    bump_after_commit(plan.municipality_id)
    return year


@transaction.atomic
def correct_locked_value(
    user, value: IndicatorValue, actual_text: str, reason: str, *, loaded: str | None = None
) -> IndicatorValue:
    """HQ corrects the actual of a locked year; the reason is kept and the change shows publicly as 訂正.

    ``loaded``: the actual as the corrector saw it; refused if someone corrected it meanwhile.
    """
    from kpis.entry import MAX_TEXT, conflict_message, is_formula_entry, number_problem, parse_actual

    plan = value.indicator.plan
    if not access.can_correct(user, plan):
        raise PermissionDenied("確定した年度の値を訂正する権限がありません（推進本部のみ）")
    if year_status(plan, value.fiscal_year) != Year.LOCKED:
        raise WorkflowError(
            f"{fy_label(value.fiscal_year)}は確定（ロック）されていません（通常の入力で変更してください）"
        )
    if not reason.strip():
        raise WorkflowError("訂正の理由を入力してください")
    text = actual_text.strip()
    if is_formula_entry(text):
        raise WorkflowError("「=」「+」「-」「@」で始まる値は数式とみなされるため入力できません")
    if len(text) > MAX_TEXT:
        raise WorkflowError(f"{MAX_TEXT}文字以内で入力してください")
    problem = number_problem(value.indicator, text)
    if problem:
        raise WorkflowError(problem[1])
    number, _ = parse_actual(value.indicator, text)
    value = IndicatorValue.objects.select_for_update().select_related("indicator").get(pk=value.pk)
    if loaded is not None and value.actual_text.strip() != loaded.strip():
        raise WorkflowError(conflict_message("実績", value.actual_text))
    if value.actual_text == text:
        raise WorkflowError("実績が変わっていません（訂正後の値を入力してください）")
    value.actual_text, value.actual_value = text, number
    audit.record(value, user=user, source="correction", reason=reason)
    value.save()
    recompute_plan_marks(plan, corrected_years=[value.fiscal_year])
    bump_after_commit(plan.municipality_id)
    return value


def current_entry_year(plan) -> int:
    """The first year of the plan (baseline year excluded) that is still open; else the last year."""
    closed = set(
        PlanYear.objects.filter(plan=plan).exclude(status=PlanYear.Status.OPEN).values_list("fiscal_year", flat=True)
    )
    open_years = [fy for fy in plan.fiscal_years if fy not in closed]
    return open_years[0] if open_years else plan.period_end_fy
