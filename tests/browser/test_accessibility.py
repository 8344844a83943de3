"""axe-core (WCAG 2.1 AA rule set) finds no violations on any public page type, nor on the admin login."""

import os
import random

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import NoReverseMatch, reverse

from kpis.management.commands.generate_demo_data import copy_plan
from measures.models import PriorityArea
from plans.models import Department
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# JIS X 8341-3:2016 level AA is WCAG 2.1 AA: run exactly those rule sets.
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# On a phone the DOM is the same and only the layout changes: rerun just the rules that depend on it
# (a full axe run takes about 3 s on a large plan page).
LAYOUT_RULES = {"runOnly": {"type": "rule", "values": ["scrollable-region-focusable", "color-contrast"]}}
NOSHIRO = {"municipality": "noshiro", "plan": "dx-plan-2023"}
CHART_MEASURE = "1-(1)-①"  # Noshiro's マイナンバーカード measure: numeric KPIs with targets and actuals


def noshiro_department(plans):
    department = Department.objects.filter(ownerships__measure__plan=plans["noshiro"]).order_by("pk").first()
    return {"municipality": "noshiro", "pk": department.pk}


def compared_area(plans):
    return {"area": PriorityArea.objects.filter(measures__isnull=False).order_by("name").first().slug}


# Every public page type: id -> (URL name, kwargs from the seed plans, query string).
PAGE_TYPES = {
    "home": ("home", lambda plans: {}, ""),
    "municipality": ("municipality", lambda plans: {"municipality": "noshiro"}, ""),
    "plan": ("plan", lambda plans: NOSHIRO, ""),
    "plan-filtered": ("plan", lambda plans: NOSHIRO, "?mark=not_achieved&fy=2023"),
    "measure": ("measure", lambda plans: {**NOSHIRO, "key": CHART_MEASURE}, ""),
    "summary": ("plan-summary", lambda plans: {**NOSHIRO, "fy": 2023}, ""),
    "roadmap": ("plan-roadmap", lambda plans: NOSHIRO, ""),
    "department": ("department", noshiro_department, ""),
    "prefecture": ("prefecture", lambda plans: {"code": "05"}, ""),
    "compare-index": ("compare-index", lambda plans: {}, ""),
    "compare": ("compare", compared_area, ""),
    "admin-login": ("admin:login", lambda plans: {}, ""),
}


def axe_violations(page, options=WCAG_21_AA) -> str:
    """axe's readable report of the violations on the page as it is now ('' when there are none)."""
    results = Axe().run(page, options=options)
    return results.generate_report() if results.violations_count else ""


def assert_accessible_on_desktop_and_phone(pages, page, url: str, screenshot: str) -> None:
    """No axe violations on the desktop page, nor in the phone layout; no sideways scroll, no console errors."""
    violations = axe_violations(page)
    assert not violations, f"{url} on desktop:\n{violations}"
    # Narrow screens reflow tables into scrolling regions, which bring their own rules (keyboard reachable).
    page.set_viewport_size(PHONE)
    violations = axe_violations(page, LAYOUT_RULES)
    assert not violations, f"{url} on a phone:\n{violations}"
    pages.screenshot(page, screenshot)
    # Reflow (WCAG 1.4.10): nothing makes the page itself scroll sideways; wide tables scroll in a region.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{url} is wider than a phone"
    assert pages.console_errors(page) == [], url


@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_axe_violations_on_phone_and_desktop(seed_plans, pages, page_type):
    name, kwargs, query = PAGE_TYPES[page_type]
    plans = seed_plans
    try:
        url = reverse(name, kwargs=kwargs(plans)) + query
    except NoReverseMatch:
        # CI must not pass by skipping a page type: a URL name that no longer reverses is an error there.
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name}: the URL name no longer reverses ({page_type})")
        pytest.skip(f"{name}: not built yet")
    page = pages.open(url, viewport=DESKTOP)
    assert page.title(), url
    assert_accessible_on_desktop_and_phone(pages, page, url, f"{page_type}-phone")


@pytest.mark.parametrize("page_type", ["compare-index", "compare"])
def test_no_axe_violations_on_the_comparison_across_prefectures(seed_plans, pages, page_type):
    # A second prefecture: the comparison pages then count per prefecture instead of side by side.
    copy_plan(seed_plans["noshiro"], 0, random.Random(0))
    name, kwargs, query = PAGE_TYPES[page_type]
    url = reverse(name, kwargs=kwargs(seed_plans)) + query
    page = pages.open(url, viewport=DESKTOP)
    assert page.locator('nav a[aria-current="page"]').inner_text() == "全国（都道府県ごと）"
    assert_accessible_on_desktop_and_phone(pages, page, url, f"{page_type}-prefectures-phone")


def test_measure_chart_has_a_text_alternative(seed_plans, pages):
    page = pages.open(reverse("measure", kwargs={**NOSHIRO, "key": CHART_MEASURE}))
    chart = page.locator("figure.kpi-chart svg").first
    assert chart.get_attribute("role") == "img"
    kpi_name = page.locator("table.kpi caption").first.inner_text().split("（")[0]
    title = page.locator(f"#{chart.get_attribute('aria-labelledby')}").text_content()
    assert title.startswith(kpi_name) and title.endswith("の目標と実績の推移（数値は上の表のとおり）")
    description = page.locator(f"#{chart.get_attribute('aria-describedby')}").text_content()
    assert description == "破線と白抜きの丸が目標、実線と塗りつぶした丸が実績です。"


def test_every_mark_shows_its_symbol_and_a_text_label(seed_plans, pages):
    page = pages.open(reverse("plan", kwargs=NOSHIRO))
    marks = page.locator("table.marks .mark").evaluate_all(
        "els => els.map(e => [e.querySelector('[aria-hidden=true]')?.textContent,"
        " e.querySelector('.mark-label')?.textContent, getComputedStyle(e).color])"
    )
    assert len(marks) == 102  # the marks Noshiro published for its 73 measures in 2023 and 2024
    assert {(symbol, label) for symbol, label, _ in marks} == {
        ("↗", "目標を上回った"),
        ("→", "目標を達成した"),
        ("↘", "目標が未達成"),
        ("－", "該当なし"),
    }
    # Colour only reinforces: a different colour per mark, each with its own symbol and words.
    assert len({color for *_, color in marks}) == 4
