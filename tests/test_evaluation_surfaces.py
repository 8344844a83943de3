"""The synthetic A–D plan (tests/test_evaluation_plan.py), extended to what a per-target plan prints besides
its grades: a target listed again under another measure (再掲), carry-over into a successor plan (継続先) and a
target dated after the plan's end, printed target numbers (目標1) and the plan's own words for its levels
(取組項目 / 目標), and a fiscal year graded 5 / 10 / 4 of 19 = 26.3 / 52.6 / 21.1 %.

Synthetic like TEST_PLAN (invented municipality 990001 テスト市 and invented numbers), not a seed.
"""

import copy
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from openpyxl import load_workbook

from kpis.interchange.exporter import export_plan
from kpis.interchange.importer import import_plan
from kpis.interchange.validation import PlanDocumentError
from kpis.models import Indicator
from kpis.sheets.plan_workbook import plan_workbook
from kpis.sheets.review import build_review_workbook
from plans.models import Municipality, Plan
from tests.test_evaluation_plan import TEST_PLAN, value
from tests.test_portal_pages import csv_rows, get
from tests.test_public_pages import url
from tests.test_review_sheets import summary_blocks

pytestmark = pytest.mark.django_db

# 2024 in TEST_PLAN: A 1 (オンライン申請件数), B 3; these 15 targets of 100 make it A 5, B 10, C 4 of 19.
GRADED_2024 = [("A", 112)] * 4 + [("B", 100)] * 7 + [("C", 80)] * 4


def surfaces_document() -> dict:
    document = copy.deepcopy(TEST_PLAN)
    document["plan"]["published_years"] = [2023, 2024, 2025]
    document["plan"] |= {"measure_level_name": "取組項目", "kpi_level_name": "目標"}
    document["categories"][0]["level_name"] = document["categories"][1]["level_name"] = "基本方針"
    training, online = document["measures"][0]["kpis"]
    online["also_listed_under"] = ["2-1"]  # 再掲 under テスト施策2-1: still counted once, under 1-1
    training |= {
        "number": "目標1",
        "target_after_period": "100人（2028年度末）",  # the plan ends in 2027
        "continues_in": {"text": "第2期計画の目標3へ継続"},
    }
    online["number"] = "目標2"
    document["measures"][1]["continues_in"] = {"text": "第2期計画の取組項目3-1へ継続", "plan": "test-plan-2"}
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


def successor_document() -> dict:
    """The successor plan 1-2 says it continues in (テスト計画 第2期), published."""
    document = copy.deepcopy(TEST_PLAN)
    document["plan"] |= {"slug": "test-plan-2", "title": "テスト計画 第2期（合成データ）", "replaces": "test-plan"}
    document["plan"]["period"] = {"start_fy": 2028, "end_fy": 2032}
    for measure in document["measures"]:
        measure["kpis"] = []
    return document


# --- 再掲 of a target --------------------------------------------------------------------------------


def test_a_relisted_kpi_belongs_to_its_measure_and_is_listed_under_the_other(plan):
    online = Indicator.objects.get(plan=plan, name="オンライン申請件数")
    assert online.measure.key == "1-1"
    assert [m.key for m in online.also_listed_under.all()] == ["2-1"]


def test_the_other_measures_page_shows_the_relisted_kpi_with_a_link_back(client, plan):
    body = get(client, url("measure", plan, key="2-1"))[1]
    assert (
        '-caption"><span class="code">目標2</span> オンライン申請件数（件） <small>数値</small> <small class="relisted">（再掲: '
        '<a href="/test-city/test-plan/measures/1-1/">1-1 テスト施策1-1</a>）</small></caption>'
    ) in body
    # after the measure's own KPIs, with its values and marks
    assert body.index("電子決済対応施設数（累計）") < body.index("オンライン申請件数")
    start = body.index("オンライン申請件数（件）")
    relisted = body[start : body.index("</table>", start)]
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


# --- carry-over (継続先) and a target after the plan's end ------------------------------------------


