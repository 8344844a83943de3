"""Which indicators and values a user may see and update, and whether a value may change now.

Staff update exactly the values they see, so one scope serves both; year locks and report states are
the workflow's part of the rule (``can_update_value``)."""

from django.db.models import Q

from kpis.models import Indicator, IndicatorValue, PlanYear
from kpis.workflow import staff_departments_blocked, year_status
from measures.access import owned_measure_ids
from plans import access
from plans.ownership import of_municipalities


def indicator_scope(user, prefix: str = "") -> Q:
    """Indicators the user may see: HQ all of its municipality's, staff the KPIs of their measures."""
    if access.is_superuser(user):
        return Q()
    if not access.is_active(user):
        return access.NOTHING
    hq = of_municipalities(Indicator, access.hq_municipalities(user), prefix=prefix)
    staff = Q(**{f"{prefix}measure__in": owned_measure_ids(user)})
    return hq | staff


def can_update_value(user, value) -> bool:
    """May the user change this value's actual, note and evidence now?

    Needs scope (HQ of the municipality, or staff of an owning department), a year that is not locked,
    and, for staff, a department report that is not waiting for or past HQ review.
    """
    if not IndicatorValue.objects.visible_to(user).filter(pk=value.pk).exists():
        return False
    plan = value.indicator.plan
    if year_status(plan, value.fiscal_year) == PlanYear.Status.LOCKED:
        return False
    if access.is_hq(user, plan.municipality_id):
        return True
    return not staff_departments_blocked(user, value)
