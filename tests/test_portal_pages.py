"""Portal pages for residents: open-data CSV/JSON, roadmap, departments, comparison, sitemap, filters.

Only published plans appear anywhere; actuals and marks only of published years; every page in a
number of queries that does not grow with the plan.
"""

import copy
import csv
import io
import random
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dxportal.public.views import plan_csv
from kpis.interchange.exporter import export_plan
from kpis.interchange.importer import import_plan
from kpis.management.commands.generate_demo_data import copy_plan
from kpis.models import PlanYear
from plans.generations import bump_generation
from plans.models import Department, Plan
from tests.conftest import FIXTURES, load_fixture
from tests.test_public_pages import grow, url

pytestmark = pytest.mark.django_db

HEADER = (
    "全国地方公共団体コード,都道府県名,市区町村名,計画ID,計画名,区分,分類パス,分類名,取組ID,取組番号,取組名,"
    "担当部署,指標名,単位,指標の種類,方向,設定した改定,見直した改定,年度,年度（和暦）,目標,目標値,実績,実績値,"
    "指標の評価,指標の評価記号,取組の評価,取組の評価記号,"
    "指標番号,計画期間後の目標,指標の継続先,指標の継続先の計画ID,取組の継続先,取組の継続先の計画ID"
)


def get(client, path, **params):
    response = client.get(path, params)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode("utf-8")


def close_year(plan, fy):
    """Take a fiscal year back to open (unpublished), as if HQ had not published it yet."""
    PlanYear.objects.filter(plan=plan, fiscal_year=fy).update(status=PlanYear.Status.OPEN)
    bump_generation()


def csv_rows(body):
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def department(plan, name):
    return Department.objects.get(municipality=plan.municipality, name=name)


# --- Open data: CSV ---------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_and_exact_noshiro_rows(client, noshiro, rf):
    # The view streams; the public page cache may buffer a small CSV on its way out.
    assert plan_csv(rf.get("/"), "noshiro", "dx-plan-2023").streaming
    response = client.get(url("plan-csv", noshiro))
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="052027-dx-plan-2023.csv"'
    assert raw[:3] == b"\xef\xbb\xbf"
    lines = raw.decode("utf-8").lstrip("\ufeff").split("\r\n")
    assert lines[0] == HEADER
    # First data row: pillar 1's numeric target, as printed in 目標達成状況 (令和5年度).
    assert lines[1] == (
        "052027,秋田県,能代市,dx-plan-2023,能代市ＤＸ推進計画 施策集,分類,1,市民サービスのＤＸ,,,,,"
        "マイナンバーカードの交付率,％,numeric,higher,,amendment-2026-03,2023,令和5年度,67.4％,67.4,75.4％,75.4,"
        "exceeded,↗,,,,,,,,"
    )
    # A measure's KPI, with the measure's own mark that year.
    assert (
        "052027,秋田県,能代市,dx-plan-2023,能代市ＤＸ推進計画 施策集,取組,1/(1),"
        "市民サービスのＤＸ > マイナンバーカードの普及促進,1-(1)-①,1-(1)-①,マイナンバーカードの普及促進,市民保険課,"
        "出張申請窓口の開催回数（回／年）,回／年,numeric,higher,,,2023,令和5年度,１０回,10,０回,0,"
        "not_achieved,↘,not_achieved,↘,,,,,,"
    ) in lines


def test_csv_has_one_row_per_kpi_and_year_and_keeps_measures_without_kpis(client, mini_plan):
    rows = csv_rows(get(client, url("plan-csv", mini_plan))[1])
    by_kind = {}
    for row in rows[1:]:
        by_kind.setdefault((row[5], row[8], row[12]), []).append(row[18])
    assert by_kind == {
        ("分類", "", "マイナンバーカードの交付率"): ["2023", "2024", "2025"],
        ("取組", "1-(1)-①", "出張申請窓口の開催回数"): ["2022", "2023", "2024", "2025"],
        ("取組", "1-(1)-①", "手法の検討"): ["2023", "2024", "2025"],
        ("取組", "2-(1)-①", ""): ["2023", "2024", "2025"],  # no KPI: still listed, with its marks
    }


