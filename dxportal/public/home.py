"""The ways in: the home page (recent publications at a glance, prefectures, priority areas, search), a
prefecture's plans, and the search over measure names."""

import unicodedata

from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import render

from dxportal.public.charts import mark_bars
from dxportal.public.glance import plan_glances, prefecture_plans, recently_published
from dxportal.public.published import latest_mark, published_prefectures
from dxportal.public.templatetags.portal import fy_label
from kpis import visibility
from measures.models import Measure

SEARCH_LIMIT = 100
SEARCH_MAX_CHARS = 100


def with_chart(glance):
    """The glance with ``chart``: the previous and the latest publication as two bars on one scale."""
    shown = [glance.previous, glance.latest] if glance.previous else [glance.latest]
    glance.chart = mark_bars(glance.plan.legend, [(fy_label(p.fiscal_year), p.counts) for p in shown])
    glance.chart["id"] = f"glance-{glance.plan.pk}"
    return glance


def home(request):
    """Recently published years at a glance, then the ways in: prefectures, priority areas and search.

    Four queries: the prefectures, the latest published plans, their public years and their mark counts.
    """
    return render(
        request,
        "plans/home.html",
        {
            "prefectures": published_prefectures(),
            "recent": [with_chart(glance) for glance in recently_published()],
        },
    )


def prefecture(request, code):
    """A prefecture's municipalities and their published plans, each at a glance (as on the home page)."""
    plans = prefecture_plans(code) if len(code) == 2 and code.isdigit() else []
    if not plans:
        raise Http404("no published plan in this prefecture")
    glances = plan_glances(plans)
    municipalities = {}
    for plan in plans:
        glance = glances.get(plan.pk)
        plan.glance = with_chart(glance) if glance else None
        municipalities.setdefault(plan.municipality, []).append(plan)
    return render(
        request,
        "plans/prefecture.html",
        {"prefecture": plans[0].municipality.prefecture, "code": code, "municipalities": municipalities},
    )


FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


def spellings(query: str) -> set[str]:
    """The query as typed, in half-width (ＤＸ → DX) and in full-width (DX → ＤＸ): plans print both."""
    half = unicodedata.normalize("NFKC", query)
    return {query, half, half.translate(FULLWIDTH)}


def search(request):
    """Measures of published plans whose name contains the words asked for (?q=), in plan order.

    Three queries for any query: the number found, the first SEARCH_LIMIT and their public marks.
    """
    query = " ".join(request.GET.get("q", "").split())[:SEARCH_MAX_CHARS]
    context = {"q": query, "measures": [], "found": 0, "limit": SEARCH_LIMIT}
    if query:
        matches = Q()
        for spelling in spellings(query):
            matches |= Q(name__icontains=spelling)
        measures = Measure.objects.published().filter(matches)
        context["found"] = measures.count()
        context["measures"] = list(
            measures.select_related("plan__municipality")
            .prefetch_related(Prefetch("marks", queryset=visibility.public_marks(), to_attr="public_marks"))
            .order_by("plan__municipality__code", "-plan__period_start_fy", "plan__slug", "position")[:SEARCH_LIMIT]
        )
        for measure in context["measures"]:
            measure.latest = latest_mark(measure)
    return render(request, "measures/search.html", context)
