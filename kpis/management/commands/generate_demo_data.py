"""Synthetic plans for load and scale tests, shaped like the four real plans in fixtures/.

Each demo plan copies the shape of one real plan (category tree and depth, measures per category,
KPI kinds, which years carry targets and actuals) and draws new numbers in the same places, so the
engine scores a realistic mix of marks. Printed marks and override reasons are dropped: demo marks
are the engine's own.

Speed: the first demo plan of each shape goes in through the interchange importer (validated, about
1–3 s a plan). Every further one copies the rows of one of those, with new numbers that the engine
scores in memory; plans go in batches of BATCH with one INSERT statement (executemany) per table per
batch and ids handed out by the command, so the number of queries does not grow with the plans and
1,741 municipalities take about 25 s on SQLite and 60 s on PostgreSQL (docs/performance.md; the
per-plan copy and scoring of before took 0.2–2 s a plan).

Demo municipalities never collide with real ones: their codes start with 90–99, real JIS X 0402 codes
with a prefecture number 01–47. Their names say デモ, their prefecture is デモ県.
"""

import copy
import json
import random
import time
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from kpis.engine import Cell, Verdict, combine, score_kpi
from kpis.interchange.importer import import_plan
from kpis.interchange.validation import check_digit_ok
from kpis.models import Indicator, IndicatorValue, PlanYear
from measures.models import (
    Measure,
    MeasureDepartment,
    MeasureListing,
    MeasureMark,
    MeasureStage,
    ScheduleEntry,
)
from plans.generations import bump_after_commit
from plans.models import Category, Department, Municipality, Plan, PlanRevision

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
DEMO_PREFECTURE = "デモ県"
FIRST_DEMO_PREFIX = 90  # the two-digit prefecture part; real prefectures are 01–47
LARGE_PLAN_NUMBER = 9999
BATCH = 100  # demo plans per transaction: memory stays small, queries per plan near zero


def real_plans() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.glob("*.json"))]


def demo_code(number: int) -> str:
    """Six digits with a valid check digit, 90000x–99999x: room for 10,000 demo municipalities.

    Consecutive numbers go round the ten demo "prefectures" 90–99, so 1,741 municipalities make ten
    of about 174 each, near the largest real one (Hokkaido, 179), not one of 1,000.
    """
    if not 0 <= number < 10_000:
        raise ValueError(f"demo municipality number {number} is outside 0–9999")
    stem = f"{FIRST_DEMO_PREFIX + number % 10}{number // 10:03d}"
    return next(stem + str(d) for d in range(10) if check_digit_ok(stem + str(d)))


def demo_document(template: dict, number: int, rng: random.Random, measures: int | None = None) -> dict:
    """A demo copy of `template` for demo municipality `number`, optionally grown to `measures` measures."""
    document = copy.deepcopy(template)
    document["municipality"] = {
        "code": demo_code(number),
        "name": f"デモ市{number:04d}",
        "name_en": f"Demo City {number:04d}",
        "prefecture": DEMO_PREFECTURE,
        "slug": f"demo-{number:04d}",
    }
    plan = document["plan"]
    plan.update(
        title=f"【デモ】{plan['title']}",
        status="published",
        description="負荷試験用の架空の計画です。実在の団体のデータではありません。",
    )
    if measures:
        document["measures"] = grown(document["measures"], measures)
    for kpi in all_indicators(document):
        randomize_values(kpi, rng)
    for measure in document["measures"]:
        measure.pop("marks", None)
    return document


def grown(measures: list[dict], count: int) -> list[dict]:
    """`count` measures cycling through the template's, with unique keys."""
    result = []
    for i in range(count):
        measure = copy.deepcopy(measures[i % len(measures)])
        if i >= len(measures):
            suffix = f"-{i // len(measures)}"
            measure["key"] += suffix
            if measure.get("code"):
                measure["code"] += suffix
        result.append(measure)
    return result