def test_csv_shows_targets_but_not_actuals_or_marks_of_unpublished_years(client, mini_plan):
    close_year(mini_plan, 2024)
    rows = csv_rows(get(client, url("plan-csv", mini_plan))[1])
    pillar_2024 = next(r for r in rows if r[12] == "マイナンバーカードの交付率" and r[18] == "2024")
    assert pillar_2024[20:28] == ["83.7％", "83.7", "", "", "", "", "", ""]
    qualitative_2024 = next(r for r in rows if r[12] == "手法の検討" and r[18] == "2024")
    assert qualitative_2024[20:28] == ["手法を検討する", "", "", "", "", "", "", ""]
    pillar_2023 = next(r for r in rows if r[12] == "マイナンバーカードの交付率" and r[18] == "2023")
    assert pillar_2023[22:26] == ["75.4％", "75.4", "exceeded", "↗"]


def test_csv_neutralises_spreadsheet_formulas(client, mini_document):
    mini_document["measures"][1]["name"] = '=HYPERLINK("http://example.com","x")'
    plan = import_plan(mini_document).plan
    rows = csv_rows(get(client, url("plan-csv", plan))[1])
    assert {r[10] for r in rows if r[8] == "2-(1)-①"} == {'\'=HYPERLINK("http://example.com","x")'}


# --- Open data: JSON and links ----------------------------------------------------------------


def test_plan_json_hides_unpublished_actuals_but_staff_export_keeps_them(client, mini_plan):
    close_year(mini_plan, 2024)
    document = client.get(url("plan-json", mini_plan)).json()
    pillar = document["categories"][0]["indicators"][0]
    assert pillar["values"][1] == {
        "fy": 2024,
        "target": {"text": "83.7％", "value": 83.7},
        "actual": None,
        "mark": None,
        "computed": None,
        "override_reason": "",
        "achievement_text": "",
        "note": "",
    }
    assert pillar["values"][0]["actual"] == {"text": "75.4％", "value": 75.4}
    assert [m["fy"] for m in document["measures"][0]["marks"]] == [2023]
    whole_plan = {row["fy"]: row["counts"]["total"] for row in document["summary"] if row["category"] is None}
    assert whole_plan == {2023: 1, 2024: 0, 2025: 0}
    staff = export_plan(mini_plan)
    assert staff["categories"][0]["indicators"][0]["values"][1]["actual"] == {"text": "80.6％", "value": 80.6}
    assert [m["fy"] for m in staff["measures"][0]["marks"]] == [2023, 2024]


def test_plan_page_links_json_and_csv_with_licence(client, mini_plan):
    body = get(client, url("plan", mini_plan))[1]
    assert '<link rel="alternate" type="text/csv" href="/noshiro/mini/plan.csv" title="テスト計画 (CSV)">' in body
    assert '<link rel="alternate" type="application/json" href="/noshiro/mini/plan.json"' in body
    assert '<a href="/noshiro/mini/plan.csv" type="text/csv" download>取組・指標の目標と実績（CSV）</a>' in body
    assert '<a href="/noshiro/mini/plan.json" type="application/json">計画データ（JSON）</a>' in body
    assert 'rel="license">クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）</a>' in body
    assert '<a href="/noshiro/mini/roadmap/">ロードマップ（取組のスケジュール一覧）</a>' in body


# --- Roadmap ----------------------------------------------------------------------------------


def test_misato_roadmap_is_a_table_with_years_bars_and_continuations(client, db):
    plan = load_fixture(FIXTURES / "054348-misato-dx-action-plan.json")
    response, body = get(client, url("plan-roadmap", plan))
    assert response.status_code == 200
    assert '<th scope="col">令和6年度<br><small>2024</small></th>' in body
    assert '<th scope="col">令和11年度<br><small>2029</small></th>' in body
    assert "18 件の取組" in body
    assert '<span class="level">基本方針</span> 1 住民サービスの向上（住民DX）</th>' in body
    # 1-1: the printed R6 and R7 texts, then ⇒ to R11, as one bar.
    assert (
        '<td class="rm-bar rm-start">オンライン申請サービス、公共施設予約システムの導入・運用開始</td>'
        '<td class="rm-bar">対象手続きの拡充<br>予約可能な施設の拡充</td>'
        '<td class="rm-bar rm-continues"><span class="continues" aria-hidden="true">⇒</span>'
        '<span class="visually-hidden">継続</span> </td>'
    ) in body
    assert 'style="' not in body  # the Content-Security-Policy forbids inline styles


