"""Public pages: published plans only, read-only; actuals and marks only of published years."""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dxportal.public.cells import MarkCells
from dxportal.public.charts import mark_bars
from dxportal.public.display import printed_suffix, value_text
from dxportal.public.filters import MeasureFilter
from dxportal.public.opendata import csv_response, summary_csv_response
from dxportal.public.published import public_departments
from kpis import visibility
from kpis.history import public_corrections
from kpis.interchange.exporter import export_plan
from kpis.models import IndicatorValue
from kpis.summary import plan_summary, top_level_name
from kpis.visibility import mask
from kpis.workflow import unreported_departments
from measures.models import Measure, MeasureListing
from plans.marks import final_mark_expression
from plans.models import Category, Municipality, Plan


def published_plan(municipality_slug: str, plan_slug: str) -> Plan:
    return get_object_or_404(
        Plan.objects.published().select_related("municipality"), municipality__slug=municipality_slug, slug=plan_slug
    )


def plan_detail(request, municipality, plan):
    return render_plan(request, published_plan(municipality, plan))


def render_plan(request, plan):
    """The page of a plan already found: published, or a draft its staff preview (dxportal.public.preview)."""
    categories = list(Category.objects.filter(plan=plan).order_by("position"))
    measure_filter = MeasureFilter(plan, request.GET, categories)
    # Plain rows, not model instances: the table shows a few fields of each measure and its marks.
    measures = list(
        measure_filter.apply(Measure.objects.for_plan(plan)).values_list("pk", "key", "code", "name", "is_new")
    )
    # Marks and listings of the whole plan (cheaper to query than an IN list); rows of filtered-out
    # measures are simply never looked up. Only public marks: residents see only published years.
    marks: dict[int, dict[int, str]] = {}
    for measure_id, fy, mark in (
        visibility.public_marks()
        .filter(measure__plan=plan)
        .annotate(final_mark=final_mark_expression())
        .values_list("measure_id", "fiscal_year", "final_mark")
        .order_by()
    ):
        marks.setdefault(measure_id, {})[fy] = mark
    listings: dict[int, list] = {}
    # Ordered within each measure only: the default ordering would join the measures to order by them.
    for measure_id, category_id, is_primary in (
        MeasureListing.objects.filter(measure__plan=plan)
        .values_list("measure_id", "category_id", "is_primary")
        .order_by("-is_primary", "position")
    ):
        listings.setdefault(measure_id, []).append((category_id, is_primary))
    years = plan.fiscal_years
    # Each category's rows for plans/plan_detail.html. The year cells of a row come from
    # plans/_mark_cells.html, rendered once per distinct row of marks (MarkCells): measures share few.
    cells = MarkCells(plan)
    by_category: dict[int, list] = {}
    for pk, key, code, name, is_new in measures:
        by_year = marks.get(pk, {})
        row = {
            "url": reverse("measure", args=[plan.municipality.slug, plan.slug, key]),
            "code": code,
            "name": name,
            "is_new": is_new,
            "cells": cells[tuple(by_year.get(fy, "") for fy in years)],
        }
        for category_id, is_primary in listings.get(pk, ()):
            by_category.setdefault(category_id, []).append({**row, "relisted": not is_primary})
    rows = [{"category": c, "measures": by_category.get(c.pk, [])} for c in categories]
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
    return render_summary(request, published_plan(municipality, plan), fy)


def render_summary(request, plan, fy):
    """A year's summary of a plan already found: published, or a draft its staff preview."""
    if fy not in plan.fiscal_years:
        raise Http404("fiscal year outside the plan period")
    rows = plan_summary(plan, [fy], public_only=True)
    indicators = list(
        plan.indicators.filter(category__isnull=False, category__parent__isnull=True)
        .select_related("category", "introduced_in", "retired_in")
        .order_by("category__position", "position")
    )
    # The year's values in one plain query (a prefetch costs more for the same rows).
    values = {
        value.indicator_id: mask(value)
        for value in IndicatorValue.objects.filter(indicator__in=indicators, fiscal_year=fy)
        .with_publication()
        .order_by()
    }
    indicator_rows = []
    for indicator in indicators:
        value = values.get(indicator.pk)
        texts = [indicator.baseline_text, value.target_text, value.actual_text] if value else [indicator.baseline_text]
        suffix = printed_suffix(texts)  # one number style: 40件 as printed (４０件) and as entered (40)
        indicator_rows.append(
            {
                "indicator": indicator,
                "value": value,
                "baseline": value_text(indicator.baseline_text),
                "target": value_text(value.target_text, suffix) if value else "",
                "actual": value_text(value.actual_text, suffix) if value else "",
                "public": bool(value and value.actual_public),
            }
        )
    counted = sum(row.total for row in rows if row.category is None)
    # Nothing public to show yet: say so rather than print empty actuals and zero counts.
    nothing_public = not counted and not any(row["public"] for row in indicator_rows)
    return render(
        request,
        "plans/summary.html",
        {
            "plan": plan,
            "fy": fy,
            "rows": rows,
            "top_level_name": top_level_name(rows),
            "chart": summary_bars(plan, rows),
            "indicator_rows": indicator_rows,
            "corrections": public_corrections(plan, fy),  # 訂正 of the year's values, the pillars' included
            "counted": counted,
            "nothing_public": nothing_public,
            # Departments whose report was missing when HQ published the year, until they submit (one query).
            "unreported": 0 if nothing_public else unreported_departments(plan, fy).count(),
        },
    )


def summary_bars(plan, rows) -> dict:
    """The summary chart: a bar per top-level category, labelled with its name and total, every count shown."""
    labelled = [
        (
            _("%(label)s %(name)s（計 %(total)s 件）")
            % {"label": r.category.label, "name": r.category.name, "total": r.total},
            r.counts,
        )
        for r in rows
        if r.category is not None
    ]
    chart = mark_bars(plan.legend, labelled)
    chart["id"] = "summary-chart"
    return chart


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


def summary_csv(request, municipality, plan):
    return summary_csv_response(published_plan(municipality, plan))


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
