"""Synthetic plans for load and scale tests, shaped like the four real plans in fixtures/.

Each demo plan copies the shape of one real plan (category tree and depth, measures per category,
KPI kinds, which years carry targets and actuals) and draws new numbers in the same places, so the
engine scores a realistic mix of marks. Printed marks and override reasons are dropped: demo marks
are the engine's own.

Speed: the first demo plan of each shape goes in through the interchange importer (validated, about
1–3 s a plan); every further one is a bulk copy of those rows with new numbers, one transaction per
plan, then the engine scores it (0.2–0.6 s a plan on SQLite), so 1,741 municipalities take about ten
minutes instead of an hour.

Demo municipalities never collide with real ones: their codes start with 90–99, real JIS X 0402 codes
with a prefecture number 01–47. Their names say デモ, their prefecture is デモ県.
"""

import copy
import json
import random
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kpis.models import Indicator, IndicatorValue, PlanYear
from kpis.services import recompute_plan_marks
from measures.models import Measure, MeasureDepartment, MeasureListing, MeasureStage, ScheduleEntry
from plans.interchange.importer import import_plan
from plans.interchange.validation import check_digit_ok
from plans.models import Category, Department, Municipality, Plan, PlanRevision

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
DEMO_PREFECTURE = "デモ県"
FIRST_DEMO_PREFIX = 90  # the two-digit prefecture part; real prefectures are 01–47
LARGE_PLAN_NUMBER = 9999


def real_plans() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.glob("*.json"))]


def demo_code(number: int) -> str:
    """Six digits with a valid check digit, 90000x–99999x: room for 10,000 demo municipalities."""
    if not 0 <= number < 10_000:
        raise ValueError(f"demo municipality number {number} is outside 0–9999")
    stem = f"{FIRST_DEMO_PREFIX + number // 1000}{number % 1000:03d}"
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


def copy_rows(rows, remap: dict[str, dict], change=None) -> dict[int, int]:
    """Insert copies of `rows` with foreign keys remapped ({attname: {old id: new id}}); return old→new ids."""
    rows = list(rows)
    old_ids = [row.pk for row in rows]
    for row in rows:
        row.pk = row.id = None
        row._state.adding = True
        for attname, mapping in remap.items():
            if getattr(row, attname) is not None:
                setattr(row, attname, mapping[getattr(row, attname)])
        if change:
            change(row)
    if not rows:
        return {}
    created = type(rows[0]).objects.bulk_create(rows, batch_size=500)
    return dict(zip(old_ids, [row.pk for row in created], strict=True))


@transaction.atomic
def copy_plan(source: Plan, number: int, rng: random.Random) -> Plan:
    """A demo municipality whose plan is a row-for-row copy of `source` with new numbers."""
    template = source.municipality
    municipality = Municipality.objects.create(
        code=demo_code(number),
        name=f"デモ市{number:04d}",
        name_en=f"Demo City {number:04d}",
        prefecture=DEMO_PREFECTURE,
        slug=f"demo-{number:04d}",
    )
    departments = list(Department.objects.filter(municipality=template))
    parents = {d.pk: d.parent_id for d in departments}
    department_ids = copy_rows(
        departments, {"municipality_id": {template.pk: municipality.pk}}, change=lambda d: setattr(d, "parent_id", None)
    )
    copies = list(Department.objects.filter(pk__in=department_ids.values()))
    new_parent = {department_ids[old]: department_ids.get(parent) for old, parent in parents.items()}
    for department in copies:
        department.parent_id = new_parent[department.pk]
    Department.objects.bulk_update(copies, ["parent"])

    plan_ids = copy_rows([Plan.objects.get(pk=source.pk)], {"municipality_id": {template.pk: municipality.pk}})
    plan = Plan.objects.get(pk=plan_ids[source.pk])
    on_plan = {"plan_id": plan_ids}
    revisions = copy_rows(PlanRevision.objects.filter(plan=source), on_plan)
    categories: dict[int, int] = {}
    for depth_rows in by_depth(Category.objects.filter(plan=source)):
        categories |= copy_rows(depth_rows, {**on_plan, "parent_id": categories})
    measures = copy_rows(Measure.objects.filter(plan=source).order_by("pk"), on_plan)
    for through in (Measure.sdgs.through, Measure.tags.through):
        copy_rows(through.objects.filter(measure__plan=source), {"measure_id": measures})
    on_measure = {"measure_id": measures}
    copy_rows(MeasureListing.objects.filter(measure__plan=source), {**on_measure, "category_id": categories})
    copy_rows(MeasureDepartment.objects.filter(measure__plan=source), {**on_measure, "department_id": department_ids})
    copy_rows(MeasureStage.objects.filter(measure__plan=source), on_measure)
    copy_rows(ScheduleEntry.objects.filter(measure__plan=source), on_measure)
    indicators = copy_rows(
        Indicator.objects.filter(plan=source),
        {**on_plan, **on_measure, "category_id": categories, "introduced_in_id": revisions, "retired_in_id": revisions},
    )

    units = {indicators[pk]: unit for pk, unit in Indicator.objects.filter(plan=source).values_list("pk", "unit")}

    def new_numbers(value):
        unit = units[value.indicator_id]
        value.override = value.override_reason = ""
        for side in ("target", "actual"):
            if getattr(value, f"{side}_value") is not None:
                number = random_number(rng, getattr(value, f"{side}_value"))
                setattr(value, f"{side}_value", number)
                setattr(value, f"{side}_text", f"{number}{unit}")

    values = IndicatorValue.objects.filter(indicator__plan=source)
    copy_rows(values, {"indicator_id": indicators}, change=new_numbers)
    copy_rows(PlanYear.objects.filter(plan=source), on_plan)
    recompute_plan_marks(plan)
    return plan


def by_depth(categories):
    levels: dict[int, list] = {}
    for category in categories:
        levels.setdefault(category.depth, []).append(category)
    return [levels[depth] for depth in sorted(levels)]


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
        rng = random.Random(seed)
        templates = real_plans()
        started = time.perf_counter()
        sources = []
        for number in range(municipalities):
            if number < len(templates):
                sources.append(import_plan(demo_document(templates[number], number, rng)).plan)
            else:
                copy_plan(sources[number % len(templates)], number, rng)
            if (number + 1) % 100 == 0:
                self.stdout.write(f"{number + 1}/{municipalities} plans, {time.perf_counter() - started:.0f} s")
        if large_plan:
            noshiro = next(t for t in templates if t["municipality"]["slug"] == "noshiro")
            import_plan(demo_document(noshiro, LARGE_PLAN_NUMBER, rng, measures=large_plan))
        elapsed = time.perf_counter() - started
        total = municipalities + (1 if large_plan else 0)
        self.stdout.write(f"{total} demo plans written in {elapsed:.1f} s")
