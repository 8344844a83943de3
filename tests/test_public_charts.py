"""The public charts: server-rendered SVG, readable on a phone, each beside the table with its numbers."""

import copy
import re

import pytest
from django.urls import reverse
from django.utils import translation

from kpis.interchange.importer import import_plan
from tests.conftest import NOSHIRO, load_fixture
from tests.test_evaluation_plan import TEST_PLAN

pytestmark = pytest.mark.django_db


def page(client, name, plan, **kwargs):
    with translation.override("ja"):  # an earlier /en/ request leaves English active in this thread
        path = reverse(name, kwargs={"municipality": plan.municipality.slug, "plan": plan.slug, **kwargs})
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def charts(body):
    return re.findall(r'<figure class="kpi-chart">.*?</figure>', body, re.S)


def test_a_kpi_chart_has_a_value_axis_with_the_unit_and_a_lone_target_as_a_marker(client, mini_plan):
    chart = charts(page(client, "measure", mini_plan, key="1-(1)-①"))[0]
    # 出張申請窓口の開催回数: actuals 52 (2022) and 0 (2023), one target 10 (2023)
    assert '<text x="0" y="12" class="unit">（単位: 回/年）</text>' in chart
    assert [tick for tick in re.findall(r'class="tick">([^<]+)</text>', chart)] == [
        *["0", "20", "40", "60"],
        *["2022", "2023", "2024", "2025"],
    ]
    assert chart.count('class="target-point"/>') == 1 + 1  # the marker, and its key in the caption
    assert 'class="target"/>' in chart and "<polyline" in chart and 'class="actual"/>' in chart
    assert chart.count('class="actual-point"/>') == 2 + 1
    assert 'role="img" aria-labelledby="kpi-chart-' in chart and "<title id=" in chart and "<desc id=" in chart
    assert "導出" not in chart  # no derived target in this plan


def test_the_derived_interim_target_is_drawn_and_listed_as_derived(client, db):
    document = copy.deepcopy(TEST_PLAN)
    document["plan"]["published_years"] = [2023, 2024, 2025]
    plan = import_plan(document).plan
    body = page(client, "measure", plan, key="2-1")
    # 電子決済対応施設数（累計）: 10 (R4 baseline) to 30 in 2026, pro rata: 20 in 2024 (the engine's 導出値)
    assert '<td><span class="derived">20施設<small>（導出値）</small></span></td>' in body
    chart = charts(body)[-1]
    assert chart.count('class="derived-point"/>') == 1 + 1
    assert "導出した中間目標（導出値）" in chart
    assert "白抜きの菱形は、後の年度の目標から導出した中間目標（導出値）です。" in chart


def test_the_summary_chart_names_each_pillar_and_shows_every_count(client, db):
    noshiro = load_fixture(NOSHIRO)
    body = page(client, "plan-summary", noshiro, fy=2024)
    chart = re.search(r'<figure class="chart mark-bars">.*?</figure>', body, re.S).group()
    labels = re.findall(r'class="bar-label">([^<]+)</text>', chart)
    assert labels == ["1 市民サービスのＤＸ（計 9 件）", "2 地域のＤＸ（計 13 件）", "3 行政のＤＸ（計 27 件）"]
    counts = re.findall(r'class="seg-text">([^<]+)</text>', chart)
    assert counts == ["→6", "↘1", "－2", "↗8", "→5", "↗6", "→15", "↘3", "－3"]
    assert 'width="360"' in chart and "<title id=" in chart
    assert "<figcaption>施策の柱ごとの評価別の取組数のグラフ。数値は表と同じです。</figcaption>" in chart
