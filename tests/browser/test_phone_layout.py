"""Every public page type on a 390 px phone, in Japanese and English: no sideways scroll of the page (wide tables
scroll in their own focusable region), axe clean on the pages issue 20 changed, and a screenshot of each page
type at phone and desktop width in test-artifacts/browser/<test>/ to look at.

The widest seed pages stand for their type: Misato's plan (six fiscal years) and roadmap, Noshiro's measure with
a chart and its summary with pillar indicators.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from plans.models import Department
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_accessibility import LAYOUT_RULES, axe_violations

pytestmark = pytest.mark.browser

MISATO = {"municipality": "misato", "plan": "dx-action-plan"}
NOSHIRO = {"municipality": "noshiro", "plan": "dx-plan-2023"}


def department(plans):
    found = Department.objects.filter(ownerships__measure__plan=plans["noshiro"]).order_by("pk").first()
    return {"municipality": "noshiro", "pk": found.pk}


# id -> (URL name, kwargs from the seed plans, query string, run axe: the pages this issue changed)
PAGE_TYPES = {
    "home": ("home", lambda plans: {}, "", True),
    "search": ("search", lambda plans: {}, "?q=AI", True),
    "prefecture": ("prefecture", lambda plans: {"code": "05"}, "", True),
    "municipality": ("municipality", lambda plans: {"municipality": "misato"}, "", False),
    "plan": ("plan", lambda plans: MISATO, "", True),
    "plan-filtered": ("plan", lambda plans: NOSHIRO, "?mark=not_achieved&fy=2023", False),
    "measure": ("measure", lambda plans: {**NOSHIRO, "key": "1-(1)-①"}, "", True),
    "measure-six-years": ("measure", lambda plans: {**MISATO, "key": "1-1"}, "", False),
    "summary": ("plan-summary", lambda plans: {**NOSHIRO, "fy": 2024}, "", True),
    "roadmap": ("plan-roadmap", lambda plans: MISATO, "", True),
    "department": ("department", department, "", True),
    "compare-index": ("compare-index", lambda plans: {}, "", True),
    "compare": ("compare", lambda plans: {"area": "telework"}, "", True),
}


def page_url(plans, page_type: str, language: str) -> str:
    name, kwargs, query, _ = PAGE_TYPES[page_type]
    with translation.override(language):
        return reverse(name, kwargs=kwargs(plans)) + query


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_page_scrolls_sideways_on_a_phone(seed_plans, pages, page_type, language):
    url = page_url(seed_plans, page_type, language)
    page = pages.open(url, viewport=PHONE, locale="en-GB" if language == "en" else "ja-JP")
    assert page.locator("html").get_attribute("lang") == language
    pages.screenshot(page, f"{page_type}-{language}-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{url} is {width} px wide on a {PHONE['width']} px phone"
    # A mark's words never break inside the label (「↘ 目/標が/未達/成」): every label is one line.
    broken = page.locator(".mark").evaluate_all(
        "els => els.filter(e => { const r = [...e.getClientRects()];"
        " return r.length && Math.max(...r.map(x => x.top)) - Math.min(...r.map(x => x.top)) > r[0].height / 2; })"
        ".map(e => e.textContent)"
    )
    assert broken == [], url
    if PAGE_TYPES[page_type][3]:
        assert axe_violations(page, LAYOUT_RULES) == "", f"{url} on a phone"
    page.set_viewport_size(DESKTOP)
    pages.screenshot(page, f"{page_type}-{language}-desktop")
    if PAGE_TYPES[page_type][3]:
        assert axe_violations(page) == "", f"{url} on a desktop"
    assert pages.console_errors(page) == [], url


def test_the_roadmap_is_a_list_on_a_phone_and_a_table_on_a_desktop(seed_plans, pages):
    url = reverse("plan-roadmap", kwargs=NOSHIRO)
    page = pages.open(url, viewport=PHONE)
    assert page.locator(".roadmap-list").is_visible() and not page.locator("table.roadmap").is_visible()
    first = page.locator(".rl-measures > li").first
    assert first.locator("a").first.inner_text() == "1-(1)-① マイナンバーカードの普及促進"
    # Years that only continue the one before read as one line: 令和6年度〜令和7年度 ⇒ 継続.
    assert [line.strip() for line in first.locator(".rl-years li").all_inner_texts()] == [
        "令和5年度 取得勧奨",
        "令和6年度〜令和7年度 ⇒ 継続",
    ]
    # The table's two-character name column made the page 20,721 px tall at 390 px.
    assert page.evaluate("document.documentElement.scrollHeight") < 14000
    page.set_viewport_size(DESKTOP)
    assert page.locator("table.roadmap").is_visible() and not page.locator(".roadmap-list").is_visible()
