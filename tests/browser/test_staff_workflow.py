"""A year's reporting in the browser, at 1280 px and 390 px: 地域情報課 enters an actual, is asked about an
implausible one and confirms it, submits with the blank KPIs named first; HQ sees the confirmed value,
approves, is told which departments have not submitted before publishing; the resident's pages then
show the actual and say that reports are missing. Screenshots of each step go to test-artifacts/."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kpis import workflow
from kpis.models import IndicatorValue, PlanYear
from plans.models import Department, HQMembership, StaffMembership
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

FY = 2025  # 令和7年度: the open year of Noshiro's plan (R4–R6 actuals are printed and published)
KPI = "公衆無線ＬＡＮの整備施設数（累計）"  # measure 2-(1)-②, target ２２施設 in R7, １６施設 in R6
MEASURE = "2-(1)-②"
COUNT_KPI = "利用方法等の周知回数"  # 1-(2)-⑭, １回 in R6
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def people(plan):
    department = Department.objects.get(municipality=plan.municipality, name="地域情報課")
    staff = User.objects.create_user("joho-staff", password="a-long-password-for-tests", is_staff=True)
    StaffMembership.objects.create(user=staff, department=department)
    hq = User.objects.create_user("noshiro-hq", password="a-long-password-for-tests", is_staff=True)
    HQMembership.objects.create(user=hq, municipality=plan.municipality)
    return department, staff, hq


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_department_enters_and_submits_hq_approves_and_publishes(seed_plans, pages, width):
    viewport = WIDTHS[width]
    plan = seed_plans["noshiro"]
    department, staff, hq = people(plan)
    public_path = f"/{plan.municipality.slug}/{plan.slug}/measures/{MEASURE}/"
    value = IndicatorValue.objects.get(indicator__plan=plan, indicator__name=KPI, fiscal_year=FY)

    before = pages.open(public_path, viewport=viewport)
    assert "23施設" not in before.content()

    entry = pages.open(f"{reverse('admin:kpis_entry')}?plan={plan.pk}&fy={FY}", user=staff, viewport=viewport)
    entry.get_by_label(KPI, exact=True).fill("２３施設")
    entry.locator(f"input[name='note-{value.indicator_id}']").fill("図書館に1施設追加")
    pages.screenshot(entry, f"{width}-01-entry-filled")
    assert no_sideways_scroll(entry)
    entry.get_by_role("button", name="保存", exact=True).click()
    assert "保存しました（新規 0 件、変更 1 件" in entry.locator(".messagelist").text_content()
    row = entry.locator(f"#kpi-{value.indicator_id}")
    assert "目標を上回った" in row.locator("td.mark").text_content()
    pages.screenshot(entry, f"{width}-02-entry-saved-with-mark")

    entry.get_by_role("button", name="保存して地域情報課として提出する").click()
    question = entry.locator(".confirm-submit")
    assert question.locator("h2").text_content() == (
        "地域情報課の 26 指標のうち 25 指標の実績が空欄です。空欄のまま提出しますか"
    )
    assert question.locator(".blank-list li").count() == 25
    assert KPI not in question.text_content()
    pages.screenshot(entry, f"{width}-03-submit-names-the-blank-kpis")
    question.get_by_role("button", name="空欄のまま提出する").click()
    assert "地域情報課の令和7年度 (2025)の実績を提出しました" in entry.locator(".messagelist").text_content()
    assert entry.locator(f"#actual-{value.indicator_id}").text_content() == "２３施設"  # text, not an input
    assert entry.locator("input[name^='actual-']").count() == 0
    assert "推進本部の確認待ちです" in entry.locator(".entry-state").text_content()
    pages.screenshot(entry, f"{width}-04-submitted-read-only")

    board = pages.open(f"{reverse('admin:kpis_board')}?plan={plan.pk}&fy={FY}", user=hq, viewport=viewport)
    line = board.locator(f"#department-{department.pk}")
    assert line.locator(".status").text_content().strip() == "提出済み"
    assert line.locator(".entered").text_content() == "1"
    pages.screenshot(board, f"{width}-05-board-submitted")
    line.get_by_role("button", name="承認").click()
    assert "地域情報課の報告を承認しました" in board.locator(".messagelist").text_content()
    board.get_by_role("button", name="この年度を公表する").click()
    confirmation = board.locator(".confirm-publish")
    assert "報告を提出していない担当課が 21 課あります:" in confirmation.text_content()
    missing = confirmation.locator(".unsubmitted li").all_text_contents()
    assert len(missing) == 21 and "総務課" in missing and "地域情報課" not in missing
    assert "実績が空欄の指標が 84 件あります:" in confirmation.text_content()
    assert PlanYear.objects.filter(plan=plan, fiscal_year=FY, status="published").count() == 0
    pages.screenshot(board, f"{width}-06-publish-names-missing-departments")
    confirmation.get_by_role("button", name="このまま公表する").click()
    assert "令和7年度 (2025)を公表しました" in board.locator(".messagelist").text_content()
    assert board.locator("#year-status").text_content() == "公表済み"
    pages.screenshot(board, f"{width}-07-board-published")
    assert PlanYear.objects.get(plan=plan, fiscal_year=FY).status == "published"

    public = pages.open(public_path, viewport=viewport)
    assert "23施設" in public.content()
    pages.screenshot(public, f"{width}-08-public-measure-page")
    summary = pages.open(f"/{plan.municipality.slug}/{plan.slug}/summary/{FY}/", viewport=viewport)
    assert summary.locator("#unreported-notice").text_content() == (
        "21 課の報告が未提出のまま公表されました。報告が届きしだい反映します。"
    )
    pages.screenshot(summary, f"{width}-09-public-summary-says-reports-missing")
    assert no_sideways_scroll(summary)
    assert pages.console_errors(public) == [] and pages.console_errors(entry) == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_clerk_confirms_a_plausibility_warning_and_hq_sees_it(seed_plans, pages, width):
    viewport = WIDTHS[width]
    plan = seed_plans["noshiro"]
    _, staff, hq = people(plan)
    cumulative = IndicatorValue.objects.get(indicator__plan=plan, indicator__name=KPI, fiscal_year=FY)
    count = IndicatorValue.objects.get(indicator__plan=plan, indicator__name=COUNT_KPI, fiscal_year=FY)

    entry = pages.open(f"{reverse('admin:kpis_entry')}?plan={plan.pk}&fy={FY}", user=staff, viewport=viewport)
    entry.get_by_label(KPI, exact=True).fill("2")  # a running total below last year's １６施設
    entry.get_by_label(COUNT_KPI, exact=True).fill("3")
    entry.get_by_role("button", name="保存", exact=True).click()
    assert "1件の値に確認が必要です" in entry.locator(".messagelist").text_content()
    warning = entry.locator(f"#warning-{cumulative.indicator_id}")
    assert warning.locator("p").text_content() == (
        "確認してください: 累計の指標が前年度の実績「１６施設」より小さくなっています"
    )
    assert IndicatorValue.objects.get(pk=cumulative.pk).actual_text == ""  # nothing saved yet
    assert IndicatorValue.objects.get(pk=count.pk).actual_text == ""
    pages.screenshot(entry, f"{width}-01-warning-asks-before-saving")
    assert entry.get_by_label(COUNT_KPI, exact=True).input_value() == "3"  # what was typed stays

    warning.get_by_label("この値で正しい").check()
    entry.get_by_role("button", name="確認して保存").click()
    assert "保存しました（新規 0 件、変更 2 件" in entry.locator(".messagelist").text_content()
    saved = IndicatorValue.objects.get(pk=cumulative.pk)
    assert (saved.actual_text, saved.confirmed_warning) == (
        "2",
        "累計の指標が前年度の実績「１６施設」より小さくなっています",
    )
    assert "確認済み: 累計の指標が" in entry.locator(f"#kpi-{cumulative.indicator_id}").text_content()
    pages.screenshot(entry, f"{width}-02-confirmed-and-saved")

    board = pages.open(f"{reverse('admin:kpis_board')}?plan={plan.pk}&fy={FY}", user=hq, viewport=viewport)
    confirmed = board.locator(f"#confirmed-{cumulative.pk}")
    assert KPI in confirmed.text_content() and "１６施設" in confirmed.text_content()
    pages.screenshot(board, f"{width}-03-board-lists-confirmed-warnings")
    assert pages.console_errors(entry) == [] and pages.console_errors(board) == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_return_reason_waits_on_the_clerks_home_page(seed_plans, pages, width):
    viewport = WIDTHS[width]
    plan = seed_plans["noshiro"]
    department, staff, hq = people(plan)
    report = workflow.submit(staff, plan, FY, department)
    workflow.return_(hq, report, "公衆無線ＬＡＮの整備施設数が前年度より減っています。累計の値を確認してください")

    home = pages.open(reverse("admin:index"), user=staff, viewport=viewport)
    task = home.locator("#staff-tasks li.returned")
    assert task.locator(".return-reason").text_content() == (
        "差戻しの理由: 公衆無線ＬＡＮの整備施設数が前年度より減っています。累計の値を確認してください"
    )
    assert no_sideways_scroll(home)
    pages.screenshot(home, f"{width}-01-home-page-with-the-return-reason")
    task.get_by_role("link").click()
    assert "差戻しの理由: 公衆無線ＬＡＮの整備施設数" in home.locator(".entry-state").text_content()
    assert home.get_by_role("button", name="保存して地域情報課として提出する").is_visible()
    pages.screenshot(home, f"{width}-02-entry-screen-returned")
