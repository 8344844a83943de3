"""Comparison across municipalities by the national plan's priority areas (国の重点取組事項)."""

from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from measures.models import Measure, PriorityArea
from measures.public import PUBLISHED, latest_mark, measure_listing
from plans.models import Municipality


def published_municipalities():
    return Municipality.objects.filter(plans__status=PUBLISHED).distinct().order_by("code")


def compare_index(request):
    """The areas in the national plan's order, with the number of published measures per municipality."""
    areas = list(PriorityArea.objects.order_by("pk"))
    municipalities = list(published_municipalities())
    counts = {
        (area_id, municipality_id): n
        for area_id, municipality_id, n in Measure.tags.through.objects.filter(measure__plan__status=PUBLISHED)
        .values_list("priorityarea_id", "measure__plan__municipality_id")
        .annotate(n=Count("measure_id", distinct=True))
    }
    rows = []
    for area in areas:
        cells = [counts.get((area.pk, m.pk), 0) for m in municipalities]
        rows.append({"area": area, "cells": cells, "total": sum(cells)})
    return render(request, "measures/compare_index.html", {"rows": rows, "municipalities": municipalities})


def compare_area(request, area):
    """Side by side per municipality: the published measures tagged with the area, with their latest public mark."""
    area = get_object_or_404(PriorityArea, slug=area)
    measures = measure_listing(Measure.objects.published().filter(tags=area)).order_by(
        "plan__municipality__code", "-plan__period_start_fy", "plan__slug", "position"
    )
    columns = {m.pk: {"municipality": m, "measures": []} for m in published_municipalities()}
    for measure in measures:
        measure.latest = latest_mark(measure)
        measure.home = next((listing for listing in measure.listings.all() if listing.is_primary), None)
        columns[measure.plan.municipality_id]["measures"].append(measure)
    return render(
        request,
        "measures/compare.html",
        {
            "area": area,
            "areas": PriorityArea.objects.order_by("pk"),
            "columns": list(columns.values()),
            "measure_count": sum(len(c["measures"]) for c in columns.values()),
        },
    )
