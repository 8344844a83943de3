"""目標達成状況 everywhere: every level of the plan's legend with its count and share (one decimal, largest
remainder, adding up to 100.0), the same numbers on the web page, in the review workbook, the JSON and the CSV."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kpis.interchange.exporter import export_plan
from kpis.sheets.review import build_review_workbook
from kpis.summary import plan_summary
from plans.evaluation import percentages
from tests.test_portal_pages import csv_rows, get
from tests.test_public_pages import url
from tests.test_review_sheets import summary_blocks

pytestmark = pytest.mark.django_db

SUMMARY_HEADER = [
    "全国地方公共団体コード",
    "都道府県名",
    "市区町村名",
    "計画ID",
    "計画名",
    "年度",
    "年度（和暦）",
    "分類パス",
    "分類名",
    "集計の対象",
    "評価",
    "評価記号",
    "評価の説明",
    "件数",
    "合計",
    "割合（％）",
]


def test_percentages_of_a_row_add_up_to_100_by_largest_remainder():
    assert percentages({"a": 5, "b": 10, "c": 4, "d": 0}) == {
        "a": Decimal("26.3"),
        "b": Decimal("52.6"),
        "c": Decimal("21.1"),
        "d": Decimal("0.0"),
    }
    # 6 / 15 / 3 / 3 of 27: the floors give 99.9, the tenth left goes to the largest remainder (15 → 55.6)
    shares = percentages({"exceeded": 6, "achieved": 15, "not_achieved": 3, "not_applicable": 3})
    assert list(shares.values()) == [Decimal("22.2"), Decimal("55.6"), Decimal("11.1"), Decimal("11.1")]
    assert sum(shares.values()) == Decimal("100.0")


def test_the_noshiro_summary_page_shows_every_level_with_its_share(client, noshiro):
    body = get(client, url("plan-summary", noshiro, fy=2024))[1]
    # pillar 1 in 2024: 0 / 6 / 1 / 2 of 9; the empty level is shown too, so 0 + 6 + 1 + 2 = 9
    assert (
        '<td class="num">0 <small class="share">0.0%</small></td><td class="num">6 <small class="share">66.7%</small>'
        '</td><td class="num">1 <small class="share">11.1%</small></td><td class="num">2 <small class="share">22.2%'
        '</small></td><td class="num">9 <small class="share">100.0%</small></td>'
    ) in body
    assert (
        '<th scope="col"><span class="mark mark-not_applicable"><span aria-hidden="true">－</span> '
        '<span class="mark-label">該当なし</span></span></th>'
    ) in body


def test_the_json_summary_carries_counts_and_percent_for_every_code(noshiro):
    summary = export_plan(noshiro, public_only=True)["summary"]
    row = next(r for r in summary if r["category"] == "3" and r["fy"] == 2024)
    assert row == {
        "category": "3",
        "fy": 2024,
        "counts": {"exceeded": 6, "achieved": 15, "not_achieved": 3, "not_applicable": 3, "total": 27},
        "percent": {"exceeded": 22.2, "achieved": 55.6, "not_achieved": 11.1, "not_applicable": 11.1},
    }
    empty = next(r for r in summary if r["category"] is None and r["fy"] == 2026)
    assert empty["counts"]["total"] == 0
    assert empty["percent"] == {"exceeded": 0.0, "achieved": 0.0, "not_achieved": 0.0, "not_applicable": 0.0}


def test_the_summary_csv_has_a_row_per_level_with_the_pages_numbers(client, noshiro):
    response, body = get(client, url("plan-summary-csv", noshiro))
    assert response["Content-Disposition"] == 'attachment; filename="052027-dx-plan-2023-summary.csv"'
    rows = csv_rows(body)
    assert rows[0] == SUMMARY_HEADER
    pillar_3 = [r[10:] for r in rows if r[5] == "2024" and r[7] == "3"]
    assert pillar_3 == [
        ["exceeded", "↗", "目標を上回った", "6", "27", "22.2"],
        ["achieved", "→", "目標を達成した", "15", "27", "55.6"],
        ["not_achieved", "↘", "目標が未達成", "3", "27", "11.1"],
        ["not_applicable", "－", "該当なし", "3", "27", "11.1"],
    ]
    assert rows[1][:10] == [
        "052027",
        "秋田県",
        "能代市",
        "dx-plan-2023",
        "能代市ＤＸ推進計画 施策集",
        "2023",
        "令和5年度",
        "1",
        "市民サービスのＤＸ",
        "取組",
    ]
    whole_2024 = [r for r in rows if r[5] == "2024" and r[8] == "計画全体"]
    assert [r[13] for r in whole_2024] == ["14", "26", "4", "5"]
    assert {r[14] for r in whole_2024} == {"49"}
    assert sum(Decimal(r[15]) for r in whole_2024) == Decimal("100.0")
    # a year nothing is counted in yet: counts 0, no share
    assert {(r[13], r[15]) for r in rows if r[5] == "2026"} == {("0", "")}


def test_the_review_workbook_shows_every_level_its_total_and_its_share(noshiro):
    stream = io.BytesIO()
    build_review_workbook(noshiro, 2024, stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue()))["目標達成状況"]
    pillar_3 = {
        name: values[:2] for name, values in summary_blocks(sheet)["施策の柱3 行政のＤＸ"].items() if "/" not in name
    }
    # 2023: 4 / 11 / 6 / 3 of 24, 2024: 6 / 15 / 3 / 3 of 27, as printed
    assert pillar_3 == {
        "目標を上回った（↗）": (4, 6),
        "目標を達成した（→）": (11, 15),
        "目標が未達成（↘）": (6, 3),
        "該当なし（－）": (3, 3),
        "合計": (24, 27),
        "目標を上回った（↗）の割合": (16.7, 22.2),
        "目標を達成した（→）の割合": (45.8, 55.6),
        "目標が未達成（↘）の割合": (25, 11.1),
        "該当なし（－）の割合": (12.5, 11.1),
    }
    shares = [c for row in sheet.iter_rows(min_col=4, max_col=4) for c in row if c.value == 16.7]
    assert [c.number_format for c in shares] == ['0.0"%"']


def test_every_surface_counts_the_same_rows(client, noshiro):
    rows = plan_summary(noshiro, public_only=True)
    csv_counts = {
        (r[7] or None, int(r[5]), r[10]): int(r[13])
        for r in csv_rows(get(client, url("plan-summary-csv", noshiro))[1])[1:]
    }
    for row in rows:
        for code, n in row.counts.items():
            assert csv_counts[(row.category.path if row.category else None, row.fiscal_year, code)] == n
