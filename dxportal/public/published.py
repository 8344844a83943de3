"""Reads for the public pages: only published plans, and actuals/marks only of published years.

Every function here costs a fixed number of queries whatever the number of measures. The visibility
rule itself lives in kpis.visibility; this module only applies it.
"""

from django.db.models import Count, Max, Prefetch, Q
from django.db.models.functions import Substr

from kpis import visibility
from measures.models import MeasureDepartment, MeasureListing
from plans.models import Department, Plan


def with_public_listing(queryset):
    """The measures with what a public list shows: plan and municipality, listings (category), owners
    (department) and, in ``measure.public_marks``, the marks residents may see (kpis.visibility)."""
    return queryset.select_related("plan__municipality").prefetch_related(
        Prefetch("listings", queryset=MeasureListing.objects.select_related("category")),
        Prefetch("ownerships", queryset=MeasureDepartment.objects.select_related("department")),
        Prefetch("marks", queryset=visibility.public_marks(), to_attr="public_marks"),
    )


def latest_mark(measure):
    """The measure's latest public mark that has a final mark (None when it has none)."""
    marks = [m for m in measure.public_marks if m.mark]
    return max(marks, key=lambda m: m.fiscal_year) if marks else None


def public_departments(municipality) -> list[Department]:
    """Departments that own at least one measure of a published plan, or whose 課 do, with counts.

    Each has ``measure_count`` (its own measures) and ``subdepartments`` (its 課 with measures), and
    the list holds the top-level ones (部, or 課 without a 部) in name order.
    """
    departments = list(
        Department.objects.filter(municipality=municipality).annotate(
            measure_count=Count(
                "ownerships__measure",
                filter=Q(ownerships__measure__plan__status=Plan.Status.PUBLISHED),
                distinct=True,
            )
        )
    )
    by_pk = {d.pk: d for d in departments}
    for department in departments:
        department.subdepartments = []
    for department in departments:
        if department.measure_count and department.parent_id in by_pk:
            by_pk[department.parent_id].subdepartments.append(department)
    return [d for d in departments if d.parent_id not in by_pk and (d.measure_count or d.subdepartments)]


def published_prefectures() -> list[dict]:
    """Prefectures with a published plan, in code order: code, name, municipalities and plans counted.

    One query whatever the number of municipalities (the home page lists 47 rows at most).
    """
    return list(
        Plan.objects.published()
        .annotate(code=Substr("municipality__code", 1, 2))
        .values("code")
        .annotate(
            name=Max("municipality__prefecture"),
            municipalities=Count("municipality", distinct=True),
            plans=Count("pk"),
        )
        .order_by("code")
    )
