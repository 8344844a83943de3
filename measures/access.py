"""Which measures a user may see and update: HQ its municipality's, staff the ones their departments own."""

from django.db.models import Q, QuerySet

from measures.models import MeasureDepartment
from plans import access


def measure_scope(user, prefix: str = "") -> Q:
    """Measures of the user's HQ municipalities, and measures their departments own."""
    if access.is_superuser(user):
        return Q()
    if not access.is_active(user):
        return access.NOTHING
    hq = Q(**{f"{prefix}plan__municipality__in": access.hq_municipalities(user)})
    staff = Q(**{f"{prefix}pk__in": owned_measure_ids(user)})
    return hq | staff


def owned_measure_ids(user) -> QuerySet:
    return MeasureDepartment.objects.filter(department__in=access.user_departments(user)).values("measure_id")
