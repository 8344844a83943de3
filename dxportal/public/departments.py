"""Department pages: every published measure a department (or its 課) owns, across plans and categories."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from dxportal.public.published import latest_mark, with_public_listing
from measures.models import Measure
from plans.models import Department


def department_page(request, municipality, pk):
    department = get_object_or_404(
        Department.objects.select_related("municipality", "parent"), pk=pk, municipality__slug=municipality
    )
    children = list(department.children.all())
    owners = [department.pk] + [child.pk for child in children]
    measures = list(
        with_public_listing(Measure.objects.published().filter(ownerships__department__in=owners).distinct()).order_by(
            "plan__municipality__code", "-plan__period_start_fy", "plan__slug", "position"
        )
    )
    if not measures:
        # A department with nothing published has no public page (it may own only draft plans' measures).
        raise Http404("no published measure")
    plans: dict = {}
    for measure in measures:
        measure.latest = latest_mark(measure)
        measure.home = next((listing for listing in measure.listings.all() if listing.is_primary), None)
        plans.setdefault(measure.plan, []).append(measure)
    return render(
        request,
        "measures/department.html",
        {
            "municipality": department.municipality,
            "department": department,
            "children": [c for c in children if any(c.pk in owner_ids(m) for m in measures)],
            "plans": plans,
            "measure_count": len(measures),
        },
    )


def owner_ids(measure) -> set[int]:
    return {ownership.department_id for ownership in measure.ownerships.all()}
