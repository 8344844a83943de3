"""Who may see and change what: the one place the portal's roles are decided.

Three roles, all modelled as rows rather than Django groups so that scope travels with the role:

- **superuser**: everything;
- **HQ** (DX推進本部, ``HQMembership``): every plan of its municipality, definitions and targets included,
  and the workflow (approve, return, publish, lock, correct a locked year); nothing of another municipality;
- **department staff** (担当課, ``StaffMembership``): read the plans of its municipality, and update only the
  yearly fields (actual, note, evidence, qualitative-mark confirmation) of the KPIs of measures its
  departments own. Definitions and targets are HQ-only.

This module holds the roles and the plan-level rules; the same pattern continues upward in the domain:
``measures.access.measure_scope`` (owned measures) and ``kpis.access`` (indicators, values, and
``can_update_value``, which combines scope with the year's workflow state). QuerySet methods
(``Plan.objects.visible_to``, ``Measure.objects.visible_to``, ``IndicatorValue.objects.visible_to``)
filter with these ``*_scope`` Q objects; admin classes, the entry service, workflow services, imports
and exports all ask the ``can_*`` functions.
"""

from django.db.models import Q, QuerySet

from plans.models import Department, Municipality, Plan
from plans.ownership import of_municipalities

NOTHING = Q(pk__in=[])


def is_active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def user_departments(user) -> QuerySet[Department]:
    """Departments a staff user belongs to (empty for anonymous and inactive users)."""
    if not is_active(user):
        return Department.objects.none()
    return Department.objects.filter(staff_memberships__user=user)


def hq_municipalities(user) -> QuerySet[Municipality]:
    """Municipalities whose DX HQ the user belongs to (empty for anonymous and inactive users)."""
    if not is_active(user):
        return Municipality.objects.none()
    return Municipality.objects.filter(hq_memberships__user=user)


def is_superuser(user) -> bool:
    return is_active(user) and user.is_superuser


def role_ids(user) -> tuple[frozenset[int], frozenset[int]]:
    """(HQ municipality ids, department ids) of the user, read once per user object.

    The admin asks about roles dozens of times per page (every model's permissions); the user object
    lives for one request, so caching on it keeps a page's query count flat.
    """
    if not is_active(user):
        return frozenset(), frozenset()
    cached = getattr(user, "_dx_role_ids", None)
    if cached is None:
        cached = (
            frozenset(hq_municipalities(user).values_list("pk", flat=True)),
            frozenset(user_departments(user).values_list("pk", flat=True)),
        )
        user._dx_role_ids = cached
    return cached


def is_hq(user, municipality_id: int | None = None) -> bool:
    """Is the user HQ (of that municipality, when given)? Superusers count as HQ everywhere."""
    if is_superuser(user):
        return True
    municipalities, _ = role_ids(user)
    return bool(municipalities) if municipality_id is None else municipality_id in municipalities


def has_role(user) -> bool:
    """May the user use the staff site at all?"""
    municipalities, departments = role_ids(user)
    return is_superuser(user) or bool(municipalities or departments)


# Q objects, relative to each model, for the rows a user may see or update.


def plan_scope(user, prefix: str = "") -> Q:
    """Plans of the user's HQ municipalities and of the municipalities of their departments."""
    if is_superuser(user):
        return Q()
    if not is_active(user):
        return NOTHING
    return of_municipalities(Plan, hq_municipalities(user), prefix=prefix) | of_municipalities(
        Plan, user_departments(user).values("municipality"), prefix=prefix
    )


# Yes/no questions about one object.


def can_view_plan(user, plan) -> bool:
    return Plan.objects.filter(plan_scope(user), pk=plan.pk).exists()


def can_edit_definitions(user, plan) -> bool:
    """Titles, tree, measures, KPI definitions and targets: HQ of the plan's municipality only."""
    return is_hq(user, plan.municipality_id)


def can_review(user, plan) -> bool:
    """Approve or return a department's report (HQ)."""
    return is_hq(user, plan.municipality_id)


def can_publish(user, plan) -> bool:
    return is_hq(user, plan.municipality_id)


def can_lock(user, plan) -> bool:
    return is_hq(user, plan.municipality_id)


def can_correct(user, plan) -> bool:
    """Correct a value of a locked year (with a reason, shown publicly as 訂正): HQ only."""
    return is_hq(user, plan.municipality_id)


def can_import(user, plan) -> bool:
    """Import actuals from a spreadsheet into this plan.

    Staff may import (their rows are then checked one by one by ``kpis.entry.validate_entries``);
    HQ may import for the whole plan. Nobody outside the plan's municipality may.
    """
    if is_hq(user, plan.municipality_id):
        return True
    return user_departments(user).filter(municipality_id=plan.municipality_id).exists()


def can_export(user, plan) -> bool:
    """Export the plan's review sheet: anyone who may see the plan (staff exports hold only their rows)."""
    return can_view_plan(user, plan)
