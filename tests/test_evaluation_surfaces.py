"""The synthetic A–D plan (tests/test_evaluation_plan.py), extended to what a per-target plan prints besides
its grades: a target listed again under another measure (再掲), and a fiscal year graded 5 / 10 / 4 of 19.

Synthetic like TEST_PLAN (invented municipality 990001 テスト市 and invented numbers), not a seed.
"""

import copy

import pytest

from kpis.interchange.exporter import export_plan
from kpis.interchange.importer import import_plan
from kpis.interchange.validation import PlanDocumentError
from kpis.models import Indicator
from tests.test_evaluation_plan import TEST_PLAN, value
from tests.test_portal_pages import get
from tests.test_public_pages import url

pytestmark = pytest.mark.django_db

# 2024 in TEST_PLAN: A 1 (オンライン申請件数), B 3; these 15 targets of 100 make it A 5, B 10, C 4 of 19.
GRADED_2024 = [("A", 112)] * 4 + [("B", 100)] * 7 + [("C", 80)] * 4


def surfaces_document() -> dict:
    document = copy.deepcopy(TEST_PLAN)
    document["plan"]["published_years"] = [2023, 2024, 2025]
    online = document["measures"][0]["kpis"][1]
    online["also_listed_under"] = ["2-1"]  # 再掲 under テスト施策2-1: still counted once, under 1-1
    document["measures"].append(
        {
            "key": "2-2",
            "name": "テスト施策2-2",
            "category_labels": ["2"],
            "kpis": [
                {
                    "name": f"テスト指標{n:02d}（{grade}）",
                    "unit": "件",
                    "kind": "numeric",
                    "values": [value(2024, ("100件", 100), (f"{actual}件", actual))],
                }
                for n, (grade, actual) in enumerate(GRADED_2024, 1)
            ],
        }
    )
    return document


@pytest.fixture
def document():
    return surfaces_document()


@pytest.fixture
def plan(document):
    return import_plan(document).plan


# --- 再掲 of a target --------------------------------------------------------------------------------


def test_a_relisted_kpi_belongs_to_its_measure_and_is_listed_under_the_other(plan):
    online = Indicator.objects.get(plan=plan, name="オンライン申請件数")
    assert online.measure.key == "1-1"
    assert [m.key for m in online.also_listed_under.all()] == ["2-1"]


def test_the_other_measures_page_shows_the_relisted_kpi_with_a_link_back(client, plan):
    body = get(client, url("measure", plan, key="2-1"))[1]
    assert (
        '<caption>オンライン申請件数（件） <small>数値</small> <small class="relisted">（再掲: '
        '<a href="/test-city/test-plan/measures/1-1/">1-1 テスト施策1-1</a>）</small></caption>'
    ) in body
    # after the measure's own KPIs, with its values and marks
    assert body.index("電子決済対応施設数（累計）") < body.index("オンライン申請件数")
    relisted = body[
        body.index("<caption>オンライン申請件数") : body.index("</table>", body.index("<caption>オンライン申請件数"))
    ]
    assert '<span class="mark mark-a"><span aria-hidden="true">A</span>' in relisted


def test_the_own_measures_page_names_where_the_kpi_is_listed_again(client, plan):
    body = get(client, url("measure", plan, key="1-1"))[1]
    assert (
        '<small class="relisted">（再掲先: <a href="/test-city/test-plan/measures/2-1/">2-1 テスト施策2-1</a>）</small>'
    ) in body


def test_a_relisted_kpi_is_counted_once(client, plan):
    body = get(client, url("plan-summary", plan, fy=2024))[1]
    whole = body[body.index("計画全体</th>") :].split("</tr>")[0]
    assert '<td class="num">19 <small class="share">100.0%</small></td>' in whole


def test_relisting_round_trips_and_is_left_out_when_empty(plan):
    exported = export_plan(plan)
    kpis = {kpi["name"]: kpi for measure in exported["measures"] for kpi in measure["kpis"]}
    assert kpis["オンライン申請件数"]["also_listed_under"] == ["2-1"]
    assert "also_listed_under" not in kpis["窓口の待ち時間"]
    result = import_plan(copy.deepcopy(exported))
    assert not result.changed, result.changes[:5]
    exported["measures"][0]["kpis"][1]["also_listed_under"] = []
    assert import_plan(copy.deepcopy(exported)).changed
    assert not Indicator.objects.get(plan=plan, name="オンライン申請件数").also_listed_under.exists()


def test_relisting_under_an_unknown_or_its_own_measure_is_refused(document):
    document["measures"][0]["kpis"][1]["also_listed_under"] = ["9-9", "1-1"]
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(document)
    assert raised.value.errors == [
        ("$.measures[0].kpis[1].also_listed_under[0]", "再掲先の取組「9-9」がありません（measures[].key のいずれか）"),
        (
            "$.measures[0].kpis[1].also_listed_under[1]",
            "再掲先「1-1」はこの指標の取組そのものです（ほかの取組のキーを書いてください）",
        ),
    ]
