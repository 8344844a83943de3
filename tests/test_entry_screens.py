"""The yearly entry screen and HQ's board, through the real admin URLs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import DepartmentReport, IndicatorValue, PlanYear
from measures.models import MeasureMark
from plans.models import Department
from tests.personas import kpi

pytestmark = pytest.mark.django_db

FY = 2025


def entry_url(plan, fy=FY):
    return f"{reverse('admin:kpis_entry')}?plan={plan.pk}&fy={fy}"


def board_url(plan, fy=FY):
    return f"{reverse('admin:kpis_board')}?plan={plan.pk}&fy={fy}"


def test_entry_screen_lists_only_the_users_kpis_with_target_and_last_year(client, roles_plan, staff_a):
    client.force_login(staff_a)
    response = client.get(entry_url(roles_plan, 2024))
    assert response.status_code == 200
    names = [row.indicator.name for row in response.context["rows"]]
    assert names == ["出張申請窓口の開催回数", "手法の検討"]
    first = response.context["rows"][0]
    assert (first.value.target_text, first.previous.actual_text) == ("－", "０回")


def test_entry_screen_saves_all_rows_and_shows_the_mark(client, roles_plan, staff_b):
    client.force_login(staff_b)
    key = kpi(roles_plan, "要望書の提出件数").pk
    response = client.post(
        entry_url(roles_plan), {f"actual-{key}": "３件", f"note-{key}": "県へ提出", f"url-{key}": ""}
    )
    assert response.status_code == 302
    value = IndicatorValue.objects.get(indicator_id=key, fiscal_year=FY)
    assert (value.actual_text, value.actual_value, value.note, value.computed) == ("３件", 3, "県へ提出", "achieved")
    page = client.get(entry_url(roles_plan))
    assert "保存しました（新規 0 件、変更 1 件、変更なし 0 件）" in page.content.decode()
    assert (
        '<td class="mark" data-label="評価"><span title="実績 ３件 が目標 ３件 に達した">→ 目標を達成した</span></td>'
        in page.content.decode()
    )
    assert MeasureMark.objects.get(measure__key="2-(1)-①", fiscal_year=FY).computed == "achieved"


def test_entry_screen_shows_errors_next_to_the_field_and_saves_nothing(client, roles_plan, staff_b):
    client.force_login(staff_b)
    key = kpi(roles_plan, "要望書の提出件数").pk
    response = client.post(entry_url(roles_plan), {f"actual-{key}": "三件"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<p class="errornote" id="error-actual-{key}">数値で入力してください（単位: 件）</p>' in html
    assert "1件の入力に誤りがあります。何も保存していません" in html
    assert IndicatorValue.objects.get(indicator_id=key, fiscal_year=FY).actual_text == ""


def test_department_submits_from_the_entry_screen(client, roles_plan, staff_b):
    client.force_login(staff_b)
    department = Department.objects.get(name="企画部", municipality__code="052027")
    response = client.post(entry_url(roles_plan), {"submit_department": department.pk, "blank_confirmed": "1"})
    assert response.status_code == 302
    assert DepartmentReport.objects.get(department=department).status == "submitted"


def test_board_counts_per_department_and_runs_the_workflow(client, roles_plan, staff_b, hq_x):
    client.force_login(staff_b)
    key = kpi(roles_plan, "要望書の提出件数").pk
    client.post(entry_url(roles_plan), {f"actual-{key}": "3"})
    department = Department.objects.get(name="企画部", municipality__code="052027")
    client.post(entry_url(roles_plan), {"submit_department": department.pk})
    client.force_login(hq_x)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(board_url(roles_plan))
    assert response.status_code == 200 and len(queries) <= 20
    rows = {row.department.name: (row.total, row.entered, row.missing, row.status) for row in response.context["rows"]}
    assert rows == {"企画部": (1, 1, 0, "submitted"), "地域情報課": (2, 0, 2, "open")}
    assert client.post(board_url(roles_plan), {"action": "approve", "department": department.pk}).status_code == 302
    # 地域情報課 has not submitted: the board asks first, then publishes on confirmation
    response = client.post(board_url(roles_plan), {"action": "publish"})
    assert response["Location"] == board_url(roles_plan) + "&confirm=publish"
    assert PlanYear.objects.filter(plan=roles_plan, fiscal_year=FY, status="published").count() == 0
    assert client.post(board_url(roles_plan), {"action": "publish", "confirmed": "1"}).status_code == 302
    assert PlanYear.objects.get(plan=roles_plan, fiscal_year=FY).status == "published"
    client.post(board_url(roles_plan), {"action": "lock"})
    assert PlanYear.objects.get(plan=roles_plan, fiscal_year=FY).status == "locked"


def test_board_return_needs_a_comment(client, roles_plan, staff_b, hq_x):
    department = Department.objects.get(name="企画部", municipality__code="052027")
    client.force_login(staff_b)
    client.post(entry_url(roles_plan), {"submit_department": department.pk, "blank_confirmed": "1"})
    client.force_login(hq_x)
    response = client.post(board_url(roles_plan), {"action": "return", "department": department.pk}, follow=True)
    assert "差戻しの理由を入力してください" in response.content.decode()
    client.post(board_url(roles_plan), {"action": "return", "department": department.pk, "comment": "根拠を添付"})
    assert DepartmentReport.objects.get(department=department).comment == "根拠を添付"


def test_entry_screen_queries_do_not_depend_on_the_number_of_kpis(client, noshiro, roles_plan, hq_x):
    client.force_login(hq_x)
    counts = []
    for plan in (roles_plan, noshiro):  # 4 KPIs against Noshiro's 85
        with CaptureQueriesContext(connection) as queries:
            response = client.get(entry_url(plan))
        assert response.status_code == 200
        counts.append(len(queries))
    assert len(response.context["rows"]) > 80
    assert counts[0] == counts[1], counts
