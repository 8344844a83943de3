"""Which measures a user may see and update: HQ its municipality's, staff the ones their departments own."""

from django.db.models import Q, QuerySet

from measures.models import Measure, MeasureDepartment
from plans import access
from plans.ownership import of_municipalities


def measure_scope(user, prefix: str = "") -> Q:
    """Measures of the user's HQ municipalities, and measures their departments own."""
    if access.is_superuser(user):
        return Q()
    if not access.is_active(user):
        return access.NOTHING
    hq = of_municipalities(Measure, access.hq_municipalities(user), prefix=prefix)
    staff = Q(**{f"{prefix}pk__in": owned_measure_ids(user)})
    return hq | staff


def owned_measure_ids(user) -> QuerySet:
    return MeasureDepartment.objects.filter(department__in=access.user_departments(user)).values("measure_id")
