"""A resident's path through the portal on a phone and on a desktop, and the same by keyboard alone."""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

BOM = b"\xef\xbb\xbf"
DEPARTMENT = "健康づくり課"  # owns 4 of Noshiro's 73 measures


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_home_plan_filter_measure_summary_csv(seed_plans, pages, viewport):
    plan = seed_plans["noshiro"]
    page = pages.open("/", viewport=viewport)
    pages.screenshot(page, "01-home")

    page.get_by_role("link", name="秋田県", exact=True).click()
    expect_heading(page, "秋田県の自治体DX推進計画")
    page.get_by_role("link", name=plan.title, exact=True).click()
    expect_heading(page, plan.title)
    assert page.get_by_role("status").inner_text() == "73 件の取組"
    pages.screenshot(page, "02-plan")

    page.get_by_label("担当部署").select_option(label=DEPARTMENT)
    page.get_by_role("button", name="絞り込む").click()
    assert re.search(r"[?&]department=\d+", page.url)
    assert page.get_by_role("status").inner_text() == "4 件の取組"
    pages.screenshot(page, "03-plan-filtered")

    first = page.locator("table.marks tbody th a").first
    measure_name = first.inner_text()
    first.click()
    expect_heading(page, measure_name)
    assert DEPARTMENT in page.locator("dl.facts").inner_text()
    pages.screenshot(page, "04-measure")

    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name=plan.title).click()
    page.get_by_role("navigation", name="年度別の目標達成状況").get_by_role("link", name="令和5年度 (2023)").click()
    expect_heading(page, "令和5年度 (2023) 目標達成状況")
    pages.screenshot(page, "05-summary")

    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name=plan.title).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="取組・指標の目標と実績（CSV）").click()
    download = download_info.value
    path = pages.artifacts / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(BOM + "全国地方公共団体コード,".encode())
    assert data.decode("utf-8-sig").splitlines()[1].startswith("052027,")  # Noshiro's code
    pages.screenshot(page, "06-plan-after-download")

    assert pages.console_errors(page) == []


def test_keyboard_only_skip_link_filter_and_visible_focus(seed_plans, pages):
    page = pages.open("/noshiro/dx-plan-2023/")

    page.keyboard.press("Tab")
    assert focused(page, "el.textContent.trim()") == "本文へ移動"
    box = page.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
    assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0  # shown on focus, not left off-screen
    assert_focus_visible(page)
    pages.screenshot(page, "01-skip-link")

    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")
    assert focused(page, "!!el.closest('main')"), "Tab after the skip link stays in the main content"

    for _ in range(40):
        if focused(page, "el.id") == "q":
            break
        page.keyboard.press("Tab")
    assert focused(page, "el.id") == "q", "Tab reaches the filter form's keyword field"
    assert_focus_visible(page)
    pages.screenshot(page, "02-filter-focused")

    page.keyboard.type("オンライン")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=%E3%82%AA%E3%83%B3%E3%83%A9%E3%82%A4%E3%83%B3" in page.url
    assert page.get_by_role("status").inner_text() == "14 件の取組"
    assert page.locator("table.marks tbody th[scope=row]").count() == 14
    pages.screenshot(page, "03-filtered-by-keyboard")
    assert pages.console_errors(page) == []


def expect_heading(page, text):
    assert page.get_by_role("heading", level=1).inner_text().startswith(text), page.url


def focused(page, expression):
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {expression}; }})()")


def assert_focus_visible(page):
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return {style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()"
    )
    assert style["style"] != "none" and style["width"] >= 2, style
