"""The public measure page: what the printed measure page shows, and its yearly marks explained."""

from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from dxportal.public.cells import MarkBadges
from dxportal.public.charts import kpi_chart
from dxportal.public.roadmap import tracks
from kpis import visibility
from kpis.history import public_value_history
from kpis.models import Indicator, IndicatorValue
from kpis.visibility import mask
from measures.models import Measure
from plans.models import Plan


def measure_detail(request, municipality, plan, key):
    # One query for the plan and the measure; then one per related list. Plain queries rather than
    # prefetch_related on a single object, each ordered by its own columns (ordering by the measure
    # would join the measure's table again to apply its ordering).
    measure = get_object_or_404(
        Measure.objects.published().select_related("plan__municipality"),
        plan__municipality__slug=municipality,
        plan__slug=plan,
        key=key,
    )
    return render_measure(request, measure)


def render_measure(request, measure):
    """The page of a measure already found: of a published plan, or of a draft its staff preview
    (dxportal.public.preview)."""
    plan = measure.plan
    kpi_list = list(measure.kpis.order_by("position"))
    # 再掲, one query both ways: the other measures' KPIs printed again here (shown after this measure's own,
    # linking back), and where this measure's KPIs are printed again.
    relisted_here, listed_elsewhere = [], {}
    for listing in (
        Indicator.also_listed_under.through.objects.filter(Q(measure=measure) | Q(indicator__measure=measure))
        .select_related("indicator__measure", "measure")
        .order_by("indicator__measure__position", "indicator__position", "measure__position")
    ):
        if listing.measure_id == measure.pk:
            relisted_here.append(listing.indicator)
        else:
            listed_elsewhere.setdefault(listing.indicator_id, []).append(listing.measure)
    kpi_list += relisted_here
    # 継続先 plans named by slug (the same municipality's): linked once published. A query only when named.
    named = {item.continues_in_plan for item in [measure, *kpi_list] if item.continues_in_plan}
    successors = Plan.objects.published().filter(municipality_id=plan.municipality_id, slug__in=named) if named else []
    values: dict[int, list] = {}
    for value in IndicatorValue.objects.filter(indicator__in=kpi_list).with_publication().order_by("fiscal_year"):
        values.setdefault(value.indicator_id, []).append(value)
    years = sorted(set(plan.fiscal_years) | {v.fiscal_year for rows in values.values() for v in rows})
    badges = MarkBadges(plan)
    per_kpi = plan.scheme.unit == "kpi"
    kpis = []
    for kpi in kpi_list:
        by_year = {v.fiscal_year: mask(v) for v in values.get(kpi.pk, [])}
        cells = [by_year.get(fy) for fy in years]
        kpis.append(
            {
                "kpi": kpi,
                "home": kpi.measure if kpi.measure_id != measure.pk else None,  # a 再掲: its own measure
                "elsewhere": listed_elsewhere.get(kpi.pk, []),
                "cells": cells,
                "badges": [badges[v.mark] if v else "" for v in cells],
                # Next to the table: why a KPI's mark is what it is, where the page would not say otherwise:
                # every marked year when marks are the KPIs' (unit "kpi"), else the overridden years.
                "explained": [
                    (v.fiscal_year, v, badges[v.mark], badges[v.computed])
                    for v in cells
                    if v and v.mark and (v.override or per_kpi)
                ],
                "chart": kpi_chart(kpi, years, by_year),
            }
        )
    marks = {m.fiscal_year: m for m in visibility.public_marks().filter(measure=measure).order_by("fiscal_year")}
    return render(
        request,
        "measures/measure_detail.html",
        {
            "plan": plan,
            "measure": measure,
            "years": years,
            "plan_years": plan.fiscal_years,
            "kpis": kpis,
            "schedule": tracks(measure.schedule.order_by("row", "fiscal_year"), plan.fiscal_years),
            "marks": [
                (fy, m, badges[m.mark] if m else "", badges[m.computed] if m else "")
                for fy, m in ((fy, marks.get(fy)) for fy in plan.fiscal_years)
            ],
            "listings": list(measure.listings.select_related("category").order_by("-is_primary", "position")),
            "ownerships": list(measure.ownerships.select_related("department").order_by("position")),
            "stages": list(measure.stages.order_by("fiscal_year", "stage")),
            "sdgs": list(measure.sdgs.all()),
            "tags": list(measure.tags.all()),
            "successors": {successor.slug: successor for successor in successors},
            "value_history": public_value_history(measure),
        },
    )
