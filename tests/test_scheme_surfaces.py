"""A plan with its own legend (the synthetic A–D plan of tests/test_evaluation_plan.py) on every surface that
shows or takes a mark: its symbols on the pages and in the CSV, its codes in the public filter and in the
admin's mark dropdowns (validated there), nothing of the four default codes."""

import copy

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from dxportal.staff.admin.kpis import ValueInline
from kpis.interchange.importer import import_plan
from kpis.models import Indicator, IndicatorValue
from kpis.services import recompute_plan_marks
from measures.models import MeasureMark
from tests.test_evaluation_plan import A_TO_D, TEST_PLAN
from tests.test_portal_pages import csv_rows, get
from tests.test_public_pages import url

pytestmark = pytest.mark.django_db

A_TO_D_CHOICES = [
    ("", "---------"),
    ("a", "A 目標より進んでいる"),
    ("b", "B 目標どおり"),
    ("c", "C 目標より遅れている"),
    ("d", "D 評価できない"),
]


@pytest.fixture
def plan():
    document = copy.deepcopy(TEST_PLAN)
    document["plan"]["published_years"] = [2023, 2024, 2025]
    return import_plan(document).plan


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.jp", "a-long-password-for-tests"))
    return client


def value_of(plan, name, fy):
    return IndicatorValue.objects.get(indicator__plan=plan, indicator__name=name, fiscal_year=fy)


def test_the_measure_page_shows_the_schemes_symbols(client, plan):
    body = get(client, url("measure", plan, key="1-1"))[1]
    table = body[body.index("オンライン申請件数") : body.index("</table>", body.index("オンライン申請件数"))]
    row = table[table.index("評価</th>") :]
    assert (
        row.count('<span class="mark mark-b"><span aria-hidden="true">B</span> <span class="mark-label">目標どおり')
        == 1
    )
    assert '<span class="mark mark-a"><span aria-hidden="true">A</span>' in row
    assert '<span class="mark mark-d"><span aria-hidden="true">D</span>' in row


def test_the_measure_page_of_a_per_kpi_plan_explains_each_kpi_mark(client, plan):
    body = get(client, url("measure", plan, key="1-1"))[1]
    assert "年度ごとの目標達成度" not in body  # measures carry no marks of their own
    online = body[body.index('-caption">オンライン申請件数') :]
    explained = online[online.index('<ul class="kpi-marks">') : online.index("</ul>")]
    years = [item.split(" <span")[0] for item in explained.split("<li>")[1:]]
    assert years == ["令和5年度 (2023)", "令和6年度 (2024)", "令和7年度 (2025)"]
    assert '<li>令和5年度 (2023) <span class="mark mark-b"><span aria-hidden="true">B</span>' in explained
    assert "95件" in explained.split("<li>")[1]


def test_the_csv_gives_the_schemes_codes_and_symbols(client, plan):
    rows = csv_rows(get(client, url("plan-csv", plan))[1])
    online = {int(r[18]): r[24:28] for r in rows[1:] if r[12] == "オンライン申請件数"}
    assert online[2023] == ["b", "B", "", ""]
    assert online[2024] == ["a", "A", "", ""]
    assert online[2025] == ["d", "D", "", ""]


def test_the_plan_page_filters_by_a_kpi_mark_of_the_scheme(client, plan):
    body = get(client, url("plan", plan), mark="b", fy="2023")[1]
    assert '<option value="b" selected>B 目標どおり</option>' in body
    listed = {key for key in ("1-1", "1-2", "2-1") if f"/measures/{key}/" in body}
    assert listed == {"1-1", "2-1"}  # オンライン申請件数 and the manual were B in 2023; 1-2 was A
    everything = get(client, url("plan", plan), mark="exceeded", fy="2023")[1]  # not a code of this plan
    assert {key for key in ("1-1", "1-2", "2-1") if f"/measures/{key}/" in everything} == {"1-1", "1-2", "2-1"}