def all_indicators(document: dict):
    def walk(categories):
        for category in categories:
            yield from category.get("indicators", [])
            yield from walk(category.get("children", []))

    yield from walk(document["categories"])
    for measure in document["measures"]:
        yield from measure.get("kpis", [])


def randomize_values(kpi: dict, rng: random.Random) -> None:
    """New numbers where the real plan printed numbers: the same years, kinds and blanks."""
    unit = kpi.get("unit", "")
    scale = rng.choice([1, 5, 10, 50, 100, 1000])
    for value in kpi.get("values", []):
        for printed in ("mark", "override_reason", "achievement_text"):
            value.pop(printed, None)
        target, actual = value.get("target") or {}, value.get("actual") or {}
        if target.get("value") is not None:
            number = rng.randint(1, 10) * scale
            value["target"] = {"text": f"{number}{unit}", "value": number}
        if actual.get("value") is not None:
            goal = value["target"]["value"] if target.get("value") is not None else scale * 5
            number = max(0, round(goal * rng.uniform(0.6, 1.3)))
            value["actual"] = {"text": f"{number}{unit}", "value": number}


def random_number(rng: random.Random, old) -> int:
    """A new number of the same order of magnitude as the printed one."""
    return max(0, round(float(old) * rng.uniform(0.6, 1.3))) if old else rng.randint(0, 10)


# The rows a demo plan copies from its source plan. Its MeasureMark rows are not copied but scored anew.
PLAN_MODELS = [
    Department,
    Plan,
    PlanRevision,
    Category,
    Measure,
    Measure.sdgs.through,
    Measure.tags.through,
    MeasureListing,
    MeasureDepartment,
    MeasureStage,
    ScheduleEntry,
    Indicator,
    IndicatorValue,
    PlanYear,
]
THROUGH_MEASURE = {Measure.sdgs.through, Measure.tags.through, MeasureListing, MeasureDepartment, MeasureStage}


def source_rows(model, plan: Plan) -> list:
    if model is Department:
        lookup = {"municipality": plan.municipality_id}
    elif model is Plan:
        lookup = {"pk": plan.pk}
    elif model in THROUGH_MEASURE or model is ScheduleEntry:
        lookup = {"measure__plan": plan}
    elif model is IndicatorValue:
        lookup = {"indicator__plan": plan}
    else:
        lookup = {"plan": plan}
    return list(model.objects.filter(**lookup).order_by("pk"))


def db_row(instance) -> list:
    """The instance's column values as the database takes them, in concrete field order."""
    return [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in instance._meta.concrete_fields]


class Source:
    """A demo plan read once (a fixed number of queries) and kept ready to be copied many times."""

    def __init__(self, plan: Plan):
        self.plan = plan
        rows = {model: source_rows(model, plan) for model in PLAN_MODELS}
        self.prepared = {model: [db_row(row) for row in model_rows] for model, model_rows in rows.items()}
        self.pks = {model: [row.pk for row in model_rows] for model, model_rows in rows.items()}
        self.indicators = {i.pk: i for i in rows[Indicator]}


class Writer:
    """Collects the rows of many plans and writes each table with one executemany per batch.

    Primary keys are handed out here (the table's max + 1, read once), so copied rows point to their
    new parents before anything is written and no INSERT has to return ids: a batch of plans costs a
    fixed number of queries whatever its size. The command must be the only writer while it runs;
    PostgreSQL sequences are moved past the new ids at the end (SQLite's AUTOINCREMENT follows itself).
    """

    ORDER = [Municipality, *PLAN_MODELS, MeasureMark]

    def __init__(self):
        self.next_id: dict = {}
        self.pending: dict = {}

    def new_ids(self, model, count: int) -> range:
        if model not in self.next_id:
            self.next_id[model] = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        first = self.next_id[model]
        self.next_id[model] += count
        return range(first, first + count)

    def add(self, model, rows: list[list]) -> None:
        self.pending.setdefault(model, []).extend(rows)

    def flush(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in self.ORDER:
                rows = self.pending.pop(model, [])
                if not rows:
                    continue
                fields = model._meta.concrete_fields
                insert = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
                if connection.vendor == "postgresql":
                    # One array per column: executemany would have the server parse one INSERT per row.
                    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
                    cursor.execute(
                        f"{insert} SELECT * FROM unnest({arrays})", [list(column) for column in zip(*rows, strict=True)]
                    )
                else:  # SQLite prepares the statement once and runs it per row, in process
                    cursor.executemany(f"{insert} VALUES ({', '.join(['%s'] * len(fields))})", rows)

    def reset_sequences(self) -> None:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.next_id)):
                cursor.execute(sql)


