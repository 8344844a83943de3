"""Comparison across municipalities by the national plan's priority areas (国の重点取組事項).

Side by side within one prefecture (``?pref=05``): the whole country would be 1,741 columns, a page
of up to 2 MB. While every published plan is of one prefecture, that one is shown; otherwise the
pages count per prefecture and link to each.
"""

from django.db.models import Count
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404, render

from dxportal.public.names import in_english, municipality_name, prefecture_name
from dxportal.public.published import latest_mark, published_prefectures, with_public_listing
from measures.models import Measure, PriorityArea
from plans.models import Municipality, Plan


def published_municipalities():
    return Municipality.objects.filter(plans__status=Plan.Status.PUBLISHED).distinct().order_by("code")


def chosen_prefecture(request, prefectures: list[dict]) -> dict | None:
    """The prefecture asked for with ?pref=, else the only one with published plans, else none."""
    by_code = {prefecture["code"]: prefecture for prefecture in prefectures}
    if request.GET.get("pref") in by_code:
        return by_code[request.GET["pref"]]
    return prefectures[0] if len(prefectures) == 1 else None


def pref_query(prefecture: dict | None, prefectures: list[dict]) -> str:
    """The query string that keeps the prefecture on links to the other comparison pages."""
    return f"?pref={prefecture['code']}" if prefecture and len(prefectures) > 1 else ""


def compare_index(request):
    """The areas in the national plan's order, with the number of published measures tagged with each,
    per municipality of the chosen prefecture, or per prefecture."""
    areas = list(PriorityArea.objects.order_by("pk"))
    prefectures = published_prefectures()
    prefecture = chosen_prefecture(request, prefectures)
    tagged = Measure.tags.through.objects.filter(measure__plan__status=Plan.Status.PUBLISHED)
    if prefecture:
        code = prefecture["code"]
        columns = [
            (m.pk, municipality_name(m, in_english()), "")
            for m in published_municipalities().filter(code__startswith=code)
        ]
        tagged = tagged.filter(measure__plan__municipality__code__startswith=code)
        by = "measure__plan__municipality_id"
    else:
        columns = [(p["code"], prefecture_name(p["name"], in_english()), f"?pref={p['code']}") for p in prefectures]
        tagged = tagged.annotate(prefecture=Substr("measure__plan__municipality__code", 1, 2))
        by = "prefecture"
    counts = {
        (area_id, column): n
        for area_id, column, n in tagged.values_list("priorityarea_id", by).annotate(
            n=Count("measure_id", distinct=True)
        )
    }
    rows = []
    for area in areas:
        cells = [counts.get((area.pk, key), 0) for key, _, _ in columns]
        rows.append({"area": area, "cells": cells, "total": sum(cells)})
    untagged = untagged_counts(by, prefecture)
    untagged_cells = [untagged.get(key, 0) for key, _, _ in columns]
    return render(
        request,
        "measures/compare_index.html",
        {
            "rows": rows,
            "untagged": {"cells": untagged_cells, "total": sum(untagged_cells)},
            "columns": [{"name": name, "query": query} for _, name, query in columns],
            "prefecture": prefecture,
            "prefectures": prefectures,
            "pref_query": pref_query(prefecture, prefectures),
        },
    )


def untagged_counts(by: str, prefecture: dict | None) -> dict:
    """Published measures tagged with no priority area (未分類), per municipality of the prefecture or per
    prefecture. Shown beside the areas' counts: a 0 then reads as "not tagged", not as "does nothing"."""
    untagged = Measure.objects.published().filter(tags__isnull=True)
    if prefecture:
        untagged = untagged.filter(plan__municipality__code__startswith=prefecture["code"])
        key = "plan__municipality_id"
    else:
        untagged = untagged.annotate(prefecture=Substr("plan__municipality__code", 1, 2))
        key = "prefecture"
    return dict(untagged.values_list(key).annotate(n=Count("pk")).order_by())


def compare_area(request, area):
    """Side by side per municipality of the chosen prefecture: the published measures tagged with the
    area, with their latest public mark; without a prefecture, how many there are in each."""
    area = get_object_or_404(PriorityArea, slug=area)
    prefectures = published_prefectures()
    prefecture = chosen_prefecture(request, prefectures)
    tagged = Measure.objects.published().filter(tags=area)
    context = {
        "area": area,
        "areas": PriorityArea.objects.order_by("pk"),
        "prefecture": prefecture,
        "prefectures": prefectures,
        "pref_query": pref_query(prefecture, prefectures),
    }
    if prefecture is None:
        counts = {
            row["prefecture"]: row
            for row in tagged.annotate(prefecture=Substr("plan__municipality__code", 1, 2))
            .values("prefecture")
            .annotate(measures=Count("pk", distinct=True), municipalities=Count("plan__municipality", distinct=True))
            .order_by()
        }
        untagged = untagged_counts("prefecture", None)
        rows = [
            {"prefecture": p, "counts": counts.get(p["code"]), "untagged": untagged.get(p["code"], 0)}
            for p in prefectures
        ]
        total = sum(row["counts"]["measures"] for row in rows if row["counts"])
        return render(request, "measures/compare.html", {**context, "by_prefecture": rows, "measure_count": total})
    code = prefecture["code"]
    measures = with_public_listing(tagged.filter(plan__municipality__code__startswith=code)).order_by(
        "plan__municipality__code", "-plan__period_start_fy", "plan__slug", "position"
    )
    untagged = untagged_counts("plan__municipality_id", prefecture)
    columns = {
        m.pk: {"municipality": m, "measures": [], "untagged": untagged.get(m.pk, 0)}
        for m in published_municipalities().filter(code__startswith=code)
    }
    for measure in measures:
        measure.latest = latest_mark(measure)
        measure.home = next((listing for listing in measure.listings.all() if listing.is_primary), None)
        columns[measure.plan.municipality_id]["measures"].append(measure)
    return render(
        request,
        "measures/compare.html",
        {
            **context,
            "columns": list(columns.values()),
            "measure_count": sum(len(c["measures"]) for c in columns.values()),
        },
    )
