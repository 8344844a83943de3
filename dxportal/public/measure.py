"""The public measure page: what the printed measure page shows, and its yearly marks explained."""

from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, render

from dxportal.public.cells import MarkBadges
from dxportal.public.charts import derived_targets, kpi_chart
from dxportal.public.display import document_title, printed_suffix, value_text
from dxportal.public.explain import kpi_sentence, measure_sentence
from dxportal.public.roadmap import tracks
from kpis import visibility
from kpis.evaluation import plain_number
from kpis.history import public_value_history
from kpis.models import Indicator, IndicatorValue
from kpis.visibility import mask
from measures.models import Measure
from plans.models import Plan, PlanRevision


def with_source_title(measures):
    """The measures with ``source_revision_title``: the title of the plan's latest revision that cites the
    measure's source file (a 変更計画), in the same query, for the source line of the page."""
    citing = PlanRevision.objects.filter(plan=OuterRef("plan"), source_document=OuterRef("source_document"))
    return measures.annotate(
        source_revision_title=Subquery(citing.exclude(title="").order_by("-date").values("title")[:1])
    )


def measure_detail(request, municipality, plan, key):
    # One query for the plan and the measure; then one per related list. Plain queries rather than
    # prefetch_related on a single object, each ordered by its own columns (ordering by the measure
    # would join the measure's table again to apply its ordering).
    measure = get_object_or_404(
        with_source_title(Measure.objects.published().select_related("plan__municipality")),
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
    scheme = plan.scheme
    per_kpi = scheme.unit == "kpi"
    kpis = []
    sentences: dict[int, list[str]] = {}  # per year: the measure's own KPIs' sentences
    for kpi in kpi_list:
        by_year = {v.fiscal_year: mask(v) for v in values.get(kpi.pk, [])}
        cells = [by_year.get(fy) for fy in years]
        interim = derived_targets(kpi, years, by_year, scheme=scheme, plan_start_fy=plan.period_start_fy)
        derived = [plain_number(d) if d is not None else "" for d in interim]
        # One number style: half-width digits, and entered bare numbers with the unit the plan prints (45 → 45件).
        suffix = printed_suffix([kpi.baseline_text, *(t for v in cells if v for t in (v.target_text, v.actual_text))])
        for v, d in zip(cells, derived, strict=True):
            if v and v.mark and v.actual_public:  # a sentence for residents instead of the engine's explanation
                v.plain = kpi_sentence(plan, kpi, v, d, suffix)
                if kpi.measure_id == measure.pk:
                    sentences.setdefault(v.fiscal_year, []).append(v.plain)
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
                # Targets as printed, or the interim target the engine derived for the year (導出値).
                "targets": [
                    (value_text(v.target_text, suffix) if v else "", d and d + suffix)
                    for v, d in zip(cells, derived, strict=True)
                ],
                "actuals": [value_text(v.actual_text, suffix) if v else "" for v in cells],
                "chart": kpi_chart(kpi, years, by_year, interim),
            }
        )
    marks = {m.fiscal_year: m for m in visibility.public_marks().filter(measure=measure).order_by("fiscal_year")}
    for mark in marks.values():
        mark.plain = measure_sentence(plan, mark, sentences.get(mark.fiscal_year, []))
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
            # Named by its title, not the stored file name.
            "source_title": document_title(
                plan, measure.source_document, getattr(measure, "source_revision_title", None) or ""
            ),
        },
    )
