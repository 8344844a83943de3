"""/sitemap.xml: every public page, only of published plans, in Japanese and English (hreflang alternates).

One query per section whatever the number of measures.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.urls import reverse

from measures.models import Measure, PriorityArea
from measures.public import published_prefectures
from plans.models import Department, Municipality, Plan

PUBLISHED = Plan.Status.PUBLISHED


class PortalSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


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


class MunicipalitySitemap(PortalSitemap):
    def items(self):
        return list(Municipality.objects.filter(plans__status=PUBLISHED).distinct().order_by("code"))

    def location(self, item):
        return reverse("municipality", args=[item.slug])


def published_plans():
    return list(Plan.objects.published().select_related("municipality").order_by("municipality__code", "slug"))


class PlanSitemap(PortalSitemap):
    """The plan page and its roadmap."""

    def items(self):
        return [(plan, name) for plan in published_plans() for name in ("plan", "plan-roadmap")]

    def location(self, item):
        plan, name = item
        return reverse(name, args=[plan.municipality.slug, plan.slug])


class SummarySitemap(PortalSitemap):
    def items(self):
        return [(plan, fy) for plan in published_plans() for fy in plan.fiscal_years]

    def location(self, item):
        plan, fy = item
        return reverse("plan-summary", args=[plan.municipality.slug, plan.slug, fy])


class MeasureSitemap(PortalSitemap):
    def items(self):
        return list(
            Measure.objects.published()
            .select_related("plan__municipality")
            .only("key", "plan__slug", "plan__municipality__slug")
            .order_by("plan__municipality__code", "plan__slug", "position")
        )

    def location(self, item):
        return reverse("measure", args=[item.plan.municipality.slug, item.plan.slug, item.key])


class DepartmentSitemap(PortalSitemap):
    """Departments with a public page: they (or their 課) own a measure of a published plan."""

    def items(self):
        owns = Q(ownerships__measure__plan__status=PUBLISHED)
        children_own = Q(children__ownerships__measure__plan__status=PUBLISHED)
        return list(
            Department.objects.filter(owns | children_own)
            .distinct()
            .select_related("municipality")
            .order_by("municipality__code", "name")
        )

    def location(self, item):
        return reverse("department", args=[item.municipality.slug, item.pk])


class CompareSitemap(PortalSitemap):
    def items(self):
        return list(PriorityArea.objects.order_by("pk"))

    def location(self, item):
        return reverse("compare", args=[item.slug])


SITEMAPS = {
    "pages": PageSitemap,
    "prefectures": PrefectureSitemap,
    "municipalities": MunicipalitySitemap,
    "plans": PlanSitemap,
    "summaries": SummarySitemap,
    "measures": MeasureSitemap,
    "departments": DepartmentSitemap,
    "compare": CompareSitemap,
}
