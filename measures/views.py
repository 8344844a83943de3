"""The public measure page: what the printed measure page shows, and its yearly marks explained."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from kpis.charts import kpi_chart
from kpis.history import public_value_history
from kpis.models import Indicator
from measures.models import Measure, MeasureDepartment, MeasureListing
from measures.public import mask, public_marks, public_values
from plans.roadmap import tracks
from plans.views import published_plan


def measure_detail(request, municipality, plan, key):
    plan = published_plan(municipality, plan)
    measure = get_object_or_404(
        Measure.objects.for_plan(plan).prefetch_related(
            Prefetch("listings", queryset=MeasureListing.objects.select_related("category")),
            Prefetch("ownerships", queryset=MeasureDepartment.objects.select_related("department")),
            public_marks(),
            "stages",
            "sdgs",
            "tags",
            "schedule",
            Prefetch("kpis", queryset=Indicator.objects.prefetch_related(public_values())),
        ),
        key=key,
    )
    years = sorted(set(plan.fiscal_years) | {v.fiscal_year for kpi in measure.kpis.all() for v in kpi.values.all()})
    kpis = []
    for kpi in measure.kpis.all():
        by_year = {v.fiscal_year: mask(v) for v in kpi.values.all()}
        kpis.append({"kpi": kpi, "cells": [by_year.get(fy) for fy in years], "chart": kpi_chart(kpi, years, by_year)})
    marks = {m.fiscal_year: m for m in measure.public_marks}
    return render(
        request,
        "measures/measure_detail.html",
        {
            "plan": plan,
            "measure": measure,
            "years": years,
            "plan_years": plan.fiscal_years,
            "kpis": kpis,
            "schedule": tracks(measure.schedule.all(), plan.fiscal_years),
            "marks": [(fy, marks.get(fy)) for fy in plan.fiscal_years],
            "listings": list(measure.listings.all()),
            "value_history": public_value_history(measure),
        },
    )
