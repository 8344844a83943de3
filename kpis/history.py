"""The public revision history of a measure's published values (公表後の変更履歴).

Built from the audit trail (django-simple-history): every change to a public field of a value made
after its fiscal year was published. A change made through ``kpis.workflow.correct_locked_value`` (a
locked year) is flagged 訂正 and shows its reason; other reasons are internal and not shown.
Three queries whatever the measure's size: the public years, the indicators, the history rows.
"""

from dataclasses import dataclass
from datetime import datetime

from kpis import audit
from kpis.models import Indicator, IndicatorValue, PlanYear
from kpis.visibility import PUBLIC_YEAR_STATUSES
from plans.models import Plan

# Fields residents see on the measure page; changes to internal fields (evidence, overrides) are not listed.
PUBLIC_FIELDS = {"actual_text": "実績", "target_text": "目標"}


@dataclass
class ValueChange:
    fiscal_year: int
    indicator: str
    field: str
    old: str
    new: str
    changed_at: datetime
    reason: str
    is_correction: bool


def public_value_history(measure) -> list[ValueChange]:
    """Changes to the measure's values after their year was published, newest first."""
    if measure.plan.status != Plan.Status.PUBLISHED:
        return []
    published_at = _published_at(PlanYear.objects.filter(plan_id=measure.plan_id))
    if not published_at:
        return []
    names = dict(Indicator.objects.filter(measure=measure).values_list("pk", "name"))
    return _changes(names, published_at)


def public_corrections(plan, fiscal_year: int) -> list[ValueChange]:
    """The corrections (訂正) of a published year's values, newest first: every indicator of the plan,
    the pillars' numeric targets (which have no measure page) included.

    One query when the year has none (the usual case: a correction needs a locked, so published,
    year); else four: the corrections, the public years, the indicators, their values' history.
    """
    if plan.status != Plan.Status.PUBLISHED:
        return []
    corrected = set(
        IndicatorValue.history.filter(
            indicator__plan=plan,
            fiscal_year=fiscal_year,
            history_change_reason__startswith=audit.CORRECTION_LABEL,
        ).values_list("indicator_id", flat=True)
    )
    if not corrected:
        return []
    published_at = _published_at(PlanYear.objects.filter(plan=plan, fiscal_year=fiscal_year))
    if not published_at:
        return []
    names = dict(Indicator.objects.filter(pk__in=corrected).values_list("pk", "name"))
    return [change for change in _changes(names, published_at) if change.is_correction]


def _published_at(years) -> dict[int, datetime]:
    return dict(years.filter(status__in=PUBLIC_YEAR_STATUSES).values_list("fiscal_year", "published_at"))


def _changes(names: dict[int, str], published_at: dict[int, datetime]) -> list[ValueChange]:
    """The public fields' changes of these indicators' values after their year's publication."""
    records = (
        IndicatorValue.history.filter(indicator_id__in=list(names), fiscal_year__in=list(published_at))
        .order_by("id", "history_date", "history_id")
        .only("id", "indicator", "fiscal_year", "history_date", "history_type", "history_change_reason", *PUBLIC_FIELDS)
    )
    changes, previous = [], None
    for record in records:
        if (
            previous is not None
            and previous.id == record.id
            and record.history_type == "~"
            and record.history_date > published_at[record.fiscal_year]
        ):
            correction = audit.is_correction(record.history_change_reason)
            reason = (record.history_change_reason or "").removeprefix(audit.CORRECTION_LABEL).lstrip(": ")
            for name, label in PUBLIC_FIELDS.items():
                old, new = getattr(previous, name), getattr(record, name)
                if old != new:
                    changes.append(
                        ValueChange(
                            record.fiscal_year,
                            names[record.indicator_id],
                            label,
                            old,
                            new,
                            record.history_date,
                            reason if correction else "",
                            correction,
                        )
                    )
        previous = record
    changes.sort(key=lambda c: c.changed_at, reverse=True)
    return changes
