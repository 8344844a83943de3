"""The one rule for what residents may see of yearly values.

Targets are printed in the plan and are public with the plan. Actuals and marks of a fiscal year are
public only once HQ has published that year (the Staff/HQ workflow owns the year states). Every public
read path (pages, CSV, JSON, sitemap, summary) goes through ``actual_public_expression`` or the
QuerySet methods built on it, so the rule lives in one place.
"""

from django.db.models import Q
from django.db.models.expressions import ExpressionWrapper
from django.db.models.fields import BooleanField


def actual_public_expression(plan_path: str, fy_field: str):
    """A boolean expression: is the fiscal year ``fy_field`` of the plan at ``plan_path`` public?

    Placeholder until the workflow's year states exist: every year of a published plan is public.
    """
    del fy_field  # used once year states exist
    return ExpressionWrapper(Q(**{f"{plan_path}__status": "published"}), output_field=BooleanField())
