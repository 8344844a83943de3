"""The English switch: a plain form (no JavaScript) that takes the resident to the same page in English."""

import pytest

from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser


def test_language_switch_shows_the_home_page_in_english(seed_plans, pages):
    page = pages.open("/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_label("言語").select_option("en")
    page.get_by_role("button", name="切替").click()

    assert page.url.endswith("/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Progress of municipal DX plans | DX Progress Portal"
    assert page.get_by_role("heading", level=1).inner_text() == "Progress of municipal DX plans"
    assert page.get_by_role("link", name="Compare municipalities by national priority area").count() == 1
    assert page.get_by_role("link", name="Skip to main content").count() == 1
    assert axe_violations(page) == ""
    pages.screenshot(page, "home-en")
    assert pages.console_errors(page) == []


def test_language_switch_keeps_the_page_and_its_filters(seed_plans, pages):
    filtered = "/noshiro/dx-plan-2023/?mark=achieved&fy=2023"
    page = pages.open(filtered)
    japanese_status = page.get_by_role("status").inner_text()
    assert japanese_status.endswith(" 件の取組")

    page.get_by_label("言語").select_option("en")
    page.get_by_role("button", name="切替").click()
    assert page.url.endswith("/en" + filtered)
    assert page.get_by_role("status").inner_text() == japanese_status.split()[0] + " measures"
    assert page.get_by_role("button", name="Filter").count() == 1
    pages.screenshot(page, "plan-en")

    page.get_by_label("Language").select_option("ja")
    page.get_by_role("button", name="Switch").click()
    assert page.url.endswith(filtered) and "/en/" not in page.url
    assert page.get_by_role("status").inner_text() == japanese_status
    assert pages.console_errors(page) == []


def test_english_measure_page_translates_headings_marks_and_chart_text(seed_plans, pages):
    page = pages.open("/en/noshiro/dx-plan-2023/measures/1-(1)-①/")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert {"Targets and actuals", "Achievement by fiscal year"} <= set(headings)
    assert page.locator("table.marks-explained thead").inner_text().split() == ["Fiscal", "year", "Mark", "Explanation"]
    assert page.locator(".legend").inner_text().startswith("Legend")
    assert "Target not achieved" in page.locator("table.marks-explained").inner_text()
    chart = page.locator("figure.kpi-chart svg title").first.text_content()
    assert chart.endswith(": targets and actuals over the years (the numbers are in the table above)")
    assert page.locator("figure.kpi-chart figcaption").first.inner_text().split() == ["Target", "Actual"]
    assert axe_violations(page) == ""
