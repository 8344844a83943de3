"""Writes that touch many KPI rows: recomputing the marks of a whole plan."""

from collections.abc import Collection

from django.db import connections, router, transaction
from django.utils import timezone

from kpis.engine import Cell, Verdict, combine, score_kpi
from kpis.evaluation import interim_target
from kpis.models import IndicatorValue, PlanYear
from measures.models import MeasureMark
from plans.generations import bump_after_commit


def cell(text: str, value) -> Cell:
    return Cell(text=text or "", value=value)


def update_rows(rows: list, fields: list[str]) -> None:
    """Write the given fields of saved rows: one short UPDATE per row, sent together with executemany.

    For thousands of rows this is many times faster than QuerySet.bulk_update, whose CASE WHEN per field
    and row costs seconds to build in Python and to run; SQLite runs executemany in C and psycopg sends it
    in one pipeline. Like bulk_update, it calls no save() and sends no signal (so leaves no history).
    """
    if not rows:
        return
    model = type(rows[0])
    meta, connection = model._meta, connections[router.db_for_write(model)]
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in columns), quote(meta.pk.column)
    )
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def numeric_targets(values: list[IndicatorValue]) -> dict[int, dict]:
    """{indicator id: {fiscal year: target value}} of the years that print a numeric target."""
    result: dict[int, dict] = {}
    for value in values:
        if value.target_value is not None and value.target_text.strip():
            result.setdefault(value.indicator_id, {})[value.fiscal_year] = value.target_value
    return result


@transaction.atomic
def recompute_plan_marks(plan, *, bump: bool = True, corrected_years: Collection[int] = ()) -> int:
    """Score every KPI value of the plan and every measure-year from them; return rows changed.

    bump=False: the caller knows nothing public changed (a save into a year not yet published), so
    the municipality's cached public pages stay.

    A locked year's results and marks stay as they were locked, whatever changed since (a KPI's
    direction, a definition): only a correction (kpis.workflow.correct_locked_value, which passes
    ``corrected_years``) recomputes one.

    Runs in a fixed number of queries whatever the plan's size: one read of the locked years, one of the
    values, one of the measure marks, and bulk writes (update_rows, bulk_create).
    """
    scheme = plan.scheme
    locked = set(
        PlanYear.objects.filter(plan=plan, status=PlanYear.Status.LOCKED).values_list("fiscal_year", flat=True)
    ) - set(corrected_years)
    values = list(IndicatorValue.objects.filter(indicator__plan=plan).select_related("indicator").order_by("pk"))
    targets = numeric_targets(values)
    changed_values = []
    per_measure_year: dict[tuple[int, int], list[Verdict]] = {}
    for value in values:
        if value.fiscal_year in locked:
            continue  # read all the same: a locked year's targets still shape the other years' interim targets
        indicator = value.indicator
        interim = interim_target(
            scheme=scheme,
            cumulative=indicator.cumulative,
            fiscal_year=value.fiscal_year,
            targets=targets.get(indicator.pk, {}),
            baseline_value=indicator.baseline_value,
            baseline_fy=indicator.baseline_fy,
            plan_start_fy=plan.period_start_fy,
        )
        verdict = score_kpi(
            kind=indicator.kind,
            direction=indicator.direction,
            target=cell(value.target_text, value.target_value),
            actual=cell(value.actual_text, value.actual_value),
            scheme=scheme,
            interim=interim,
        )
        if (value.computed, value.explanation) != (verdict.mark, verdict.explanation):
            value.computed, value.explanation = verdict.mark, verdict.explanation
            changed_values.append(value)
        # Unit "kpi": the marks are the KPIs'; measures get none (their old computed marks are cleared).
        if scheme.unit == "measure" and indicator.measure_id and value.fiscal_year >= plan.period_start_fy:
            final = Verdict(value.mark, value.override_reason if value.override else value.explanation)
            per_measure_year.setdefault((indicator.measure_id, value.fiscal_year), []).append(final)
    update_rows(changed_values, ["computed", "explanation"])

    existing = {
        (m.measure_id, m.fiscal_year): m
        for m in MeasureMark.objects.filter(measure__plan=plan).exclude(fiscal_year__in=locked)
    }
    changed_marks, new_marks = [], []
    for key in set(per_measure_year) | set(existing):
        verdict = combine(per_measure_year.get(key, []), scheme.combine, scheme)
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
    update_rows(changed_marks, ["computed", "explanation"])
    MeasureMark.objects.bulk_create(new_marks, batch_size=500)
    # Always: the caller may have changed an override, which shows even when no computed mark moved.
    if bump:
        bump_after_commit(plan.municipality_id)
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
