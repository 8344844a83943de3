"""Writes that touch many KPI rows: recomputing the marks of a whole plan."""

from django.db import transaction
from django.utils import timezone

from dxportal.public_cache import bump_generation
from kpis.engine import Cell, Verdict, combine, score_kpi
from kpis.models import IndicatorValue
from measures.models import MeasureMark


def cell(text: str, value) -> Cell:
    return Cell(text=text or "", value=value)


@transaction.atomic
def recompute_plan_marks(plan) -> int:
    """Score every KPI value of the plan and every measure-year from them; return rows changed.

    Runs in a fixed number of queries whatever the plan's size: one read of the values, one of the
    measure marks, and bulk writes.
    """
    values = list(IndicatorValue.objects.filter(indicator__plan=plan).select_related("indicator").order_by("pk"))
    changed_values = []
    per_measure_year: dict[tuple[int, int], list[Verdict]] = {}
    for value in values:
        indicator = value.indicator
        verdict = score_kpi(
            kind=indicator.kind,
            direction=indicator.direction,
            target=cell(value.target_text, value.target_value),
            actual=cell(value.actual_text, value.actual_value),
        )
        if (value.computed, value.explanation) != (verdict.mark, verdict.explanation):
            value.computed, value.explanation = verdict.mark, verdict.explanation
            changed_values.append(value)
        if indicator.measure_id and value.fiscal_year >= plan.period_start_fy:
            final = Verdict(value.mark, value.override_reason if value.override else value.explanation)
            per_measure_year.setdefault((indicator.measure_id, value.fiscal_year), []).append(final)
    IndicatorValue.objects.bulk_update(changed_values, ["computed", "explanation"], batch_size=500)

    existing = {(m.measure_id, m.fiscal_year): m for m in MeasureMark.objects.filter(measure__plan=plan)}
    changed_marks, new_marks = [], []
    for key in set(per_measure_year) | set(existing):
        verdict = combine(per_measure_year.get(key, []), plan.scoring_policy)
        mark = existing.get(key)
        if mark is None:
            if verdict.mark:
                new_marks.append(
                    MeasureMark(
                        measure_id=key[0], fiscal_year=key[1], computed=verdict.mark, explanation=verdict.explanation
                    )
                )
        elif (mark.computed, mark.explanation) != (verdict.mark, verdict.explanation):
            mark.computed, mark.explanation = verdict.mark, verdict.explanation
            changed_marks.append(mark)
    MeasureMark.objects.bulk_update(changed_marks, ["computed", "explanation"], batch_size=500)
    MeasureMark.objects.bulk_create(new_marks, batch_size=500)
    # Always: the caller may have changed an override, which shows even when no computed mark moved.
    bump_generation()
    return len(changed_values) + len(changed_marks) + len(new_marks)


@transaction.atomic
def confirm_kpi_mark(*, value: IndicatorValue, mark: str, user, reason: str) -> IndicatorValue:
    """Staff confirm or change the suggested mark of a qualitative KPI: store who, when and why."""
    if not reason.strip():
        raise ValueError("a reason is required to confirm or change a mark")
    value.override = "" if mark == value.computed else mark
    value.override_reason = reason.strip() if value.override else ""
    value.confirmed_by, value.confirmed_at = user, timezone.now()
    if not value.override:
        value.note = (value.note + "\n" if value.note else "") + f"評価確認: {reason.strip()}"
    value.save(update_fields=["override", "override_reason", "confirmed_by", "confirmed_at", "note"])
    recompute_plan_marks(value.indicator.plan)
    return value