def test_roadmap_shows_milestones_with_text(client, db):
    plan = load_fixture(FIXTURES / "052019-akita-digital-plan-2-0.json")
    body = get(client, url("plan-roadmap", plan))[1]
    assert (
        '<td class="rm-bar rm-start rm-milestone"><span class="milestone" aria-hidden="true">◆</span>'
        '<span class="visually-hidden">節目:</span> ○</td>'
    ) in body
    assert "スケジュールの記載はありません" in body  # measures without a schedule stay listed


def test_measure_page_has_its_own_roadmap_department_links_and_history_hook(client, mini_plan):
    body = get(client, url("measure", mini_plan, key="1-(1)-①"))[1]
    pk = department(mini_plan, "地域情報課").pk
    assert f'<a href="/noshiro/departments/{pk}/">地域情報課</a>' in body
    assert '<td class="rm-bar rm-start">取得勧奨</td>' in body
    assert '<th scope="col">令和5年度<br><small>2023</small></th>' in body
    assert "公表後の変更履歴" in body and "公表後の変更はありません。" in body


def test_measure_page_hides_actuals_and_marks_of_unpublished_years(client, mini_plan):
    close_year(mini_plan, 2024)
    body = get(client, url("measure", mini_plan, key="1-(1)-①"))[1]
    assert "手法を検討する" in body  # the 2024 target stays
    assert "手法を検討した" not in body
    assert '<th scope="row">令和6年度 (2024)</th><td></td>' in body
    assert "<td>0回</td>" in body  # 2023 is published (printed ０回)


# --- Departments ------------------------------------------------------------------------------


def test_department_page_lists_its_measures_across_categories(client, mini_plan):
    section = department(mini_plan, "地域情報課")
    response, body = get(client, reverse("department", args=["noshiro", section.pk]))
    assert response.status_code == 200
    assert "<h1>地域情報課 <small>秋田県能代市</small></h1>" in body
    assert "この部署が担当する取組: 2 件" in body
    assert f'<a href="{url("measure", mini_plan, key="1-(1)-①")}">1-(1)-① マイナンバーカードの普及促進</a>' in body
    assert "<td>1/(1) マイナンバーカードの普及促進</td>" in body
    assert "<td>2 地域のＤＸ</td>" in body
    assert '<span class="mark-label">目標を達成した</span></span>\n<br><small>令和6年度 (2024)</small>' in body
    # The 部 above it shows its 課's measures too, and links down.
    parent = get(client, reverse("department", args=["noshiro", section.parent_id]))[1]
    assert "この部署が担当する取組: 2 件" in parent
    assert f'所属の課: <a href="/noshiro/departments/{section.pk}/">地域情報課</a>' in parent


def test_department_of_another_municipality_is_404(client, mini_plan):
    section = department(mini_plan, "地域情報課")
    assert client.get(reverse("department", args=["katagami", section.pk])).status_code == 404


def test_municipality_page_lists_departments(client, mini_plan):
    section = department(mini_plan, "地域情報課")
    body = get(client, reverse("municipality", args=["noshiro"]))[1]
    assert (
        f'<li><a href="/noshiro/departments/{section.parent_id}/">企画部</a>\n'
        f'  <ul><li><a href="/noshiro/departments/{section.pk}/">地域情報課</a>（2）</li></ul></li>'
    ) in body


# --- Comparison -------------------------------------------------------------------------------


