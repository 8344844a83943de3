"""What the seed documents themselves state, checked against the fixtures in fixtures/."""

import json
from decimal import Decimal

import pytest
from django.db.models import Count

from kpis.interchange.exporter import export_plan
from kpis.interchange.importer import import_plan
from kpis.models import IndicatorValue
from kpis.summary import plan_summary
from measures.models import Measure, MeasureListing
from tests.conftest import FIXTURES, load_fixture

pytestmark = pytest.mark.django_db

FILES = {
    "noshiro": "052027-noshiro-dx-plan-2023.json",
    "katagami": "052116-katagami-dx-plan-2023.json",
    "akita": "052019-akita-digital-plan-2-0.json",
    "misato": "054348-misato-dx-action-plan.json",
}


def measures_per_top_category(plan):
    rows = MeasureListing.objects.filter(measure__plan=plan, is_primary=True).values_list("category__path", flat=True)
    counts = {}
    for path in rows:
        top = path.split("/")[0]
        counts[top] = counts.get(top, 0) + 1
    return counts


@pytest.mark.parametrize(
    ("name", "per_category"),
    [
        ("noshiro", {"1": 16, "2": 24, "3": 33}),
        ("katagami", {"1": 19, "2": 12, "3": 7}),
        ("akita", {"1": 89, "2": 28}),
        ("misato", {"1": 8, "2": 6, "3": 4}),
    ],
)
def test_measure_counts_per_top_level_category(name, per_category):
    plan = load_fixture(FIXTURES / FILES[name])
    assert measures_per_top_category(plan) == per_category


def test_noshiro_new_measures_and_kpis(noshiro):
    assert Measure.objects.filter(plan=noshiro, is_new=True).count() == 12
    assert noshiro.period_start_fy == 2023 and noshiro.period_end_fy == 2026
    assert noshiro.indicators.filter(measure__isnull=False).count() == 85


# The printed 目標達成状況 table (counts of ↗ → ↘ － and the total per pillar and year).
PRINTED_SUMMARY = {
    ("1", 2023): (0, 8, 3, 2, 13),
    ("1", 2024): (0, 6, 1, 2, 9),
    ("2", 2023): (7, 7, 2, 0, 16),
    ("2", 2024): (8, 5, 0, 0, 13),
    ("3", 2023): (4, 11, 6, 3, 24),
    ("3", 2024): (6, 15, 3, 3, 27),
}


def test_noshiro_published_marks_reproduce_the_printed_summary(noshiro):
    rows = {(r.category.label, r.fiscal_year): r for r in plan_summary(noshiro, [2023, 2024]) if r.category}
    for key, (up, flat, down, na, total) in PRINTED_SUMMARY.items():
        counts = rows[key].counts
        assert (
            counts["exceeded"],
            counts["achieved"],
            counts["not_achieved"],
            counts["not_applicable"],
            rows[key].total,
        ) == (up, flat, down, na, total), key


def test_noshiro_pillar_indicator_marks_match_the_printed_achievement(noshiro):
    card = noshiro.indicators.get(category__label="1", name="マイナンバーカードの交付率")
    marks = {v.fiscal_year: v.mark for v in card.values.all()}
    assert marks[2023] == "exceeded" and marks[2024] == "not_achieved"
    assert card.retired_in.key and card.values.get(fiscal_year=2023).actual_text == "75.4％"
    redefined = noshiro.indicators.get(category__label="1", name="マイナンバーカードの保有率")
    assert redefined.introduced_in == card.retired_in
    assert (redefined.baseline_text, redefined.baseline_value) == ("34.8%（R3）", Decimal("34.8"))
    assert redefined.values.get(fiscal_year=2026).target_text == "88.2%"


def test_noshiro_computed_marks_agree_with_published_except_recorded_overrides(noshiro):
    from measures.models import MeasureMark

    overridden = MeasureMark.objects.filter(measure__plan=noshiro).exclude(override="")
    disagreements = sorted((m.measure.key, m.fiscal_year) for m in overridden.select_related("measure"))
    assert disagreements == [("2-(2)-①", 2024), ("3-(1)-②", 2023)]
    assert all(m.override_reason for m in overridden)


def test_akita_managed_measures_and_cross_listings():
    plan = load_fixture(FIXTURES / FILES["akita"])
    assert plan.measures.count() == 117
    assert plan.measures.filter(is_managed=True).count() == 68
    assert MeasureListing.objects.filter(measure__plan=plan, is_primary=False).count() == 6
    assert plan.measures.annotate(n=Count("listings")).filter(n__gt=1).count() == 6
    assert plan.measures.filter(stages__stage=3).filter(stages__stage=4).count() == 14


def test_katagami_and_misato_counts():
    katagami = load_fixture(FIXTURES / FILES["katagami"])
    assert katagami.measures.count() == 38
    assert not katagami.indicators.filter(values__isnull=False).exists()
    misato = load_fixture(FIXTURES / FILES["misato"])
    assert misato.measures.count() == 18
    assert misato.period_end_fy == 2029
    assert list(misato.revisions.values_list("kind", flat=True)) == ["established", "revised"]


@pytest.mark.parametrize("name", list(FILES))
def test_every_fixture_round_trips(name):
    plan = load_fixture(FIXTURES / FILES[name])
    first = export_plan(plan)
    result = import_plan(json.loads(json.dumps(first)))
    assert not result.changed, result.changes[:5]
    assert export_plan(plan) == first


def test_every_measure_has_provenance(db):
    for name in FILES.values():
        load_fixture(FIXTURES / name)
    assert not Measure.objects.filter(source_document="").exists()
    assert not Measure.objects.filter(source_lines="").exists()


def test_noshiro_pillar_indicator_marks_are_computed_as_printed(noshiro):
    arrows = {"↗": "exceeded", "→": "achieved", "↘": "not_achieved"}
    printed = IndicatorValue.objects.filter(indicator__plan=noshiro, indicator__category__isnull=False).exclude(
        achievement_text=""
    )
    assert printed.count() == 6
    for value in printed:
        assert (value.computed, value.override) == (arrows[value.achievement_text], ""), value
