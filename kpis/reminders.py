"""Which KPIs each department still has to enter for a plan year, and the reminder e-mail listing them."""

from dataclasses import dataclass, field

from django.core.mail import send_mail
from django.db.models import Exists, OuterRef, Q

from kpis.models import Indicator, IndicatorValue
from measures.models import MeasureDepartment
from plans.fiscal import label as fy_label


@dataclass
class Reminder:
    department: object
    missing: list[Indicator] = field(default_factory=list)


def missing_by_department(plan, fiscal_year: int) -> list[Reminder]:
    """Departments with current KPIs that have no actual for the year, each with those KPIs. Two queries."""
    entered = IndicatorValue.objects.filter(indicator=OuterRef("pk"), fiscal_year=fiscal_year).exclude(actual_text="")
    missing = (
        Indicator.objects.filter(plan=plan, measure__isnull=False, retired_in__isnull=True)
        .exclude(kind=Indicator.Kind.PLACEHOLDER)
        .filter(~Q(Exists(entered)))
        .select_related("measure")
        .order_by("measure__position", "position")
    )

    indicators = list(missing)
    owners = MeasureDepartment.objects.filter(measure__in={i.measure_id for i in indicators}).select_related(
        "department"
    )
    by_measure: dict[int, list] = {}
    for ownership in owners:
        by_measure.setdefault(ownership.measure_id, []).append(ownership.department)
    reminders: dict[int, Reminder] = {}
    for indicator in indicators:
        for department in by_measure.get(indicator.measure_id, []):
            reminders.setdefault(department.pk, Reminder(department)).missing.append(indicator)
    return sorted(reminders.values(), key=lambda r: r.department.name)


def reminder_text(plan, fiscal_year: int, reminder: Reminder, entry_url: str) -> tuple[str, str]:
    subject = f"【{plan.title}】{fy_label(fiscal_year)}の実績が未入力の指標（{len(reminder.missing)}件）"
    lines = [
        f"{reminder.department} ご担当者様",
        "",
        f"{plan.municipality.name}「{plan.title}」の{fy_label(fiscal_year)}の実績について、次の指標が未入力です。",
        "",
    ]
    lines += [
        f"- {i.measure.code} {i.measure.name}: {i.name}" + (f"（単位: {i.unit}）" if i.unit else "")
        for i in reminder.missing
    ]
    lines += ["", f"入力画面: {entry_url}", "", "DX推進本部"]
    return subject, "\n".join(lines)


def send_reminders(
    plan, fiscal_year: int, *, entry_url: str, dry_run: bool = False
) -> tuple[list[Reminder], list[Reminder]]:
    """Mail every department that has missing KPIs; return (sent, skipped for lack of an address)."""
    sent, skipped = [], []
    for reminder in missing_by_department(plan, fiscal_year):
        if not reminder.department.email:
            skipped.append(reminder)
            continue
        subject, body = reminder_text(plan, fiscal_year, reminder, entry_url)
        if not dry_run:
            send_mail(subject, body, None, [reminder.department.email])
        sent.append(reminder)
    return sent, skipped