def copy_plans(sources: list[Source], numbers, rng: random.Random, writer: Writer) -> None:
    """Queue one demo municipality per number whose plan copies sources[number % len(sources)] row
    for row with new numbers, scored by the engine here in memory (copies carry no overrides), so
    no UPDATE follows the INSERTs. Call writer.flush() to write."""
    numbers = list(numbers)
    for municipality_id, number in zip(writer.new_ids(Municipality, len(numbers)), numbers, strict=True):
        source = sources[number % len(sources)]
        writer.add(Municipality, [db_row(demo_municipality(number, pk=municipality_id))])
        new_ids = {Municipality: {source.plan.municipality_id: municipality_id}}
        for model in PLAN_MODELS:
            pks = source.pks[model]
            new_ids[model] = dict(zip(pks, writer.new_ids(model, len(pks)), strict=True))
        for model in PLAN_MODELS:
            copied = [remapped(model, row, new_ids) for row in source.prepared[model]]
            if model is IndicatorValue:
                marks = score_copies(source, copied, new_ids, rng)
                for mark, pk in zip(marks, writer.new_ids(MeasureMark, len(marks)), strict=True):
                    mark.pk = pk
                writer.add(MeasureMark, [db_row(mark) for mark in marks])
            writer.add(model, copied)


def demo_municipality(number: int, pk: int | None = None) -> Municipality:
    return Municipality(
        pk=pk,
        code=demo_code(number),
        name=f"デモ市{number:04d}",
        name_en=f"Demo City {number:04d}",
        prefecture=DEMO_PREFECTURE,
        slug=f"demo-{number:04d}",
    )


def remapped(model, row: list, new_ids: dict) -> list:
    row = list(row)
    for i, field in enumerate(model._meta.concrete_fields):
        if row[i] is None:
            continue
        if field.primary_key:
            row[i] = new_ids[model][row[i]]
        elif field.is_relation and field.related_model in new_ids:
            # Nullable links may leave the plan (Plan.replaces: a plan the demo municipality lacks).
            mapping = new_ids[field.related_model]
            row[i] = mapping.get(row[i]) if field.null else mapping[row[i]]
    return row


def score_copies(source: Source, values: list[list], new_ids: dict, rng: random.Random) -> list[MeasureMark]:
    """Draw new numbers into copied IndicatorValue rows and score them as recompute_plan_marks does.

    Returns the measures' yearly marks (without ids)."""
    at = {f.attname: i for i, f in enumerate(IndicatorValue._meta.concrete_fields)}
    old_indicator = {new: old for old, new in new_ids[Indicator].items()}
    plan = source.plan
    per_measure_year: dict[tuple[int, int], list[Verdict]] = {}
    for row in values:
        indicator = source.indicators[old_indicator[row[at["indicator_id"]]]]
        row[at["override"]] = row[at["override_reason"]] = ""
        cells = {}
        for side in ("target", "actual"):
            number = row[at[f"{side}_value"]]
            if number is not None:
                number = Decimal(random_number(rng, number))
                row[at[f"{side}_value"]] = number
                row[at[f"{side}_text"]] = f"{number}{indicator.unit}"
            cells[side] = Cell(text=row[at[f"{side}_text"]] or "", value=number)
        verdict = score_kpi(kind=indicator.kind, direction=indicator.direction, **cells)
        row[at["computed"]], row[at["explanation"]] = verdict.mark, verdict.explanation
        if indicator.measure_id and row[at["fiscal_year"]] >= plan.period_start_fy:
            key = (new_ids[Measure][indicator.measure_id], row[at["fiscal_year"]])
            per_measure_year.setdefault(key, []).append(verdict)
    marks = []
    for (measure_id, fiscal_year), verdicts in sorted(per_measure_year.items()):
        verdict = combine(verdicts, plan.scoring_policy)
        if verdict.mark:
            marks.append(
                MeasureMark(
                    measure_id=measure_id,
                    fiscal_year=fiscal_year,
                    computed=verdict.mark,
                    explanation=verdict.explanation,
                )
            )
    return marks


