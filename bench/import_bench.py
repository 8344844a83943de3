"""Import throughput: N actuals through SHEETS' import vs django-import-export's default row-by-row path.

Both read the same filled-in actuals template (.xlsx). The bench plan (demo municipality 9998) has N
numeric KPIs, ten per measure, each with a target for the bench year; it is created once per database.
The fast path is ``import_actuals`` (what ``manage.py import_actuals`` runs: full validation, audit
history, marks); the baseline is django-import-export's default ``ModelResource.import_data``, one
lookup and one save() (with its history row) per row. ``fast_breakdown_seconds`` splits the fast path
into read / validate / write / history / marks / other.
"""

import io
import random
import time
from collections import defaultdict
from contextlib import contextmanager

import tablib
from django.contrib.auth.models import User
from django.db import transaction
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget
from openpyxl import load_workbook

from kpis.management.commands.generate_demo_data import DEMO_PREFECTURE, demo_code
from kpis.models import Indicator, IndicatorValue
from measures.models import Measure, MeasureListing
from plans.models import Category, Municipality, Plan

BENCH_NUMBER = 9998
BENCH_SLUG = f"demo-{BENCH_NUMBER}"
FISCAL_YEAR = 2025


@transaction.atomic
def bench_plan(kpis: int) -> Plan:
    # By slug: the demo codes may change between versions of generate_demo_data, the slug does not.
    existing = Plan.objects.filter(municipality__slug=BENCH_SLUG, slug=f"import-{kpis}").first()
    if existing:
        return existing
    municipality, _ = Municipality.objects.get_or_create(
        slug=BENCH_SLUG,
        defaults={"name": "デモ市9998（取込ベンチ）", "prefecture": DEMO_PREFECTURE, "code": demo_code(BENCH_NUMBER)},
    )
    plan = Plan.objects.create(
        municipality=municipality,
        slug=f"import-{kpis}",
        title=f"【デモ】取込ベンチ用計画（指標{kpis}件）",
        status=Plan.Status.DRAFT,
        period_start_fy=2024,
        period_end_fy=2027,
    )
    category = Category.objects.create(plan=plan, path="1", label="1", name="ベンチ", depth=0, position=0)
    measures = Measure.objects.bulk_create(
        Measure(plan=plan, key=f"m{i}", code=f"m{i}", name=f"ベンチ取組{i}", position=i) for i in range(kpis // 10)
    )
    MeasureListing.objects.bulk_create(
        MeasureListing(measure=m, category=category, is_primary=True, position=0) for m in measures
    )
    indicators = Indicator.objects.bulk_create(
        Indicator(plan=plan, measure=m, name=f"件数{j}", unit="件", kind=Indicator.Kind.NUMERIC, position=j)
        for m in measures
        for j in range(10)
    )
    rng = random.Random(kpis)
    IndicatorValue.objects.bulk_create(
        IndicatorValue(indicator=i, fiscal_year=FISCAL_YEAR, target_text=f"{t}件", target_value=t)
        for i in indicators
        for t in [rng.randint(10, 500)]
    )
    return plan


def filled_template(plan: Plan, user) -> bytes:
    from kpis.sheets.columns import BY_KEY, HEADER_ROW, SHEET
    from kpis.sheets.template import build_actuals_template

    stream = io.BytesIO()
    build_actuals_template(plan, FISCAL_YEAR, stream)
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    sheet = workbook[SHEET]
    headers = [c.value for c in sheet[HEADER_ROW]]
    column = headers.index(BY_KEY["actual"].header) + 1
    rng = random.Random(1)
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        sheet.cell(row=row, column=column, value=rng.randint(0, 600))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class RowByRowResource(resources.ModelResource):
    """django-import-export's default path: one lookup and one save per row."""

    indicator = fields.Field(attribute="indicator", column_name="指標ID", widget=ForeignKeyWidget(Indicator))
    fiscal_year = fields.Field(attribute="fiscal_year", column_name="年度")
    actual_text = fields.Field(attribute="actual_text", column_name="実績")
    actual_value = fields.Field(attribute="actual_value", column_name="実績値")

    class Meta:
        model = IndicatorValue
        import_id_fields = ("indicator", "fiscal_year")
        fields = ("indicator", "fiscal_year", "actual_text", "actual_value")


def reset(plan: Plan) -> None:
    IndicatorValue.objects.filter(indicator__plan=plan, fiscal_year=FISCAL_YEAR).update(
        actual_text="", actual_value=None
    )


@contextmanager
def phases():
    """Seconds spent in each phase of the import, by wrapping the functions that do it (bench only).

    read: reading the .xlsx; validate: validate_entries (the check, and again inside save_entries);
    write: the bulk INSERT/UPDATE of the values; history: their history rows; marks: recompute_plan_marks.
    """
    from simple_history.manager import HistoryManager

    import kpis.entry
    import kpis.sheets.actuals

    spent: dict[str, float] = defaultdict(float)
    wrapped = [
        (kpis.sheets.actuals, "read_actuals", "read"),
        (kpis.entry, "_validate", "validate"),
        (kpis.entry, "bulk_create_with_history", "write"),
        (kpis.entry, "update_rows", "write"),
        (HistoryManager, "bulk_history_create", "history"),
        (kpis.entry, "recompute_plan_marks", "marks"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in wrapped]
    inner = [0.0]  # time of wrapped calls inside the running one: each phase counts its own time only

    def timing(function, key):
        def timed(*args, **kwargs):
            outer, inner[0] = inner[0], 0.0
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                spent[key] += elapsed - inner[0]
                inner[0] = outer + elapsed

        return timed

    for (owner, name, key), (_, _, original) in zip(wrapped, originals, strict=True):
        setattr(owner, name, timing(original, key))
    try:
        yield spent
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def run(kpis: int) -> dict:
    try:
        from kpis.sheets.actuals import import_actuals
        from kpis.sheets.reader import read_actuals
    except ImportError:
        return {"skipped": "kpis.sheets.actuals.import_actuals does not exist yet"}
    plan = bench_plan(kpis)
    user = User.objects.filter(username="bench-hq").first() or User.objects.create(
        username="bench-hq", is_staff=True, is_superuser=True
    )
    data = filled_template(plan, user)
    reset(plan)

    with phases() as spent:
        started = time.perf_counter()
        result = import_actuals(data=data, fiscal_year=FISCAL_YEAR, user=user, filename="bench.xlsx")
        fast = time.perf_counter() - started
    if not result.ok:
        return {"error": result.errors[:5]}
    written = IndicatorValue.objects.filter(indicator__plan=plan, fiscal_year=FISCAL_YEAR).exclude(actual_text="")
    fast_rows = written.count()
    reset(plan)

    started = time.perf_counter()
    parsed = read_actuals(data, "bench.xlsx")
    dataset = tablib.Dataset(headers=["指標ID", "年度", "実績", "実績値"])
    for row in parsed.rows:
        dataset.append([row.text("indicator_id"), row.text("fiscal_year"), row.text("actual"), row.text("actual")])
    outcome = RowByRowResource().import_data(dataset, dry_run=False, raise_errors=True)
    baseline = time.perf_counter() - started
    baseline_rows = written.count()
    return {
        "actuals": kpis,
        "fast_seconds": round(fast, 2),
        "fast_rows_written": fast_rows,
        "fast_rows_per_second": round(fast_rows / fast),
        "row_by_row_seconds": round(baseline, 2),
        "row_by_row_rows_written": baseline_rows,
        "row_by_row_rows_per_second": round(baseline_rows / baseline),
        "speedup": round(baseline / fast, 1),
        "fast_breakdown_seconds": {key: round(seconds, 2) for key, seconds in spent.items()}
        | {"other": round(fast - sum(spent.values()), 2)},
        "fast_counts": vars(result.saved),
        "row_by_row_totals": dict(outcome.totals),
    }
