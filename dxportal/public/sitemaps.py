"""Sitemaps of every public page, only of published plans, in Japanese and English (hreflang alternates).

``/sitemap.xml`` is a sitemap index: the portal's own pages (``/sitemap-portal.xml``) and one
sitemap per municipality with a published plan (``/<municipality>/sitemap.xml``). One file for the
whole country does not do: at 1,741 municipalities it held 124,424 URLs in 51 MB (the protocol
allows 50,000 per file), took 12.8 s and 533 MiB to build, and still left out 164,254 of the
214,254 measure URLs, because Django serves only the first 50,000 of a section without an index.

Each sitemap costs a fixed number of queries whatever the number of municipalities or measures, and
a municipality's sitemap sits under its own path, so the page cache keeps it until that municipality
publishes something. A municipality's sitemap stays far below the per-file limit: Akita, the largest
seed plan, makes 410 URLs; a section would be cut at 50,000 (25,000 measures in two languages).
"""

from functools import cached_property

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, sitemap, x_robots_tag
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from dxportal.public.compare import published_municipalities
from dxportal.public.published import published_prefectures
from measures.models import Measure, PriorityArea
from plans.models import Department, Municipality, Plan

PUBLISHED = Plan.Status.PUBLISHED


class PortalSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


# --- The portal's own pages: bounded by the 47 prefectures and the national priority areas ---------


class PageSitemap(PortalSitemap):
    def items(self):
        return ["home", "compare-index"]

    def location(self, item):
        return reverse(item)


class PrefectureSitemap(PortalSitemap):
    def items(self):
        return [prefecture["code"] for prefecture in published_prefectures()]

    def location(self, item):
        return reverse("prefecture", args=[item])


class CompareSitemap(PortalSitemap):
    def items(self):
        return list(PriorityArea.objects.order_by("pk"))

    def location(self, item):
        return reverse("compare", args=[item.slug])


PORTAL_SITEMAPS = {"pages": PageSitemap, "prefectures": PrefectureSitemap, "compare": CompareSitemap}


# --- One municipality's pages ------------------------------------------------------------------


class MunicipalityPages:
    """What one municipality publishes, each row set read once for all the sections that list it."""

    def __init__(self, municipality: Municipality):
        self.municipality = municipality

    @cached_property
    def plans(self) -> list[Plan]:
        return list(Plan.objects.published().filter(municipality=self.municipality).order_by("slug"))

    def sitemaps(self) -> dict[str, Sitemap]:
        return {
            "municipality": MunicipalitySitemap(self),
            "plans": PlanSitemap(self),
            "summaries": SummarySitemap(self),
            "measures": MeasureSitemap(self),
            "departments": DepartmentSitemap(self),
        }


class MunicipalitySection(PortalSitemap):
    def __init__(self, pages: MunicipalityPages):
        self.pages = pages
        self.municipality = pages.municipality


class MunicipalitySitemap(MunicipalitySection):
    def items(self):
        return [self.municipality.slug]

    def location(self, item):
        return reverse("municipality", args=[item])


class PlanSitemap(MunicipalitySection):
    """The plan page and its roadmap."""

    def items(self):
        return [(plan, name) for plan in self.pages.plans for name in ("plan", "plan-roadmap")]

    def location(self, item):
        plan, name = item
        return reverse(name, args=[self.municipality.slug, plan.slug])


class SummarySitemap(MunicipalitySection):
    def items(self):
        return [(plan, fy) for plan in self.pages.plans for fy in plan.fiscal_years]

    def location(self, item):
        plan, fy = item
        return reverse("plan-summary", args=[self.municipality.slug, plan.slug, fy])


class MeasureSitemap(MunicipalitySection):
    def items(self):
        return list(
            Measure.objects.published()
            .filter(plan__municipality=self.municipality)
            .values_list("plan__slug", "key")
            .order_by("plan__slug", "position")
        )

    def location(self, item):
        plan_slug, key = item
        return reverse("measure", args=[self.municipality.slug, plan_slug, key])


class DepartmentSitemap(MunicipalitySection):
    """Departments with a public page: they (or their 課) own a measure of a published plan."""

    def items(self):
        owns = Q(ownerships__measure__plan__status=PUBLISHED)
        children_own = Q(children__ownerships__measure__plan__status=PUBLISHED)
        return list(
            Department.objects.filter(municipality=self.municipality)
            .filter(owns | children_own)
            .values_list("pk", flat=True)
            .distinct()
            .order_by("name", "pk")
        )

    def location(self, item):
        return reverse("department", args=[self.municipality.slug, item])


# --- Views ---------------------------------------------------------------------------------------


@x_robots_tag
def sitemap_index(request):
    """The portal's sitemap, then one per municipality with a published plan: one query."""
    slugs = published_municipalities().values_list("slug", flat=True)
    locations = [reverse("sitemap-portal"), *(reverse("sitemap-municipality", args=[slug]) for slug in slugs)]
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": [SitemapIndexItem(request.build_absolute_uri(location)) for location in locations]},
        content_type="application/xml",
    )


def portal_sitemap(request):
    return sitemap(request, PORTAL_SITEMAPS)


def municipality_sitemap(request, municipality):
    found = get_object_or_404(published_municipalities(), slug=municipality)
    return sitemap(request, MunicipalityPages(found).sitemaps())


def robots_txt(request):
    """Everything public may be crawled (the admin needs a login anyway); where the sitemap is."""
    lines = ["User-agent: *", "Allow: /", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
