"""What residents read: plain explanations, units said once, one number style, sources by title, SDG names,
one breadcrumb pattern, and English pages in English (names, Western years, dates, the language menu)."""

import re

import pytest

from kpis.interchange.importer import import_plan
from tests.conftest import NOSHIRO, load_fixture

pytestmark = pytest.mark.django_db


CRUMBS = re.compile(r'<nav aria-label="(?:パンくずリスト|Breadcrumbs)" class="crumbs">(.*?)</nav>', re.S)


@pytest.fixture
def noshiro(db):
    return load_fixture(NOSHIRO)


def get(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def crumbs(body):
    return re.sub(r"<[^>]+>", "", CRUMBS.search(body).group(1))


def test_a_measure_s_marks_are_explained_in_plain_sentences(client, noshiro):
    body = get(client, "/noshiro/dx-plan-2023/measures/1-(2)-③/")
    assert (
        "「ぴったりサービスによる申請事務数【マイナンバー関係事務】（累計）」は、目標 50件 に対して実績 40件 でした（目標が未達成）。"
        " 「県共同利用システム等による申請事務数【上記以外の事務】（累計）」は、目標 60件 に対して実績 70件 でした（目標を上回った）。"
        " 目標を上回った指標と届かなかった指標の数を差し引きして、取組の評価を「目標を達成した」としています。"
    ) in body
    # The engine's wording stays for staff (the admin), not here.
    for jargon in ("差引き +", "指標の差引き", "（要確認）", "を上回った /", "完了形"):
        assert jargon not in body, jargon
    english = get(client, "/en/noshiro/dx-plan-2023/measures/1-(2)-③/")
    assert (
        "“県共同利用システム等による申請事務数【上記以外の事務】（累計）”: the actual was 70件 against a target of 60件"
        " (Exceeded the target)."
    ) in english
    assert "Indicators above their target and indicators below it are counted against each other" in english


def test_a_qualitative_kpi_reads_as_its_target_and_result(client, noshiro):
    body = get(client, "/noshiro/dx-plan-2023/measures/1-(1)-①/")
    assert "「手法の検討」は、目標「手法を検討する」に対して実績「手法を検討した」でした（目標を達成した）。" in body
    assert "要確認" not in body


def test_units_are_said_once_and_numbers_in_one_style(client, noshiro):
    body = get(client, "/noshiro/dx-plan-2023/measures/1-(1)-①/")
    assert "出張申請窓口の開催回数（回／年） <small>数値</small></caption>" in body  # not （回／年）（回／年）
    assert "新たに介護施設や個人宅を訪問することを周知した回数(回／年） <small>" in body
    body = get(client, "/noshiro/dx-plan-2023/measures/1-(2)-③/")
    # 「（累計）」 in the name: no 【累計】 after it; the unit once.
    assert '-caption">ぴったりサービスによる申請事務数【マイナンバー関係事務】（累計）（件） <small>' in body
    assert "【累計】" not in body
    assert "<td>40件</td>" in body and "４０件" not in body


def test_a_value_entered_as_a_bare_number_takes_the_plan_s_unit(client, noshiro):
    from kpis.models import IndicatorValue

    value = IndicatorValue.objects.get(
        indicator__name__startswith="ぴったりサービスによる申請事務数", fiscal_year=2024, indicator__plan=noshiro
    )
    value.actual_text, value.actual_value = "45", 45
    value.save()
    body = get(client, "/noshiro/dx-plan-2023/measures/1-(2)-③/")
    assert "<td>45件</td>" in body and "<td>50件</td>" in body  # entered 45 beside printed ５０件


def test_sources_are_named_by_their_title_and_sdg_goals_by_their_name(client, noshiro):
    body = get(client, "/noshiro/dx-plan-2023/measures/1-(1)-①/")
    assert "出典: 能代市ＤＸ推進計画 施策集（本文テキストの 672-755 行）" in body
    assert "000_8ee49dd0f320089a.txt" not in body
    assert '<li><span class="badge">10</span> 人や国の不平等をなくそう</li>' in body
    english = get(client, "/en/noshiro/dx-plan-2023/measures/1-(1)-①/")
    assert '<li><span class="badge">10</span> Reduced inequalities</li>' in english
    assert "Source: 能代市ＤＸ推進計画 施策集 (lines 672-755 of its text)</small>" in english


def test_every_page_has_the_same_breadcrumb_pattern(client, noshiro):
    department = noshiro.municipality.departments.get(name="市民保険課")
    trails = {
        "/noshiro/": "ホーム › 秋田県 › 能代市",
        "/noshiro/dx-plan-2023/": "ホーム › 秋田県 › 能代市 › 能代市ＤＸ推進計画 施策集",
        "/noshiro/dx-plan-2023/roadmap/": "ホーム › 秋田県 › 能代市 › 能代市ＤＸ推進計画 施策集 › ロードマップ",
        "/noshiro/dx-plan-2023/summary/2024/": "ホーム › 秋田県 › 能代市 › 能代市ＤＸ推進計画 施策集 › 令和6年度 目標達成状況",
        "/noshiro/dx-plan-2023/measures/1-(1)-①/": "ホーム › 秋田県 › 能代市 › 能代市ＤＸ推進計画 施策集 › 1-(1)-①",
        f"/noshiro/departments/{department.pk}/": "ホーム › 秋田県 › 能代市 › 市民保険課",
        "/pref/05/": "ホーム › 秋田県",
    }
    assert {path: crumbs(get(client, path)) for path in trails} == trails
    english = crumbs(get(client, "/en/noshiro/dx-plan-2023/summary/2024/"))
    assert english == "Home › Akita › Noshiro › 能代市ＤＸ推進計画 施策集 › FY2024 Achievement"


def test_the_summary_subtitle_does_not_repeat_the_municipality(client, noshiro):
    body = get(client, "/noshiro/dx-plan-2023/summary/2024/")
    assert "<p>能代市ＤＸ推進計画 施策集</p>" in body and "能代市 能代市" not in body


def test_english_pages_give_western_years_english_names_and_dates(client, noshiro):
    plan = get(client, "/en/noshiro/dx-plan-2023/")
    assert "<dd>Noshiro, Akita（052027）</dd>" in plan
    assert "令和５・６年度 (FY2023, FY2024)" in plan and "推進変更計画（令和8年3月 (March 2026)）" in plan
    summary = get(client, "/en/noshiro/dx-plan-2023/summary/2024/")
    assert "（revised in March 2026）" in summary and "2026年3月" not in summary
    assert "34.8％（R3 (FY2021)）" in summary  # the printed era year, with its Western year, not twice
    assert "<h1>Noshiro, Akita</h1>" in get(client, "/en/noshiro/")
    assert "<h1>Municipal DX plans in Akita</h1>" in get(client, "/en/pref/05/")
    # Japanese pages keep the printed forms.
    assert "34.8％（R3）</td>" in get(client, "/noshiro/dx-plan-2023/summary/2024/")


@pytest.mark.parametrize("path", ["/", "/en/"])
def test_the_language_menu_names_each_language_in_itself(client, db, path):
    body = get(client, path)
    assert '<option value="ja" lang="ja"' in body and ">日本語</option>" in body
    assert ">English</option>" in body and "英語" not in body


def test_search_finds_measure_names_in_either_width_in_both_languages(client, noshiro, mini_document):
    # 能代市 prints ＡＩ in full width: 4 measures, found by either spelling.
    assert "「ＡＩ」を名称に含む取組: 4 件" in get(client, "/search/?q=ＡＩ")
    body = get(client, "/search/?q=AI")
    assert "「AI」を名称に含む取組: 4 件" in body
    assert '<a href="/noshiro/dx-plan-2023/measures/3-(2)-%E2%91%A6/">' in body
    assert '<meta name="robots" content="noindex">' in body
    english = get(client, "/en/search/?q=AI")
    assert "Measures named with “AI”: 4" in english and "Noshiro, Akita ／ 能代市ＤＸ推進計画 施策集" in english
    assert "件" not in get(client, "/search/")  # the form alone: nothing searched
    mini_document["plan"]["status"] = "draft"
    mini_document["municipality"] = {"code": "052116", "name": "潟上市", "prefecture": "秋田県", "slug": "katagami"}
    mini_document["measures"][0]["name"] = "AIの下書き"
    import_plan(mini_document)
    assert "AIの下書き" not in get(client, "/search/?q=AI")  # drafts are never found


def test_search_costs_three_queries_whatever_it_finds(client, noshiro, django_assert_num_queries):
    for query in ("AI", "マイナンバー", "オンライン"):
        with django_assert_num_queries(3):
            assert client.get("/search/", {"q": query}).status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/search/").status_code == 200