@transaction.atomic
def copy_plan(source: Plan, number: int, rng: random.Random) -> Plan:
    """One demo municipality whose plan copies `source` (for tests; the command copies in batches)."""
    writer = Writer()
    copy_plans([Source(source)], [number], rng, writer)
    writer.flush()
    writer.reset_sequences()
    bump_after_commit()
    return Plan.objects.get(municipality__code=demo_code(number))


class Command(BaseCommand):
    help = "Create synthetic demo municipalities and plans (codes 90xxxx–99xxxx, names marked デモ)."

    def add_arguments(self, parser):
        parser.add_argument("--municipalities", type=int, required=True, help="how many demo municipalities")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument(
            "--large-plan",
            type=int,
            metavar="MEASURES",
            help=f"also create demo municipality {LARGE_PLAN_NUMBER} with one plan of this many measures",
        )

    def handle(self, *args, municipalities, seed, large_plan, **options):
        if not 0 <= municipalities < LARGE_PLAN_NUMBER:
            raise CommandError(f"--municipalities must be between 0 and {LARGE_PLAN_NUMBER - 1}")
        numbers = [*range(municipalities), *([LARGE_PLAN_NUMBER] if large_plan else [])]
        taken = Municipality.objects.filter(code__in=[demo_code(n) for n in numbers]).order_by("code")
        if taken.exists():
            raise CommandError(
                f"demo municipalities already exist (e.g. {taken.first()}): run it on a fresh database "
                "(the data depend on the seed only, not on what is there)"
            )
        rng = random.Random(seed)
        templates = real_plans()
        started = time.perf_counter()
        imported = [
            import_plan(demo_document(template, number, rng)).plan
            for number, template in zip(range(municipalities), templates, strict=False)
        ]
        if municipalities > len(imported):
            self.copy(imported, municipalities, rng, started)
        if large_plan:
            noshiro = next(t for t in templates if t["municipality"]["slug"] == "noshiro")
            import_plan(demo_document(noshiro, LARGE_PLAN_NUMBER, rng, measures=large_plan))
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{len(numbers)} demo plans written in {elapsed:.1f} s")

    def copy(self, imported: list[Plan], municipalities: int, rng, started: float) -> None:
        sources = [Source(plan) for plan in imported]
        writer = Writer()
        try:
            for first in range(len(sources), municipalities, BATCH):
                numbers = range(first, min(first + BATCH, municipalities))
                with transaction.atomic():
                    copy_plans(sources, numbers, rng, writer)
                    writer.flush()
                self.stdout.write(f"{numbers[-1] + 1}/{municipalities} plans, {time.perf_counter() - started:.0f} s")
        finally:  # also after a failed batch: the batches before it are committed with our ids
            writer.reset_sequences()
            bump_after_commit()
        # Fresh statistics: until autovacuum gets to it, PostgreSQL plans the bulk-loaded tables as
        # nearly empty (a prefecture page took 144 s instead of 60 ms at 1,741 municipalities).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
