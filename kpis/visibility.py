"""The one rule for what residents may see of yearly values.

Targets are printed in the plan and are public with the plan. Actuals and marks of a fiscal year are
public only once HQ has published that year (``PlanYear`` published or locked, see kpis.workflow). Every
public read path (pages, CSV, JSON, sitemap, summary) goes through ``actual_public_expression`` or the
QuerySet methods built on it, so the rule lives in one place.
"""

from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import ExpressionWrapper
from django.db.models.fields import BooleanField

from kpis.models import PlanYear
from measures.models import MeasureMark
from plans.models import Plan

PUBLIC_YEAR_STATUSES = (PlanYear.Status.PUBLISHED, PlanYear.Status.LOCKED)


def actual_public_expression(plan_path: str, fy_field: str):
    """A boolean expression: is the fiscal year ``fy_field`` of the plan at ``plan_path`` public?

    True when the plan is published and its year has been published (or published and then locked).
    One EXISTS subquery on the (plan, fiscal_year) unique index, whatever the number of rows.
    """
    year_public = Exists(
        PlanYear.objects.filter(
            plan=OuterRef(plan_path), fiscal_year=OuterRef(fy_field), status__in=PUBLIC_YEAR_STATUSES
        )
    )
    return ExpressionWrapper(
        Q(**{f"{plan_path}__status": Plan.Status.PUBLISHED}) & Q(year_public), output_field=BooleanField()
    )


def public_marks():
    """Measure marks residents may see: those of published fiscal years of published plans."""
    return MeasureMark.objects.alias(public=actual_public_expression("measure__plan", "fiscal_year")).filter(
        public=True
    )


def mask(value):
    """Blank, in memory only, what residents may not see yet of a value: its actual and its marks.

    The target stays: it is printed in the plan. Callers never save a masked value.
    """
    if value is not None and not value.actual_public:
        value.actual_text, value.actual_value, value.achievement_text, value.note = "", None, "", ""
        value.computed = value.override = value.override_reason = value.explanation = ""
    return value
