"""Each published plan at a glance (home and prefecture pages): its latest published fiscal year, when the
municipality published it, its measures per mark, and what changed since the year published before it.

Both pages read the same function, so a plan the home page lists as published is the plan the prefecture
page shows with its marks. A year counts only when it is public and within the plan period: the year
before the period (the baseline column) may be published with its actuals, but has no marks and no
summary page to link to.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from kpis import visibility
from kpis.models import PlanYear
from kpis.visibility import PUBLIC_YEAR_STATUSES
from plans.marks import final_mark_expression
from plans.models import DatePrecision, Plan, PlanRevision

IN_PERIOD = Q(fiscal_year__gte=F("plan__period_start_fy"), fiscal_year__lte=F("plan__period_end_fy"))


def with_document_date(plans):
    """The plans with ``revised_on`` / ``revised_precision``: the date of their latest revision, in the
    same query (the document in its current form is the later of it and ``published_on``)."""
    latest = PlanRevision.objects.filter(plan=OuterRef("pk")).order_by("-date", "-pk")
    return plans.annotate(
        revised_on=Subquery(latest.values("date")[:1]), revised_precision=Subquery(latest.values("date_precision")[:1])
    )


def document_date(plan) -> tuple[date | None, str]:
    """The date of the plan document in its current form: the later of its publication and its latest
    revision (Misato's action plan of December 2024 was revised in March 2026), with its precision."""
    dated = [(plan.published_on, plan.published_on_precision)]
    if getattr(plan, "revised_on", None):
        dated.append((plan.revised_on, plan.revised_precision))
    dated = [(day, precision) for day, precision in dated if day]
    return max(dated, key=lambda pair: pair[0]) if dated else (None, DatePrecision.DAY)


def after_year_end(day: date, precision: str, fiscal_year: int) -> bool:
    """Could a document of this date hold the actuals of the fiscal year (April–March)? Only after it ended."""
    if precision == DatePrecision.MONTH:
        return (day.year, day.month) > (fiscal_year + 1, 3)
    return day > date(fiscal_year + 1, 3, 31)


@dataclass
class Publication:
    """A public fiscal year of a plan: when it was published and its measures per final mark."""

    fiscal_year: int
    # The municipality's own date: the portal's when HQ published the year here; the document's when the
    # plan document itself printed the year (imported with plan.published_years); None when unknown.
    published_on: date | None
    precision: str
    in_document: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def by_month(self) -> bool:
        return self.precision == DatePrecision.MONTH


@dataclass
class Glance:
    plan: Plan
    latest: Publication
    previous: Publication | None

    def changes(self) -> list[dict]:
        """Per legend entry: the count of the previous publication, the latest, and the difference."""
        rows = []
        for entry in self.plan.legend:
            after = self.latest.counts.get(entry["code"], 0)
            before = self.previous.counts.get(entry["code"], 0) if self.previous else None
            rows.append(
                {"entry": entry, "before": before, "after": after, "delta": None if before is None else after - before}
            )
        return rows


def publication(plan, fiscal_year: int, published_by_id, published_at) -> Publication:
    if published_by_id is not None:  # HQ published it in the portal (kpis.workflow names the user)
        return Publication(fiscal_year, timezone.localdate(published_at), DatePrecision.DAY, False)
    # Published by the plan import, because the document printed it (plan.published_years): its own date,
    # if it can hold the year's actuals at all.
    day, precision = document_date(plan)
    if day and after_year_end(day, precision, fiscal_year):
        return Publication(fiscal_year, day, precision, True)
    return Publication(fiscal_year, None, DatePrecision.DAY, True)


def plan_glances(plans: list[Plan]) -> dict[int, Glance]:
    """Per plan id with a public year in its period: its glance. Two queries whatever the number of plans.

    Plans should come through ``with_document_date`` (else only ``published_on`` dates a document).
    """
    by_pk = {plan.pk: plan for plan in plans}
    years: dict[int, list[Publication]] = {}
    for plan_id, fiscal_year, published_by_id, published_at in (
        PlanYear.objects.filter(IN_PERIOD, plan_id__in=list(by_pk), status__in=PUBLIC_YEAR_STATUSES)
        .order_by("plan_id", "fiscal_year")
        .values_list("plan_id", "fiscal_year", "published_by_id", "published_at")
    ):
        plan = by_pk[plan_id]
        entry = publication(plan, fiscal_year, published_by_id, published_at)
        entry.counts = dict.fromkeys((e["code"] for e in plan.legend), 0)
        years.setdefault(plan_id, []).append(entry)
    counted = {(plan_id, entry.fiscal_year): entry for plan_id, entries in years.items() for entry in entries}
    for plan_id, fiscal_year, final, n in (
        visibility.public_marks()
        .filter(measure__plan__in=list(years))
        .annotate(final_mark=final_mark_expression())
        .values_list("measure__plan_id", "fiscal_year", "final_mark")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        entry = counted.get((plan_id, fiscal_year))
        if entry is not None and final:
            entry.counts[final] = entry.counts.get(final, 0) + n
    return {
        plan_id: Glance(by_pk[plan_id], entries[-1], entries[-2] if len(entries) > 1 else None)
        for plan_id, entries in years.items()
    }


def recently_published(limit: int = 10) -> list[Glance]:
    """The published plans whose latest public year (in the period) was published last, newest first."""
    plans = list(
        with_document_date(Plan.objects.published())
        .annotate(
            last_published=Max(
                "years__published_at",
                filter=Q(
                    years__status__in=PUBLIC_YEAR_STATUSES,
                    years__fiscal_year__gte=F("period_start_fy"),
                    years__fiscal_year__lte=F("period_end_fy"),
                ),
            )
        )
        .filter(last_published__isnull=False)
        .select_related("municipality")
        .order_by("-last_published", "municipality__code", "slug")[:limit]
    )
    glances = plan_glances(plans)
    found = [glances[plan.pk] for plan in plans if plan.pk in glances]
    # Shown newest first by the municipality's own date (the order above is the portal's).
    return sorted(found, key=lambda glance: glance.latest.published_on or date.min, reverse=True)


def prefecture_plans(code: str) -> list[Plan]:
    """The published plans of the prefecture's municipalities (the prefecture's own included), in code order,
    with the date of their document."""
    return list(
        with_document_date(Plan.objects.published())
        .filter(municipality__code__startswith=code)
        .select_related("municipality")
        .order_by("municipality__code", "slug")
    )
