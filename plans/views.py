"""Public pages: published plans only, read-only; actuals and marks only of published years."""

import json

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from kpis.models import IndicatorValue
from measures.filters import MeasureFilter
from measures.models import Measure, MeasureDepartment, MeasureListing
from measures.public import latest_year_counts, mask, public_departments, public_marks
from measures.summary import plan_summary, summary_chart
from plans.interchange.exporter import export_plan
from plans.marks import MARK_ORDER
from plans.models import Category, Municipality, Plan
from plans.opendata import csv_response


def published_plan(municipality_slug: str, plan_slug: str) -> Plan:
    return get_object_or_404(
        Plan.objects.published().select_related("municipality"), municipality__slug=municipality_slug, slug=plan_slug
    )


def home(request):
    plans = list(Plan.objects.published().select_related("municipality").order_by("municipality__code", "slug"))
    latest = latest_year_counts(plans)
    municipalities = {}
    for plan in plans:
        plan.latest = latest.get(plan.pk)
        municipalities.setdefault(plan.municipality, []).append(plan)
    return render(request, "plans/home.html", {"municipalities": municipalities, "mark_order": MARK_ORDER})


def plan_detail(request, municipality, plan):
    plan = published_plan(municipality, plan)
    categories = list(Category.objects.filter(plan=plan).order_by("position"))
    measure_filter = MeasureFilter(plan, request.GET, categories)
    # Not with_listing(): that prefetches every mark, and residents may see only public ones.
    measures = list(
        measure_filter.apply(Measure.objects.for_plan(plan)).prefetch_related(
            Prefetch("listings", queryset=MeasureListing.objects.select_related("category")),
            Prefetch("ownerships", queryset=MeasureDepartment.objects.select_related("department")),
            public_marks(),
        )
    )
    by_category: dict[int, list] = {}
    for measure in measures:
        measure.marks_by_year = {m.fiscal_year: m for m in measure.public_marks}
        for listing in measure.listings.all():
            by_category.setdefault(listing.category_id, []).append((measure, listing))
    rows = [{"category": c, "measures": by_category.get(c.pk, [])} for c in categories]
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "rows": rows,
            "years": plan.fiscal_years,
            "filter": measure_filter,
            "measure_count": len(measures),
        },
    )


def plan_summary_page(request, municipality, plan, fy):
    plan = published_plan(municipality, plan)
    if fy not in plan.fiscal_years:
        raise Http404("fiscal year outside the plan period")
    rows = plan_summary(plan, [fy], public_only=True)
    indicators = (
        plan.indicators.filter(category__isnull=False, category__parent__isnull=True)
        .select_related("category", "introduced_in", "retired_in")
        .prefetch_related(Prefetch("values", queryset=IndicatorValue.objects.filter(fiscal_year=fy).with_publication()))
        .order_by("category__position", "position")
    )
    indicator_rows = []
    for indicator in indicators:
        value = next(iter(indicator.values.all()), None)
        indicator_rows.append({"indicator": indicator, "value": value, "public": bool(value and value.actual_public)})
        mask(value)
    counted = sum(row.total for row in rows if row.category is None)
    return render(
        request,
        "plans/summary.html",
        {
            "plan": plan,
            "fy": fy,
            "rows": rows,
            "chart": summary_chart(rows),
            "indicator_rows": indicator_rows,
            "counted": counted,
            # Nothing public to show yet: say so rather than print empty actuals and zero counts.
            "nothing_public": not counted and not any(row["public"] for row in indicator_rows),
        },
    )


def plan_json(request, municipality, plan):
    plan = published_plan(municipality, plan)
    document = export_plan(plan, public_only=True)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{plan.municipality.code}-{plan.slug}.json"'
    return response


def plan_csv(request, municipality, plan):
    return csv_response(published_plan(municipality, plan))


def municipality_detail(request, municipality):
    municipality = get_object_or_404(Municipality, slug=municipality)
    plans = list(municipality.plans.published())
    if not plans:
        raise Http404("no published plan")
    return render(
        request,
        "plans/municipality.html",
        {"municipality": municipality, "plans": plans, "departments": public_departments(municipality)},
    )