def test_compare_pages_count_the_seed_plans_per_area(client, db):
    for name in (
        "052019-akita-digital-plan-2-0",
        "052027-noshiro-dx-plan-2023",
        "052116-katagami-dx-plan-2023",
        "054348-misato-dx-action-plan",
    ):
        load_fixture(FIXTURES / f"{name}.json")
    response, body = get(client, reverse("compare-index"))
    assert response.status_code == 200
    assert body.count('<th scope="row"><a href="/compare/') == 13
    # columns: 秋田市, 能代市, 潟上市, 美郷町, total (code order)
    assert (
        '<th scope="row"><a href="/compare/my-number-card/">マイナンバーカードの普及促進</a></th>'
        '<td class="num">7</td><td class="num">1</td><td class="num">1</td><td class="num">1</td>'
        '<td class="num">10</td>'
    ) in body
    assert (
        '<th scope="row"><a href="/compare/online-procedures/">行政手続のオンライン化</a></th>'
        '<td class="num">4</td><td class="num">15</td><td class="num">5</td><td class="num">1</td>'
        '<td class="num">25</td>'
    ) in body
    # 能代市 tags each measure with the area its 施策 is named after: all 9 of 3(1) 自治体情報システムの標準化・共通化
    assert (
        '<th scope="row"><a href="/compare/system-standardisation/">情報システムの標準化・共通化</a></th>'
        '<td class="num">10</td><td class="num">8</td>'
    ) in body
    # Measures tagged with no area are counted as such, so a 0 does not read as "does nothing".
    assert (
        '<th scope="row">未分類（どの事項にも関連付けられていない取組）</th><td class="num">未分類 81 件</td>'
        '<td class="num">未分類 0 件</td><td class="num">未分類 22 件</td><td class="num">未分類 6 件</td>'
        '<td class="num">未分類 109 件</td>'
    ) in body
    response, body = get(client, reverse("compare", args=["telework"]))
    assert "<small>0 件・未分類 81 件</small></h2>" in body  # 秋田市
    assert (
        "計画書が重点取組事項との対応を示していない取組（未分類）が 81 件あり、その中に含まれていることがあります。"
        in body
    )
    assert "<small>1 件</small></h2>" in body  # 能代市: every measure tagged
    response, body = get(client, reverse("compare", args=["my-number-card"]))
    assert response.status_code == 200
    assert "公開中の計画で、この重点取組事項に関連付けられた取組: 10 件" in body
    assert body.count('class="compare-column"') == 4
    assert "この事項に関連付けられた取組はありません。" not in body
    assert '<a href="/noshiro/dx-plan-2023/measures/1-(1)-%E2%91%A0/">1-(1)-① マイナンバーカードの普及促進</a>' in body
    assert '<a href="/misato/dx-action-plan/measures/3-2/">3-2 マイナンバーカードの利活用</a>' in body


def test_compare_shows_the_latest_public_mark(client, mini_plan):
    body = get(client, reverse("compare", args=["my-number-card"]))[1]
    assert '<span class="mark-label">目標を達成した</span></span>\n<br><small>令和6年度 (2024)</small>' in body
    close_year(mini_plan, 2024)
    body = get(client, reverse("compare", args=["my-number-card"]))[1]
    assert '<span class="mark-label">目標が未達成</span></span>\n<br><small>令和5年度 (2023)</small>' in body
    assert client.get(reverse("compare", args=["no-such-area"])).status_code == 404


def test_compare_pages_across_prefectures_count_per_prefecture_and_compare_within_one(client, mini_plan):
    copy_plan(mini_plan, 0, random.Random(0))  # デモ市0000, prefecture 90
    copy_plan(mini_plan, 10, random.Random(10))  # デモ市0010, prefecture 90 too
    body = get(client, reverse("compare-index"))[1]
    assert "<caption>重点取組事項ごとの取組数（都道府県ごと）</caption>" in body
    assert (
        '<th scope="col"><a href="?pref=05">秋田県</a></th><th scope="col"><a href="?pref=90">デモ県</a></th>' in body
    )
    assert (
        '<th scope="row"><a href="/compare/my-number-card/">マイナンバーカードの普及促進</a></th>'
        '<td class="num">1</td><td class="num">2</td><td class="num">3</td>'
    ) in body
    assert '<a href="." aria-current="page">全国（都道府県ごと）</a>' in body

    body = get(client, reverse("compare-index"), pref="90")[1]
    assert "<caption>重点取組事項ごとの取組数（デモ県）</caption>" in body
    assert '<th scope="col">デモ市0000</th><th scope="col">デモ市0010</th><th scope="col">合計</th>' in body
    assert '<a href="/compare/my-number-card/?pref=90">マイナンバーカードの普及促進</a>' in body
    assert '<a href="?pref=90" aria-current="page">デモ県</a>' in body

    body = get(client, reverse("compare", args=["my-number-card"]))[1]
    assert "公開中の計画で、この重点取組事項に関連付けられた取組: 3 件" in body
    assert 'class="compare-column"' not in body
    assert (
        '<tr><th scope="row"><a href="?pref=05">秋田県</a></th><td class="num">1</td><td class="num">1</td>'
        '<td class="num">1</td></tr>'  # 要望活動 is tagged with no area (未分類)
    ) in body
    assert (
        '<tr><th scope="row"><a href="?pref=90">デモ県</a></th><td class="num">2</td><td class="num">2</td>'
        '<td class="num">2</td></tr>'
    ) in body

    body = get(client, reverse("compare", args=["my-number-card"]), pref="90")[1]
    assert "デモ県の公開中の計画で、この重点取組事項に関連付けられた取組: 2 件" in body
    assert body.count('class="compare-column"') == 2 and "能代市" not in body
    assert '<a href="/compare/el-qr/?pref=90">' in body
    # An unknown prefecture is the national view, not an error.
    assert 'class="compare-column"' not in get(client, reverse("compare", args=["my-number-card"]), pref="99")[1]
    # Last: a request under /en/ leaves English active for reverse() in this thread.
    assert "<caption>Measures per priority area, by prefecture</caption>" in get(client, "/en/compare/")[1]
    assert "<caption>Measures per priority area (デモ県)</caption>" in get(client, "/en/compare/", pref="90")[1]