def test_the_measure_page_says_where_the_measure_continues_and_links_the_successor_once_published(
    client, plan, django_capture_on_commit_callbacks
):
    body = get(client, url("measure", plan, key="1-2"))[1]
    assert "<dt>継続先</dt><dd>第2期計画の取組項目3-1へ継続</dd>" in body  # not imported yet: text only
    with django_capture_on_commit_callbacks(execute=True):  # the cached pages of the municipality go
        import_plan(successor_document())
    body = get(client, url("measure", plan, key="1-2"))[1]
    assert (
        '<dt>継続先</dt><dd>第2期計画の取組項目3-1へ継続 <a href="/test-city/test-plan-2/">テスト計画 第2期（合成データ）</a></dd>'
    ) in body


def test_a_kpi_shows_its_number_its_target_after_the_plan_and_where_it_continues(client, plan):
    body = get(client, url("measure", plan, key="1-1"))[1]
    assert '-caption"><span class="code">目標1</span> 研修受講者数（累計）（人）' in body
    assert '-caption"><span class="code">目標2</span> オンライン申請件数（件）' in body
    assert (
        '<dl class="kpi-after"><dt>計画期間後の目標</dt><dd>100人（2028年度末）</dd>'
        "<dt>継続先</dt><dd>第2期計画の目標3へ継続</dd></dl>"
    ) in body


def test_the_csv_carries_the_number_the_later_target_and_both_carry_overs(client, plan):
    rows = csv_rows(get(client, url("plan-csv", plan))[1])
    assert rows[0][28:] == [
        "指標番号",
        "計画期間後の目標",
        "指標の継続先",
        "指標の継続先の計画ID",
        "取組の継続先",
        "取組の継続先の計画ID",
    ]
    training = {tuple(r[28:]) for r in rows[1:] if r[12] == "研修受講者数（累計）"}
    assert training == {("目標1", "100人（2028年度末）", "第2期計画の目標3へ継続", "", "", "")}
    waiting = {tuple(r[28:]) for r in rows[1:] if r[12] == "窓口の待ち時間"}
    assert waiting == {("", "", "", "", "第2期計画の取組項目3-1へ継続", "test-plan-2")}


def test_carry_over_number_and_level_names_round_trip(plan):
    exported = export_plan(plan)
    assert exported["plan"]["measure_level_name"] == "取組項目"
    assert exported["plan"]["kpi_level_name"] == "目標"
    assert exported["measures"][1]["continues_in"] == {"text": "第2期計画の取組項目3-1へ継続", "plan": "test-plan-2"}
    training = exported["measures"][0]["kpis"][0]
    assert (training["number"], training["target_after_period"], training["continues_in"]) == (
        "目標1",
        "100人（2028年度末）",
        {"text": "第2期計画の目標3へ継続"},
    )
    assert "continues_in" not in exported["measures"][0]
    assert "number" not in exported["measures"][2]["kpis"][0]
    result = import_plan(copy.deepcopy(exported))
    assert not result.changed, result.changes[:5]
    assert export_plan(plan) == exported


def test_a_plan_cannot_continue_in_itself(document):
    document["measures"][1]["continues_in"]["plan"] = "test-plan"
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(document)
    assert raised.value.errors == [
        (
            "$.measures[1].continues_in.plan",
            "継続先の計画「test-plan」はこの計画そのものです（後継計画のスラッグを書きます）",
        )
    ]


# --- the plan's own words and the summary of 19 targets -------------------------------------------------


def test_the_summary_page_counts_5_10_4_of_19_targets_in_the_plans_words(client, plan):
    body = get(client, url("plan-summary", plan, fy=2024))[1]
    assert "<h2>目標の達成状況</h2>" in body
    assert '<caption id="counts-caption">評価ごとの目標数（令和6年度 (2024)）</caption>' in body
    assert (
        '<th scope="col">基本方針</th><th scope="col"><span class="mark mark-a"><span aria-hidden="true">A</span> '
        '<span class="mark-label">目標より進んでいる</span></span></th>'
    ) in body
    assert "基本方針ごとの評価別の目標数のグラフ。数値は表と同じです。" in body
    whole = body[body.index("計画全体</th>") :].split("</tr>")[0]
    assert whole.split("</th>")[1].strip() == (
        '<td class="num">5 <small class="share">26.3%</small></td>'
        '<td class="num">10 <small class="share">52.6%</small></td>'
        '<td class="num">4 <small class="share">21.1%</small></td>'
        '<td class="num">0 <small class="share">0.0%</small></td>'
        '<td class="num">19 <small class="share">100.0%</small></td>'
    )


