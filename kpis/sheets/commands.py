"""What the spreadsheet commands share: finding the plan, the user and the fiscal year."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from plans.models import Plan


def find_plan(municipality: str, plan: str) -> Plan:
    """The plan by municipality slug or code and plan slug."""
    found = Plan.objects.select_related("municipality").filter(slug=plan)
    found = (
        found.filter(municipality__code=municipality)
        if municipality.isdigit()
        else found.filter(municipality__slug=municipality)
    )
    result = found.first()
    if result is None:
        raise CommandError(f"計画「{plan}」（団体 {municipality}）が見つかりません")
    return result


def find_user(username: str | None):
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise CommandError(f"利用者「{username}」が見つかりません") from None


def check_year(plan: Plan, fiscal_year: int) -> None:
    if not plan.accepts_fiscal_year(fiscal_year):
        raise CommandError(f"{fiscal_year} 年度は計画期間（{plan.period_start_fy}〜{plan.period_end_fy}）の外です")