@pytest.mark.parametrize("pref", ["", "90"])
@pytest.mark.parametrize("page", ["compare", "compare-index"])
def test_compare_query_count_does_not_grow_with_municipalities(client, mini_plan, page, pref):
    counts = []
    for numbers in ([0], [10, 20, 30]):
        for number in numbers:
            copy_plan(mini_plan, number, random.Random(number))
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page_url(page, mini_plan), {"pref": pref} if pref else {})
            assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- Sitemap ----------------------------------------------------------------------------------


def sitemap_locations(body):
    return re.findall(r"<loc>(.*?)</loc>", body)


def test_sitemap_is_an_index_of_the_portal_and_each_publishing_municipality(client, mini_plan):
    response, body = get(client, "/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex')
    assert sitemap_locations(body) == ["http://testserver/sitemap-portal.xml", "http://testserver/noshiro/sitemap.xml"]


def test_sitemaps_list_every_public_page_in_both_languages(client, mini_plan):
    portal = get(client, "/sitemap-portal.xml")[1]
    assert sitemap_locations(portal)[:4] == [
        "http://testserver/",
        "http://testserver/en/",
        "http://testserver/compare/",
        "http://testserver/en/compare/",
    ]
    assert "<loc>http://testserver/pref/05/</loc>" in portal
    assert "<loc>http://testserver/compare/el-qr/</loc>" in portal
    assert "/noshiro/" not in portal
    section = department(mini_plan, "地域情報課")
    body = get(client, "/noshiro/sitemap.xml")[1]
    for path in [
        "/noshiro/",
        "/noshiro/mini/",
        "/noshiro/mini/roadmap/",
        "/noshiro/mini/summary/2025/",
        "/noshiro/mini/measures/1-(1)-%E2%91%A0/",
        f"/noshiro/departments/{section.pk}/",
        f"/noshiro/departments/{section.parent_id}/",
    ]:
        assert f"<loc>http://testserver{path}</loc>" in body, path
        assert f"<loc>http://testserver/en{path}</loc>" in body, path
    assert '<xhtml:link rel="alternate" hreflang="en" href="http://testserver/en/noshiro/mini/"/>' in body
    assert '<xhtml:link rel="alternate" hreflang="x-default" href="http://testserver/noshiro/mini/"/>' in body


def test_a_sitemap_page_beyond_the_first_or_of_an_unknown_municipality_is_404(client, mini_plan):
    assert client.get("/noshiro/sitemap.xml", {"p": 2}).status_code == 404
    assert client.get("/nowhere/sitemap.xml").status_code == 404
    assert client.get("/en/sitemap.xml").status_code == 404  # one index lists both languages


def test_robots_txt_points_crawlers_at_the_sitemap_index(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "User-agent: *\nAllow: /\nSitemap: http://testserver/sitemap.xml\n"


def test_sitemap_index_takes_one_query_whatever_the_number_of_municipalities(client, mini_plan):
    counts = []
    for copies in (0, 3):
        for number in range(copies):
            copy_plan(mini_plan, number, random.Random(number))
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            body = get(client, "/sitemap.xml")[1]
        counts.append(len(queries))
        assert len(sitemap_locations(body)) == 2 + copies
    assert counts == [1, 1]


# --- Plan page filters and home ---------------------------------------------------------------


def test_plan_filter_form_has_labelled_controls_for_every_filter(client, mini_plan):
    body = get(client, url("plan", mini_plan))[1]
    for control in ["q", "category", "department", "sdg", "mark", "fy", "new"]:
        assert f'<label for="{control}">' in body, control
    assert '<option value="11">11. 住み続けられるまちづくりを</option>' in body
    assert '<option value="2023" selected>令和5年度 (2023)</option>' in body


@pytest.mark.parametrize(
    ("params", "count", "shown"),
    [
        ({"category": "1"}, 1, "1-(1)-①"),
        ({"sdg": "16"}, 1, "1-(1)-①"),
        ({"mark": "achieved", "fy": "2024"}, 1, "1-(1)-①"),
        ({"q": "要望"}, 1, "2-(1)-①"),
        ({"new": "1"}, 0, None),
    ],
)
def test_plan_filters_narrow_the_list(client, mini_plan, params, count, shown):
    body = get(client, url("plan", mini_plan), **params)[1]
    assert f"{count} 件の取組" in body
    if shown:
        assert f'<a href="{url("measure", mini_plan, key=shown)}">' in body


def test_plan_filters_by_department_and_stage(client, mini_document):
    mini_document["plan"]["stage_legend"] = [{"stage": 2, "label": "拡大期"}]
    mini_document["measures"][0]["stages"] = [{"fy": None, "stages": [2]}]
    mini_document["departments"].append({"name": "総務課", "parent": None})
    mini_document["measures"][1]["departments"] = ["総務課"]
    plan = import_plan(mini_document).plan
    body = get(client, url("plan", plan), stage="2")[1]
    assert '<option value="2" selected>(2) 拡大期</option>' in body
    assert "1 件の取組" in body and f'<a href="{url("measure", plan, key="1-(1)-①")}">' in body
    general = department(plan, "総務課")
    body = get(client, url("plan", plan), department=str(general.pk))[1]
    assert "1 件の取組" in body and f'<a href="{url("measure", plan, key="2-(1)-①")}">' in body
    assert f'<a href="/noshiro/departments/{general.pk}/">この部署が担当する取組をすべて見る' in body


def test_mark_filter_ignores_unpublished_years(client, mini_plan):
    close_year(mini_plan, 2024)
    body = get(client, url("plan", mini_plan), mark="achieved", fy="2024")[1]
    assert "0 件の取組" in body


def test_prefecture_page_shows_latest_public_year_at_a_glance(client, mini_plan):
    body = get(client, "/pref/05/")[1]
    assert '<a href="/noshiro/mini/summary/2024/">令和6年度 (2024)の目標達成状況</a>' in body
    assert '-caption">令和6年度 (2024)の評価ごとの取組数（1 件）</caption>' in body
    # 2023 (published before it) beside 2024: the one measure went from ↘ to →.
    achieved = (
        '<th scope="row"><span class="mark mark-achieved"><span aria-hidden="true">→</span> 目標を達成した</span></th>'
    )
    assert achieved + '<td class="num">0</td><td class="num">1</td><td class="num">+1</td></tr>' in body
    assert 'class="seg seg-2"/>' in body and ">→1</text>" in body  # the bar, its count in the segment
    close_year(mini_plan, 2024)
    body = get(client, "/pref/05/")[1]
    assert '<a href="/noshiro/mini/summary/2023/">令和5年度 (2023)の目標達成状況</a>' in body
    # 2022 is the baseline year before the period: published, but no earlier year to compare with.
    not_achieved = '<th scope="row"><span class="mark mark-not_achieved"><span aria-hidden="true">↘</span> 目標が未達成</span></th>'
    assert not_achieved + '<td class="num">1</td></tr>' in body


def test_summary_page_hides_unpublished_year(client, mini_plan):
    close_year(mini_plan, 2024)
    body = get(client, url("plan-summary", mini_plan, fy=2024))[1]
    assert "この年度の実績と評価はまだ公表されていません。" in body
    assert "83.7％" in body and "80.6％" not in body
    assert 'style="' not in body


# --- Unpublished plans never appear -----------------------------------------------------------


@pytest.fixture
def with_draft(mini_plan, mini_document):
    """Beside the published mini plan, a draft plan of the same municipality with its own department."""
    document = copy.deepcopy(mini_document)
    document["plan"].update({"slug": "secret", "title": "非公開の計画", "status": "draft"})
    document["departments"].append({"name": "非公開課", "parent": None})
    for measure in document["measures"]:
        measure["name"] = "非公開の取組"
        measure["departments"] = ["非公開課"]
    return import_plan(document).plan


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/pref/05/",
        "/noshiro/",
        "/compare/",
        "/compare/my-number-card/",
        "/sitemap.xml",
        "/sitemap-portal.xml",
        "/noshiro/sitemap.xml",
        "/noshiro/mini/?q=非公開",
    ],
)
def test_draft_plans_do_not_appear(client, with_draft, path):
    response, body = get(client, path)
    assert response.status_code == 200
    assert "非公開" not in body.replace("q=非公開", "").replace('value="非公開"', "")
    assert "/secret/" not in body


