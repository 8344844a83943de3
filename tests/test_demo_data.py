"""generate_demo_data: valid demo municipalities, pages that render, repeatable data, batched writes."""

import random

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from kpis.interchange.validation import check_digit_ok
from kpis.management.commands.generate_demo_data import Source, Writer, copy_plans
from kpis.models import IndicatorValue
from kpis.services import recompute_plan_marks
from measures.models import MeasureMark
from plans.models import Municipality, Plan

pytestmark = pytest.mark.django_db


def generate(municipalities: int, seed: int = 1) -> None:
    call_command("generate_demo_data", "--municipalities", str(municipalities), "--seed", str(seed), stdout=None)


def public_urls(plan: Plan) -> list[str]:
    at = {"municipality": plan.municipality.slug, "plan": plan.slug}
    urls = [
        reverse("home"),
        reverse("municipality", kwargs={"municipality": plan.municipality.slug}),
        reverse("plan", kwargs=at),
        reverse("plan-summary", kwargs={**at, "fy": plan.period_start_fy}),
        reverse("plan-roadmap", kwargs=at),
        reverse("plan-csv", kwargs=at),
        reverse("plan-json", kwargs=at),
    ]
    measure = plan.measures.order_by("position").first()
    if measure:
        urls.append(reverse("measure", kwargs={**at, "key": measure.key}))
    return urls


def test_five_demo_municipalities_have_valid_codes_and_every_public_page_answers(client):
    generate(5)
    municipalities = list(Municipality.objects.order_by("code"))
    assert [(m.code, m.name, m.prefecture) for m in municipalities] == [
        ("900001", "デモ市0000", "デモ県"),  # consecutive numbers go round the demo prefectures 90–99
        ("910007", "デモ市0001", "デモ県"),
        ("920002", "デモ市0002", "デモ県"),
        ("930008", "デモ市0003", "デモ県"),
        ("940003", "デモ市0004", "デモ県"),
    ]
    assert all(check_digit_ok(m.code) for m in municipalities)
    plans = list(Plan.objects.select_related("municipality").order_by("municipality__code"))
    # The fifth is a copy of the first (the four real shapes cycle), published like it.
    shapes = ["digital-plan-2-0", "dx-plan-2023", "dx-plan-2023", "dx-action-plan"]
    assert [p.slug for p in plans] == [*shapes, shapes[0]]
    assert {p.status for p in plans} == {"published"}
    for plan in plans:
        for url in public_urls(plan):
            response = client.get(url)
            assert response.status_code == 200, url
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)


def test_copied_plans_carry_the_engines_marks_and_pages_show_them(client):
    generate(6)
    copy = Plan.objects.get(municipality__slug="demo-0005")  # a copy of the Noshiro shape
    source = Plan.objects.get(municipality__slug="demo-0001")
    assert copy.title == source.title == "【デモ】能代市ＤＸ推進計画 施策集"
    assert MeasureMark.objects.filter(measure__plan=copy).count() == 103
    assert IndicatorValue.objects.filter(indicator__plan=copy).count() == 312
    assert recompute_plan_marks(copy) == 0  # the marks written with the copy are the engine's own
    assert client.get(f"/demo-0005/{copy.slug}/").status_code == 200


class Rollback(Exception):
    pass


def snapshot() -> list:
    values = IndicatorValue.objects.order_by(
        "indicator__plan__municipality__code", "indicator__position", "fiscal_year"
    )
    marks = MeasureMark.objects.order_by("measure__plan__municipality__code", "measure__position", "fiscal_year")
    return [
        list(Municipality.objects.order_by("code").values_list("code", "name", "slug")),
        list(values.values_list("indicator__name", "target_text", "actual_text", "computed")),
        list(marks.values_list("measure__key", "fiscal_year", "computed")),
    ]


def test_the_same_seed_gives_the_same_data_and_a_second_run_refuses():
    runs = []
    for _ in range(2):
        with pytest.raises(Rollback), transaction.atomic():
            generate(6, seed=7)
            runs.append(snapshot())
            raise Rollback
    assert runs[0] == runs[1] and len(runs[0][1]) > 300
    generate(5, seed=7)
    with pytest.raises(CommandError, match="demo municipalities already exist .*デモ県デモ市0000.*fresh database"):
        generate(6, seed=7)
    assert Municipality.objects.count() == 5


def test_a_batch_of_copies_costs_the_same_queries_for_two_plans_as_for_six(mini_plan, django_assert_num_queries):
    source = Source(mini_plan)
    # A read of the top id per table (16) and one INSERT per table that gets rows (15: the mini
    # plan has no schedule entries), whatever the number of plans.
    for numbers in ([10, 11], [20, 21, 22, 23, 24, 25]):
        with django_assert_num_queries(31):
            writer = Writer()
            copy_plans([source], numbers, random.Random(1), writer)
            writer.flush()
    assert Plan.objects.filter(municipality__prefecture="デモ県").count() == 8
