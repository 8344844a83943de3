"""The preview of a plan's public pages, for its own staff: a draft as residents will see it once published.

/preview/<municipality>/<plan>/ (/en/preview/… in English): the plan page, its roadmap, its yearly
summaries and its measure pages, rendered by the same functions and templates as the public pages, for a
plan of any status, as residents will see them once it is published (``as_if_published``). Only a
logged-in member of the plan's municipality (HQ or department staff) and superusers see them
(plans.access.can_view_plan); anonymous visitors are sent to the login, anyone else gets 404, so a
draft's existence shows to nobody outside its municipality.

Here, and not in the staff admin, because these are the public pages: the admin links to them by URL
name only (the two apps never import each other). A preview is never kept: it is sent ``private,
no-store`` (the page cache and any proxy pass it by) and ``noindex``; the sitemaps, open data and the
static publication list published plans only, never a preview URL. Within a preview, links to the plan's
own pages lead to their previews; links outside the plan (home, the municipality, departments) lead to
the public site. A banner below the site's header says that it is a preview and, to HQ, offers to
publish a draft.
"""

import functools
import re

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers

from dxportal.public.measure import render_measure
from dxportal.public.roadmap import render_roadmap
from dxportal.public.views import render_plan, render_summary
from measures.models import Measure
from plans import access
from plans.models import Plan

CACHE_CONTROL = "private, no-store"
SITE_HEADER_END = "</header>"  # the banner goes below the site's header, the skip link staying first
# The plan's own pages a preview serves: the plan page, its roadmap, summaries and measure pages.
PLAN_PAGES = r"(?:roadmap/|summary/[0-9]+/|measures/[^\"/?#]+/)?(?:[?#][^\"]*)?"


def preview_view(render_page):
    """A preview view around a function rendering a page of a plan already found: staff only, the plan
    found whatever its status, the page marked and kept out of every cache."""

    @functools.wraps(render_page)
    def view(request, municipality, plan, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        plan = get_object_or_404(
            Plan.objects.select_related("municipality"), municipality__slug=municipality, slug=plan
        )
        if not access.can_view_plan(request.user, plan):
            raise Http404("not a plan of the user's municipality")
        banner = banner_context(request, plan)
        response = as_if_published(plan, lambda: render_page(request, plan, **kwargs))
        return as_preview(request, response, plan, banner)

    return view


def as_if_published(plan, render):
    """The page as residents will see it once the plan is published: rendered in a transaction that marks
    the plan published and is rolled back. What residents may see (kpis.visibility: actuals and marks of
    published years of published plans) is decided in SQL on the plan's status, so the same rule answers."""
    status = plan.status
    with transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.PUBLISHED)
        plan.status = Plan.Status.PUBLISHED
        try:
            return render()
        finally:
            transaction.set_rollback(True)
            plan.status = status


def as_preview(request, response, plan, banner: dict):
    """The page with the preview banner, its links to the plan's pages kept in the preview, never stored."""
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        html = keep_links_in_preview(response.content.decode(response.charset), plan)
        banner = render_to_string("preview/banner.html", banner, request)
        response.content = html.replace(SITE_HEADER_END, SITE_HEADER_END + banner, 1).encode(response.charset)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Robots-Tag"] = "noindex, nofollow"
    patch_vary_headers(response, ["Cookie"])
    return response


def keep_links_in_preview(html: str, plan) -> str:
    """Links to the plan's own pages (/<m>/<p>/…, /en/<m>/<p>/…) as links to their previews."""
    slugs = [plan.municipality.slug, plan.slug]
    public, preview = reverse("plan", args=slugs), reverse("plan-preview", args=slugs)
    link = re.compile(f'href="{re.escape(public)}({PLAN_PAGES})"')
    return link.sub(lambda found: f'href="{preview}{found.group(1)}"', html)


def banner_context(request, plan) -> dict:
    can_publish = plan.status == Plan.Status.DRAFT and access.can_publish(request.user, plan)
    return {
        "plan": plan,
        "is_draft": plan.status == Plan.Status.DRAFT,
        "admin_url": reverse("admin:plans_plan_change", args=[plan.pk]),
        "publish_url": reverse("admin:plans_plan_publish", args=[plan.pk]) if can_publish else "",
    }


def measure_page(request, plan, key):
    measure = get_object_or_404(Measure.objects.select_related("plan__municipality"), plan=plan, key=key)
    return render_measure(request, measure)


plan_preview = preview_view(render_plan)
roadmap_preview = preview_view(render_roadmap)
summary_preview = preview_view(render_summary)
measure_preview = preview_view(measure_page)

# Included under /preview/ inside the language prefix (dxportal/urls.py), before the public pages.
urlpatterns = [
    path("<slug:municipality>/<slug:plan>/", plan_preview, name="plan-preview"),
    path("<slug:municipality>/<slug:plan>/roadmap/", roadmap_preview, name="plan-roadmap-preview"),
    path("<slug:municipality>/<slug:plan>/summary/<int:fy>/", summary_preview, name="plan-summary-preview"),
    path("<slug:municipality>/<slug:plan>/measures/<str:key>/", measure_preview, name="measure-preview"),
]