def test_draft_plan_measures_do_not_appear_on_department_pages(client, with_draft, mini_plan):
    shared = department(mini_plan, "地域情報課")
    body = get(client, reverse("department", args=["noshiro", shared.pk]))[1]
    assert "この部署が担当する取組: 2 件" in body and "非公開" not in body
    secret = department(with_draft, "非公開課")
    assert client.get(reverse("department", args=["noshiro", secret.pk])).status_code == 404
    assert f"/departments/{secret.pk}/" not in get(client, "/noshiro/sitemap.xml")[1]


def test_a_municipality_with_only_a_draft_plan_has_no_sitemap(client, mini_plan):
    draft = copy_plan(mini_plan, 7, random.Random(7))
    Plan.objects.filter(pk=draft.pk).update(status=Plan.Status.DRAFT)
    assert client.get(f"/{draft.municipality.slug}/sitemap.xml").status_code == 404
    assert draft.municipality.slug not in get(client, "/sitemap.xml")[1]
    assert client.get(f"/{mini_plan.municipality.slug}/sitemap.xml").status_code == 200


@pytest.mark.parametrize("name", ["plan-csv", "plan-json", "plan-roadmap"])
def test_draft_plan_open_data_and_roadmap_are_404(client, with_draft, name):
    assert client.get(url(name, with_draft)).status_code == 404