def test_the_admin_offers_the_plans_codes_for_a_kpi_override(superuser_client, plan):
    value = value_of(plan, "オンライン申請件数", 2023)
    page = superuser_client.get(reverse("admin:kpis_indicatorvalue_change", args=[value.pk]))
    choices = page.context["adminform"].form.fields["override"].choices
    assert choices == A_TO_D_CHOICES


def post_override(client, value, override, reason):
    data = {
        "indicator": value.indicator_id,
        "fiscal_year": value.fiscal_year,
        "target_text": value.target_text,
        "target_value": str(value.target_value or ""),
        "actual_text": value.actual_text,
        "actual_value": str(value.actual_value or ""),
        "achievement_text": "",
        "note": "",
        "evidence_url": "",
        "override": override,
        "override_reason": reason,
    }
    return client.post(reverse("admin:kpis_indicatorvalue_change", args=[value.pk]), data)


def test_staff_can_set_an_a_to_d_override_and_a_default_code_is_refused(superuser_client, plan):
    value = value_of(plan, "オンライン申請件数", 2023)
    response = post_override(superuser_client, value, "exceeded", "公表資料では上回った")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["override"]
    assert errors == ["正しく選択してください。 exceeded は候補にありません。"]
    response = post_override(superuser_client, value, "c", "公表資料では C")
    assert response.status_code == 302, response.content.decode()[:2000]
    value.refresh_from_db()
    assert (value.computed, value.override, value.mark, value.override_reason) == ("b", "c", "c", "公表資料では C")


def test_the_value_inline_of_a_kpi_offers_the_plans_codes(plan):
    indicator = Indicator.objects.get(plan=plan, name="オンライン申請件数")
    request = RequestFactory().get("/")
    request.user = User.objects.create_superuser("root2", "root2@example.jp", "a-long-password-for-tests")
    formset = ValueInline(Indicator, admin.site).get_formset(request, indicator)(instance=indicator)
    assert formset.forms[0].fields["override"].choices == A_TO_D_CHOICES
    assert formset.empty_form.fields["override"].choices == A_TO_D_CHOICES


def test_a_measure_mark_override_takes_the_codes_of_a_per_measure_scheme(superuser_client, mini_plan):
    mini_plan.evaluation = {**A_TO_D, "unit": "measure", "combine": "worst"}
    mini_plan.save(update_fields=["evaluation"])
    recompute_plan_marks(mini_plan)
    mark = MeasureMark.objects.get(measure__plan=mini_plan, measure__key="1-(1)-①", fiscal_year=2023)
    change = reverse("admin:measures_measuremark_change", args=[mark.pk])
    form = superuser_client.get(change).context["adminform"].form
    assert form.fields["override"].choices == A_TO_D_CHOICES
    data = {"measure": mark.measure_id, "fiscal_year": 2023, "override": "not_achieved", "override_reason": "x"}
    response = superuser_client.post(change, data)
    assert response.context["adminform"].form.errors["override"] == [
        "正しく選択してください。 not_achieved は候補にありません。"
    ]
    response = superuser_client.post(change, {**data, "override": "a"})
    assert response.status_code == 302
    mark.refresh_from_db()
    assert (mark.override, mark.mark) == ("a", "a")


def test_an_add_form_checks_the_code_against_the_chosen_measures_plan(superuser_client, mini_plan):
    mark = MeasureMark.objects.get(measure__plan=mini_plan, measure__key="1-(1)-①", fiscal_year=2023)
    response = superuser_client.post(
        reverse("admin:measures_measuremark_add"),
        {"measure": mark.measure_id, "fiscal_year": 2025, "override": "b", "override_reason": "x"},
    )
    assert response.context["adminform"].form.errors["override"] == [
        "「b」はこの計画の評価の記号にありません（使える値: exceeded、achieved、not_achieved、not_applicable）"
    ]
