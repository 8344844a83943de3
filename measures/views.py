"""The public measure page: what the printed measure page shows, and its yearly marks explained."""

from django.shortcuts import get_object_or_404, render

from kpis.charts import kpi_chart
from measures.models import Measure
from plans.views import published_plan


def measure_detail(request, municipality, plan, key):
    plan = published_plan(municipality, plan)
    measure = get_object_or_404(
        Measure.objects.for_plan(plan).with_listing().prefetch_related("sdgs", "tags", "schedule", "kpis__values"),
        key=key,
    )
    years = sorted(set(plan.fiscal_years) | {v.fiscal_year for kpi in measure.kpis.all() for v in kpi.values.all()})
    kpis = []
    for kpi in measure.kpis.all():
        by_year = {v.fiscal_year: v for v in kpi.values.all()}
        kpis.append({"kpi": kpi, "cells": [by_year.get(fy) for fy in years], "chart": kpi_chart(kpi, years, by_year)})
    schedule_rows = {}
    for entry in measure.schedule.all():
        schedule_rows.setdefault(entry.row, {})[entry.fiscal_year] = entry
    marks = {m.fiscal_year: m for m in measure.marks.all()}
    return render(
        request,
        "measures/measure_detail.html",
        {
            "plan": plan,
            "measure": measure,
            "years": years,
            "plan_years": plan.fiscal_years,
            "kpis": kpis,
            "schedule": [[row.get(fy) for fy in plan.fiscal_years] for _, row in sorted(schedule_rows.items())],
            "marks": [(fy, marks.get(fy)) for fy in plan.fiscal_years],
            "listings": list(measure.listings.all()),
        },
    )
