"""Publishing warns and the public page tells the truth (issue 20): the board names the departments that
have not submitted and the KPIs still empty before publishing; a year published without some reports
says so on its public summary until they arrive (late reports); 公表の取消 takes a mistaken publication
back before the lock, audited, with the public pages and static files following."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kpis import workflow
from kpis.entry import ActualEntry, save_entries, validate_entries
from kpis.models import PlanYear
from plans.models import Department
from plans.publication import pending_requests, remove_requests
from tests.personas import kpi

pytestmark = pytest.mark.django_db

FY = 2025  # the open year of the roles plan: 企画部 (要望書の提出件数) and 地域情報課 (two KPIs) report


def dept(name):
    return Department.objects.get(municipality__code="052027", name=name)


def board_url(plan):
    return f"{reverse('admin:kpis_board')}?plan={plan.pk}&fy={FY}"


def summary_url(plan):
    return reverse("plan-summary", kwargs={"municipality": "noshiro", "plan": plan.slug, "fy": FY})


def kikaku_reports(plan, staff_b, hq_x, text="３件"):
    save_entries(staff_b, plan, FY, [ActualEntry(kpi(plan, "要望書の提出件数").pk, FY, text)])
    workflow.approve(hq_x, workflow.submit(staff_b, plan, FY, dept("企画部")))


def test_gaps_name_the_departments_that_have_not_submitted_and_the_blank_kpis(roles_plan, staff_b, hq_x):
    kikaku_reports(roles_plan, staff_b, hq_x)
    gaps = workflow.publication_gaps(roles_plan, FY)
    assert [d.name for d in gaps.unsubmitted] == ["地域情報課"]
    assert [(r.department.name, [i.name for i in r.missing]) for r in gaps.blank] == [
        ("地域情報課", ["出張申請窓口の開催回数", "手法の検討"])
    ]
    assert gaps.blank_count == 2


def test_the_board_asks_before_publishing_naming_the_gaps(client, roles_plan, staff_b, hq_x):
    kikaku_reports(roles_plan, staff_b, hq_x)
    client.force_login(hq_x)
    response = client.post(board_url(roles_plan), {"action": "publish"})
    assert response["Location"] == board_url(roles_plan) + "&confirm=publish"
    assert workflow.year_status(roles_plan, FY) == "open"
    page = client.get(response["Location"]).content.decode()
    assert "報告を提出していない担当課が 1 課あります:" in page
    assert '<ul class="unsubmitted"><li>地域情報課</li></ul>' in page
    assert "実績が空欄の指標が 2 件あります:" in page
    assert "<li>地域情報課: 1-(1)-① 出張申請窓口の開催回数、1-(1)-① 手法の検討</li>" in page
    assert 'name="action" value="publish" class="button default">このまま公表する</button>' in page
    assert "この年度を公表する" not in page  # one publish button: the confirmation's

    client.post(board_url(roles_plan), {"action": "publish", "confirmed": "1"})
    year = PlanYear.objects.get(plan=roles_plan, fiscal_year=FY)
    assert year.status == "published"
    assert [d.name for d in year.unreported_at_publication.all()] == ["地域情報課"]
    assert year.history.first().history_change_reason == "年度の手続: 公表（報告のない担当課: 地域情報課）"


def test_nothing_missing_publishes_at_once(client, roles_plan, staff_a, staff_b, hq_x):
    kikaku_reports(roles_plan, staff_b, hq_x)
    entries = [
        ActualEntry(kpi(roles_plan, "出張申請窓口の開催回数").pk, FY, "2"),
        ActualEntry(kpi(roles_plan, "手法の検討").pk, FY, "検討した"),
    ]
    save_entries(staff_a, roles_plan, FY, entries)
    workflow.approve(hq_x, workflow.submit(staff_a, roles_plan, FY, dept("地域情報課")))
    client.force_login(hq_x)
    assert client.post(board_url(roles_plan), {"action": "publish"})["Location"] == board_url(roles_plan)
    assert workflow.year_status(roles_plan, FY) == "published"
    assert not PlanYear.objects.get(plan=roles_plan, fiscal_year=FY).unreported_at_publication.exists()


def test_the_public_summary_says_so_until_the_late_report_arrives(
    client, roles_plan, staff_a, staff_b, hq_x, django_capture_on_commit_callbacks
):
    kikaku_reports(roles_plan, staff_b, hq_x)
    workflow.publish_year(hq_x, roles_plan, FY)
    notice = '<p class="notice" id="unreported-notice">1 課の報告が未提出のまま公表されました。報告が届きしだい反映します。</p>'
    assert notice in client.get(summary_url(roles_plan)).content.decode()

    # 地域情報課 may still enter and submit; a department that reported in time may not change anything.
    late = ActualEntry(kpi(roles_plan, "出張申請窓口の開催回数").pk, FY, "2")
    assert validate_entries(staff_a, roles_plan, FY, [late]) == []
    [refused] = validate_entries(
        staff_b, roles_plan, FY, [ActualEntry(kpi(roles_plan, "要望書の提出件数").pk, FY, "4")]
    )
    assert refused.message == "令和7年度 (2025)は公表済みのため、変更は推進本部に依頼してください"
    save_entries(staff_a, roles_plan, FY, [late])
    with django_capture_on_commit_callbacks(execute=True):  # the cached summary goes stale
        report = workflow.submit(staff_a, roles_plan, FY, dept("地域情報課"))
    assert report.history.first().history_change_reason == "年度の手続: 公表後の提出"
    assert "unreported-notice" not in client.get(summary_url(roles_plan)).content.decode()
    assert workflow.approve(hq_x, report).status == "approved"  # HQ still reviews a late report
    with pytest.raises(workflow.WorkflowError, match="公表済みのため差戻しできません"):
        workflow.return_(hq_x, report, "根拠を添付")


def test_unpublish_takes_a_mistaken_publication_back_before_the_lock(
    client, roles_plan, staff_b, hq_x, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.STATIC_PUBLISH_ROOT = str(tmp_path)
    kikaku_reports(roles_plan, staff_b, hq_x, text="４件")
    workflow.publish_year(hq_x, roles_plan, FY)
    assert "まだ公表されていません" not in client.get(summary_url(roles_plan)).content.decode()  # cached now
    remove_requests(done=pending_requests())
    with pytest.raises(PermissionDenied, match="年度の公表を取り消す権限がありません（推進本部のみ）"):
        workflow.unpublish_year(staff_b, roles_plan, FY, "誤り")
    with pytest.raises(workflow.WorkflowError, match="公表を取り消す理由を入力してください"):
        workflow.unpublish_year(hq_x, roles_plan, FY, " ")
    with django_capture_on_commit_callbacks(execute=True):
        year = workflow.unpublish_year(hq_x, roles_plan, FY, "企画部の集計誤り")
    assert (year.status, year.published_at, year.published_by) == ("open", None, None)
    assert not year.unreported_at_publication.exists()
    assert year.history.first().history_change_reason == "年度の手続: 公表の取消: 企画部の集計誤り"
    assert list(pending_requests()) == [roles_plan.municipality_id]  # the static files follow
    page = client.get(summary_url(roles_plan)).content.decode()
    assert "この年度の実績と評価はまだ公表されていません" in page and "unreported-notice" not in page

    workflow.publish_year(hq_x, roles_plan, FY)
    workflow.lock_year(hq_x, roles_plan, FY)
    with pytest.raises(workflow.WorkflowError, match="取り消せるのは確定前の公表済みの年度"):
        workflow.unpublish_year(hq_x, roles_plan, FY, "誤り")


def test_the_board_unpublishes_with_a_reason(client, roles_plan, staff_b, hq_x):
    kikaku_reports(roles_plan, staff_b, hq_x)
    workflow.publish_year(hq_x, roles_plan, FY)
    client.force_login(hq_x)
    page = client.get(board_url(roles_plan)).content.decode()
    assert "<summary>公表の取消（誤って公表したとき）</summary>" in page
    assert "1 課の報告が未提出のまま公表しています" in page
    response = client.post(board_url(roles_plan), {"action": "unpublish", "reason": ""}, follow=True)
    assert "公表を取り消す理由を入力してください" in response.content.decode()
    response = client.post(board_url(roles_plan), {"action": "unpublish", "reason": "年度の誤り"}, follow=True)
    assert "令和7年度 (2025)の公表を取り消しました（受付中に戻りました）" in response.content.decode()
    assert workflow.year_status(roles_plan, FY) == "open"