# --- Bounded queries --------------------------------------------------------------------------


def page_url(page, plan):
    if page == "department":
        return reverse("department", args=["noshiro", department(plan, "地域情報課").pk])
    if page == "compare":
        return reverse("compare", args=["my-number-card"])
    if page == "sitemap":
        return "/noshiro/sitemap.xml"
    if page == "municipality":
        return reverse("municipality", args=["noshiro"])
    if page == "prefecture":
        return reverse(page, args=["05"])
    if page == "compare-index":
        return reverse(page)
    return url(page, plan)


@pytest.mark.parametrize(
    "page",
    ["plan-csv", "plan-roadmap", "department", "compare", "compare-index", "sitemap", "municipality", "prefecture"],
)
def test_query_count_does_not_grow_with_plan_size(client, mini_document, page):
    counts = []
    for factor in (1, 10):
        plan = import_plan(grow(copy.deepcopy(mini_document), factor)).plan
        target = page_url(page, plan)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response, body = get(client, target)
            assert response.status_code == 200
        counts.append(len(queries))
        if page == "sitemap":
            # two measures per copy, each in Japanese and English, each with 3 alternates (ja, en, x-default)
            assert body.count("/measures/") == 2 * factor * 2 * 4
        Plan.objects.filter(pk=plan.pk).delete()
    assert counts[0] == counts[1], counts
    assert counts[1] <= 12, counts


def test_noshiro_summary_chart_is_svg_with_the_table_numbers(client, noshiro):
    body = get(client, url("plan-summary", noshiro, fy=2024))[1]
    # pillar 3, → 目標を達成した, as printed: 15 of 27 measures (6 / 15 / 3 / 3 = 22.2 / 55.6 / 11.1 / 11.1 %)
    assert '<td class="num">15 <small class="share">55.6%</small></td>' in body
    assert '<td class="num">27 <small class="share">100.0%</small></td>' in body
    assert 'class="seg seg-2"/>' in body and ">→15</text>" in body  # the legend's second level, →
    assert 'role="img" aria-labelledby="summary-chart-title"' in body
    assert 'style="' not in body


@pytest.mark.parametrize(
    "page", ["plan-roadmap", "department", "compare", "compare-index", "municipality", "prefecture"]
)
def test_new_pages_have_one_h1_and_no_inline_style(client, mini_plan, page):
    response, body = get(client, page_url(page, mini_plan))
    assert response.status_code == 200
    assert body.count("<h1>") == 1
    assert 'style="' not in body
