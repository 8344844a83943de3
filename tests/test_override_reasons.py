"""An overridden mark is shown with its override's reason (and the computed mark it replaced), not with the
engine's explanation of the computed mark: on the measure page and in the review workbook."""

import io

import pytest
from openpyxl import load_workbook

from kpis.interchange.importer import import_plan
from kpis.sheets.review import build_review_workbook
from measures.models import MeasureMark
from tests.test_portal_pages import get
from tests.test_public_pages import url

pytestmark = pytest.mark.django_db

NOSHIRO_REASON = (
    "公表資料（施策集Ⅲ）の評価は↗。算定では「企業と連携開催」の実績「－」を未達成とするため→になるが、"
    "資料はこの指標を該当なしとして扱い、「秋田県と連携開催」の実績（１０回／目標８回）で評価している。"
)


def measure_page(client, plan, key):
    return get(client, url("measure", plan, key=key))[1]


def test_the_measure_page_gives_the_override_reason_instead_of_the_engines_explanation(client, noshiro):
    mark = MeasureMark.objects.get(measure__plan=noshiro, measure__key="2-(2)-①", fiscal_year=2024)
    assert (mark.computed, mark.override) == ("achieved", "exceeded")
    body = measure_page(client, noshiro, "2-(2)-①")
    row = body[body.index("令和6年度 (2024)</th>", body.index("年度ごとの目標達成度")) :].split("</tr>")[0]
    assert f"<strong>確定評価</strong>: {NOSHIRO_REASON}（算定結果: " in row
    assert '<span class="mark mark-achieved"><span aria-hidden="true">→</span>' in row
    assert mark.explanation and mark.explanation not in body


def test_an_overridden_kpi_mark_shows_its_reason_under_the_kpi_table(client, mini_document):
    values = mini_document["measures"][0]["kpis"][0]["values"]
    values[1].update(mark="achieved", override_reason="出張窓口は感染症対策で中止、代替のオンライン申請で達成と判断")
    plan = import_plan(mini_document).plan
    body = measure_page(client, plan, "1-(1)-①")
    table_end = body.index("</table>", body.index("出張申請窓口の開催回数"))
    notes = body[table_end : body.index("</ul>", table_end)]
    assert notes.startswith(
        '</table>\n</div>\n<ul class="kpi-marks"><li>令和5年度 (2023) <span class="mark mark-achieved">'
    )
    assert (
        "<strong>確定評価</strong>: 出張窓口は感染症対策で中止、代替のオンライン申請で達成と判断（算定結果: " in notes
    )
    assert "実績 ０回 が目標 １０回 を下回った" not in notes


def test_a_kpi_table_without_overrides_adds_nothing(client, mini_plan):
    body = measure_page(client, mini_plan, "1-(1)-①")
    assert 'class="kpi-marks"' not in body


def test_the_review_workbook_gives_the_override_reason(noshiro):
    stream = io.BytesIO()
    build_review_workbook(noshiro, 2024, stream)
    book = load_workbook(io.BytesIO(stream.getvalue()))
    listed = [row for row in book["取組一覧"].iter_rows(values_only=True) if row[1] == "2-(2)-①"]
    assert {row[10:12] for row in listed} == {("↗", f"確定評価: {NOSHIRO_REASON}（算定結果: →）")}
    sheet = [row for row in book["2-(2)-①"].iter_rows(values_only=True)]
    reasons = next(row for row in sheet if row[1] == "確定評価の理由")  # under 目標達成度 (merged label)
    assert reasons[3:7] == (None, NOSHIRO_REASON, None, None)
