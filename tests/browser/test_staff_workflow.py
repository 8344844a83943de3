"""A year's reporting in the browser: 地域情報課 enters and submits an actual, HQ approves and publishes it,
and the resident's measure page then shows it. Screenshots of each step go to test-artifacts/."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kpis.models import IndicatorValue, PlanYear
from plans.models import Department, HQMembership, StaffMembership

pytestmark = pytest.mark.browser

FY = 2025  # 令和7年度: the open year of Noshiro's plan (R4–R6 actuals are printed and published)
KPI = "公衆無線ＬＡＮの整備施設数（累計）"  # measure 2-(1)-②, target ２２施設 in R7
MEASURE = "2-(1)-②"


def test_department_enters_and_submits_hq_approves_and_publishes(seed_plans, pages):
    plan = seed_plans["noshiro"]
    department = Department.objects.get(municipality=plan.municipality, name="地域情報課")
    staff = User.objects.create_user("joho-staff", password="a-long-password-for-tests", is_staff=True)
    StaffMembership.objects.create(user=staff, department=department)
    hq = User.objects.create_user("noshiro-hq", password="a-long-password-for-tests", is_staff=True)
    HQMembership.objects.create(user=hq, municipality=plan.municipality)
    public_path = f"/{plan.municipality.slug}/{plan.slug}/measures/{MEASURE}/"
    value = IndicatorValue.objects.get(indicator__plan=plan, indicator__name=KPI, fiscal_year=FY)

    before = pages.open(public_path)
    assert "２３施設" not in before.content()

    entry = pages.open(f"{reverse('admin:kpis_entry')}?plan={plan.pk}&fy={FY}", user=staff)
    entry.get_by_label(KPI, exact=True).fill("２３施設")
    entry.locator(f"input[name='note-{value.indicator_id}']").fill("図書館に1施設追加")
    pages.screenshot(entry, "01-entry-filled")
    entry.get_by_role("button", name="まとめて保存").click()
    assert "保存しました（新規 0 件、変更 1 件" in entry.locator(".messagelist").text_content()
    row = entry.locator(f"#kpi-{value.indicator_id}")
    assert "目標を上回った" in row.locator("td.mark").text_content()
    pages.screenshot(entry, "02-entry-saved-with-mark")
    entry.get_by_role("button", name="地域情報課として提出する").click()
    assert "地域情報課の令和7年度 (2025)の実績を提出しました" in entry.locator(".messagelist").text_content()
    assert entry.locator(f"#actual-{value.indicator_id}").get_attribute("readonly") is not None
    pages.screenshot(entry, "03-submitted")

    board = pages.open(f"{reverse('admin:kpis_board')}?plan={plan.pk}&fy={FY}", user=hq)
    line = board.locator(f"#department-{department.pk}")
    assert line.locator(".status").text_content().strip() == "提出済み"
    assert line.locator(".entered").text_content() == "1"
    pages.screenshot(board, "04-board-submitted")
    line.get_by_role("button", name="承認").click()
    assert "地域情報課の報告を承認しました" in board.locator(".messagelist").text_content()
    board.get_by_role("button", name="この年度を公表する").click()
    assert "令和7年度 (2025)を公表しました" in board.locator(".messagelist").text_content()
    assert board.locator("#year-status").text_content() == "公表済み"
    pages.screenshot(board, "05-board-published")
    assert PlanYear.objects.get(plan=plan, fiscal_year=FY).status == "published"

    public = pages.open(public_path)
    assert "２３施設" in public.content()
    pages.screenshot(public, "06-public-measure-page")
    assert pages.console_errors(public) == []