def test_the_json_and_the_summary_csv_give_the_same_19(client, plan):
    whole = next(r for r in export_plan(plan, public_only=True)["summary"] if r["category"] is None and r["fy"] == 2024)
    assert whole["counts"] == {"a": 5, "b": 10, "c": 4, "d": 0, "total": 19}
    assert whole["percent"] == {"a": 26.3, "b": 52.6, "c": 21.1, "d": 0.0}
    rows = csv_rows(get(client, url("plan-summary-csv", plan))[1])
    assert [r[9:] for r in rows if r[5] == "2024" and r[8] == "計画全体"] == [
        ["指標", "a", "A", "目標より進んでいる", "5", "19", "26.3"],
        ["指標", "b", "B", "目標どおり", "10", "19", "52.6"],
        ["指標", "c", "C", "目標より遅れている", "4", "19", "21.1"],
        ["指標", "d", "D", "評価できない", "0", "19", "0.0"],
    ]


def test_the_review_workbook_counts_the_same_19_in_the_plans_words(plan):
    stream = io.BytesIO()
    build_review_workbook(plan, 2024, stream)
    book = load_workbook(io.BytesIO(stream.getvalue()))
    whole = summary_blocks(book["目標達成状況"])["計画全体"]
    column = 1  # 2023, 2024, …
    assert {name: values[column] for name, values in whole.items()} == {
        "目標より進んでいる（A）": 5,
        "目標どおり（B）": 10,
        "目標より遅れている（C）": 4,
        "評価できない（D）": 0,
        "合計": 19,
        "目標より進んでいる（A）の割合": 26.3,
        "目標どおり（B）の割合": 52.6,
        "目標より遅れている（C）の割合": 21.1,
        "評価できない（D）の割合": 0,
    }
    labels = {row[0] for row in book["目標達成状況"].iter_rows(values_only=True)}
    assert "目標の達成状況" in labels
    listed = next(book["取組一覧"].iter_rows(values_only=True))
    assert listed[:4] == ("施策の柱", "取組項目番号", "取組項目の名称", "目標名")
    kpi_names = {row[3] for row in book["取組一覧"].iter_rows(values_only=True)}
    assert {"目標1 研修受講者数（累計）", "目標2 オンライン申請件数"} <= kpi_names


def test_the_extended_plan_round_trips_through_the_plan_workbook(tmp_path):
    # The synthetic テスト市 is in no official list: registered first, as add_municipality would.
    Municipality.objects.create(code="990001", name="テスト市", prefecture="テスト県", slug="test-city")
    path = tmp_path / "surfaces.xlsx"
    with transaction.atomic():
        plan = import_plan(surfaces_document()).plan
        expected = export_plan(plan)
        plan_workbook(plan).save(path)
        transaction.set_rollback(True)
    kpis = list(load_workbook(path)["指標"].iter_rows(values_only=True))
    headers = list(kpis[0])
    training = next(row for row in kpis if row[2] == "研修受講者数（累計）")
    assert [training[headers.index(h)] for h in ("目標番号", "計画期間後の目標", "継続先")] == [
        "目標1",
        "100人（2028年度末）",
        "第2期計画の目標3へ継続",
    ]
    online = next(row for row in kpis if row[2] == "オンライン申請件数")
    assert online[headers.index("再掲先の取組")] == "2-1"
    call_command("import_plan", str(path), stdout=io.StringIO())
    assert export_plan(Plan.objects.get(slug="test-plan")) == expected
