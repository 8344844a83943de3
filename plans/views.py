"""Public pages: published plans only, read-only."""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from measures.filters import MeasureFilter
from measures.models import Measure
from measures.summary import plan_summary
from plans.interchange.exporter import export_plan
from plans.models import Category, Municipality, Plan


def published_plan(municipality_slug: str, plan_slug: str) -> Plan:
    return get_object_or_404(
        Plan.objects.published().select_related("municipality"), municipality__slug=municipality_slug, slug=plan_slug
    )


def home(request):
    plans = list(Plan.objects.published().select_related("municipality").order_by("municipality__code", "slug"))
    municipalities = {}
    for plan in plans:
        municipalities.setdefault(plan.municipality, []).append(plan)
    return render(request, "plans/home.html", {"municipalities": municipalities})


def plan_detail(request, municipality, plan):
    plan = published_plan(municipality, plan)
    categories = list(Category.objects.filter(plan=plan).order_by("position"))
    measure_filter = MeasureFilter(plan, request.GET, categories)
    measures = list(measure_filter.apply(Measure.objects.for_plan(plan)).with_listing())
    by_category: dict[int, list] = {}
    for measure in measures:
        for listing in measure.listings.all():
            by_category.setdefault(listing.category_id, []).append((measure, listing))
    years = plan.fiscal_years
    rows = []
    for category in categories:
        rows.append({"category": category, "measures": by_category.get(category.pk, [])})
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "rows": rows,
            "years": years,
            "filter": measure_filter,
            "measure_count": len(measures),
        },
    )


def plan_summary_page(request, municipality, plan, fy):
    plan = published_plan(municipality, plan)
    if fy not in plan.fiscal_years:
        raise Http404("fiscal year outside the plan period")
    rows = plan_summary(plan, [fy])
    indicators = (
        plan.indicators.filter(category__parent__isnull=True)
        .select_related("category", "introduced_in", "retired_in")
        .prefetch_related("values")
        .order_by("category__position", "position")
    )
    indicator_rows = []
    for indicator in indicators:
        value = next((v for v in indicator.values.all() if v.fiscal_year == fy), None)
        indicator_rows.append({"indicator": indicator, "value": value})
    return render(
        request,
        "plans/summary.html",
        {
            "plan": plan,
            "fy": fy,
            "rows": rows,
            "indicator_rows": indicator_rows,
            "max_count": max([r.total for r in rows] + [1]),
        },
    )


def plan_json(request, municipality, plan):
    plan = published_plan(municipality, plan)
    document = export_plan(plan)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{plan.municipality.code}-{plan.slug}.json"'
    return response


def municipality_detail(request, municipality):
    municipality = get_object_or_404(Municipality, slug=municipality)
    plans = list(municipality.plans.published())
    if not plans:
        raise Http404("no published plan")
    return render(request, "plans/municipality.html", {"municipality": municipality, "plans": plans})
