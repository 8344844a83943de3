"""Entering actuals and the yearly workflow: submit → approve / return → publish → lock → correction."""

import pytest
from django.core.exceptions import PermissionDenied

from kpis import visibility, workflow
from kpis.entry import ActualEntry, EntryError, EntryValidationError, save_entries, validate_entries
from kpis.models import DepartmentReport, IndicatorValue, PlanYear
from measures.models import MeasureDepartment, MeasureMark
from plans.models import Department
from tests.personas import kpi

pytestmark = pytest.mark.django_db

FY = 2025  # the open year of the roles plan (2022–2024 carry printed actuals and are published)


def dept(name):
    return Department.objects.get(municipality__code="052027", name=name)


def entry(plan, name, text, **extra):
    return ActualEntry(indicator_id=kpi(plan, name).pk, fiscal_year=FY, actual_text=text, **extra)


def test_import_publishes_the_years_the_document_lists_and_leaves_the_rest_open(roles_plan):
    years = dict(PlanYear.objects.filter(plan=roles_plan).values_list("fiscal_year", "status"))
    assert years == {2022: "published", 2023: "published", 2024: "published"}
    assert workflow.year_status(roles_plan, FY) == "open"


def test_staff_enter_actuals_and_the_mark_is_computed(roles_plan, staff_b):
    result = save_entries(staff_b, roles_plan, FY, [entry(roles_plan, "要望書の提出件数", "４件", note="2件追加")])
    assert (result.created, result.changed, result.unchanged) == (0, 1, 0)  # the target row exists
    value = IndicatorValue.objects.get(indicator__name="要望書の提出件数", fiscal_year=FY)
    assert (value.actual_text, value.actual_value, value.note) == ("４件", 4, "2件追加")
    assert (value.computed, value.explanation) == ("exceeded", "実績 ４件 が目標 ３件 を上回った")
    mark = MeasureMark.objects.get(measure__key="2-(1)-①", fiscal_year=FY)
    assert mark.computed == "exceeded"
    again = save_entries(staff_b, roles_plan, FY, [entry(roles_plan, "要望書の提出件数", "４件", note="2件追加")])
    assert (again.created, again.changed, again.unchanged) == (0, 0, 1)


def test_validation_names_every_problem_and_nothing_is_written(roles_plan, other_plan, staff_a):
    entries = [
        entry(roles_plan, "出張申請窓口の開催回数", "十二回"),
        entry(roles_plan, "要望書の提出件数", "3"),  # department B's KPI
        ActualEntry(indicator_id=999999, fiscal_year=FY, actual_text="1"),
        ActualEntry(indicator_id=kpi(other_plan, "出張申請窓口の開催回数").pk, fiscal_year=FY, actual_text="1"),
        entry(roles_plan, "手法の検討", '=HYPERLINK("x")'),
        entry(roles_plan, "出張申請窓口の開催回数", "12"),
        ActualEntry(indicator_id=kpi(roles_plan, "手法の検討").pk, fiscal_year=2024, actual_text="x"),
    ]
    errors = validate_entries(staff_a, roles_plan, FY, entries)
    assert [(e.index, e.field, e.message) for e in errors] == [
        (0, "actual_text", "数値で入力してください（単位: 回/年）"),
        (1, "indicator_id", "指標「要望書の提出件数」を更新する権限がありません（担当課の指標のみ）"),
        (2, "indicator_id", "指標が見つかりません（指標IDを確認してください）"),
        (3, "indicator_id", "指標「出張申請窓口の開催回数」はこの計画の指標ではありません"),
        (4, "actual_text", "「=」「+」「-」「@」で始まる値は数式とみなされるため入力できません"),
        (5, "indicator_id", "指標「出張申請窓口の開催回数」が重複しています（1行にまとめてください）"),
        (6, "indicator_id", "指標「手法の検討」が重複しています（1行にまとめてください）"),
    ]
    with pytest.raises(EntryValidationError):
        save_entries(staff_a, roles_plan, FY, entries)
    assert (
        not IndicatorValue.objects.filter(fiscal_year=FY, indicator__plan=roles_plan).exclude(actual_text="").exists()
    )


def test_wrong_year_and_numbers_with_units(roles_plan, staff_a):
    wrong_year = ActualEntry(
        indicator_id=kpi(roles_plan, "出張申請窓口の開催回数").pk, fiscal_year=2024, actual_text="1"
    )
    assert validate_entries(staff_a, roles_plan, FY, [wrong_year]) == [
        EntryError(0, "fiscal_year", "2024", "令和7年度 (2025)の実績を入力してください")
    ]
    for text in ("１２回", "12", "1,200", "－", ""):
        assert validate_entries(staff_a, roles_plan, FY, [entry(roles_plan, "出張申請窓口の開催回数", text)]) == []
    outside = validate_entries(staff_a, roles_plan, 2030, [ActualEntry(kpi(roles_plan, "手法の検討").pk, 2030, "x")])
    assert [e.message for e in outside] == ["計画期間（令和5年度 (2023)〜令和7年度 (2025)）の年度を入力してください"]


def test_full_cycle_submit_approve_publish_lock_correct(roles_plan, staff_b, hq_x):
    save_entries(staff_b, roles_plan, FY, [entry(roles_plan, "要望書の提出件数", "2")])
    value = IndicatorValue.objects.get(indicator__name="要望書の提出件数", fiscal_year=FY)
    public = IndicatorValue.objects.with_publication().get(pk=value.pk)
    assert public.actual_public is False
    assert not visibility.public_marks().filter(fiscal_year=FY).exists()

    report = workflow.submit(staff_b, roles_plan, FY, dept("企画部"))
    assert report.status == "submitted" and report.submitted_by == staff_b
    errors = validate_entries(staff_b, roles_plan, FY, [entry(roles_plan, "要望書の提出件数", "3")])
    assert [e.message for e in errors] == ["担当課の報告が提出済みのため変更できません（差戻し後に修正できます）"]

    workflow.approve(hq_x, report)
    workflow.publish_year(hq_x, roles_plan, FY)
    assert IndicatorValue.objects.with_publication().get(pk=value.pk).actual_public is True
    assert visibility.public_marks().filter(fiscal_year=FY, measure__key="2-(1)-①").exists()

    workflow.lock_year(hq_x, roles_plan, FY)
    errors = validate_entries(hq_x, roles_plan, FY, [entry(roles_plan, "要望書の提出件数", "3")])
    assert [e.message for e in errors] == [
        "令和7年度 (2025)は確定（ロック）済みのため変更できません（訂正は推進本部が理由を付けて行います）"
    ]
    with pytest.raises(workflow.WorkflowError, match="訂正の理由を入力してください"):
        workflow.correct_locked_value(hq_x, value, "3", "")
    with pytest.raises(PermissionDenied):
        workflow.correct_locked_value(staff_b, value, "3", "集計誤り")
    workflow.correct_locked_value(hq_x, value, "３件", "集計誤り")
    corrected = IndicatorValue.objects.get(pk=value.pk)
    assert (corrected.actual_text, corrected.actual_value, corrected.computed) == ("３件", 3, "achieved")


def test_return_with_comment_reopens_entry(roles_plan, staff_b, hq_x):
    report = workflow.submit(staff_b, roles_plan, FY, dept("企画部"))
    with pytest.raises(workflow.WorkflowError, match="差戻しの理由を入力してください"):
        workflow.return_(hq_x, report, " ")
    report = workflow.return_(hq_x, report, "実績の根拠資料を添付してください")
    assert (report.status, report.comment) == ("returned", "実績の根拠資料を添付してください")
    assert validate_entries(staff_b, roles_plan, FY, [entry(roles_plan, "要望書の提出件数", "3")]) == []
    with pytest.raises(
        workflow.WorkflowError, match="確認が終わっていない担当課があるため公表できません: 企画部（差戻し）"
    ):
        workflow.publish_year(hq_x, roles_plan, FY)
    assert workflow.submit(staff_b, roles_plan, FY, dept("企画部")).status == "submitted"


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "hq_y"])
def test_only_hq_of_the_municipality_reviews_publishes_and_locks(request, roles_plan, staff_b, persona):
    user = request.getfixturevalue(persona)
    report = workflow.submit(staff_b, roles_plan, FY, dept("企画部"))
    with pytest.raises(PermissionDenied, match="推進本部のみ"):
        workflow.approve(user, report)
    with pytest.raises(PermissionDenied, match="推進本部のみ"):
        workflow.return_(user, report, "x")
    with pytest.raises(PermissionDenied, match="年度を公表する権限がありません（推進本部のみ）"):
        workflow.publish_year(user, roles_plan, 2025)
    with pytest.raises(PermissionDenied, match="年度を確定（ロック）する権限がありません（推進本部のみ）"):
        workflow.lock_year(user, roles_plan, 2024)


def test_forbidden_transitions(roles_plan, staff_a, staff_b, hq_x):
    with pytest.raises(PermissionDenied, match="企画部の報告を提出する権限がありません"):
        workflow.submit(staff_a, roles_plan, FY, dept("企画部"))
    report = workflow.submit(staff_b, roles_plan, FY, dept("企画部"))
    with pytest.raises(workflow.WorkflowError, match="企画部の報告は提出済みです"):
        workflow.submit(staff_b, roles_plan, FY, dept("企画部"))
    with pytest.raises(workflow.WorkflowError, match="公表済みの年度"):
        workflow.lock_year(hq_x, roles_plan, FY)  # still open
    with pytest.raises(
        workflow.WorkflowError, match="確認が終わっていない担当課があるため公表できません: 企画部（提出済み）"
    ):
        workflow.publish_year(hq_x, roles_plan, FY)
    workflow.approve(hq_x, report)
    with pytest.raises(workflow.WorkflowError, match="承認済みのため承認できません"):
        workflow.approve(hq_x, report)
    workflow.publish_year(hq_x, roles_plan, FY)
    with pytest.raises(workflow.WorkflowError, match="令和7年度 \\(2025\\)は既に公表済みです"):
        workflow.publish_year(hq_x, roles_plan, FY)
    with pytest.raises(workflow.WorkflowError, match="公表済みのため提出できません"):
        workflow.submit(staff_b, roles_plan, FY, dept("企画部"))  # it reported before: no second report
    # 地域情報課 had not submitted when the year was published: its report may still come, late
    assert workflow.submit(staff_a, roles_plan, FY, dept("地域情報課")).status == "submitted"
    value = IndicatorValue.objects.get(indicator__name="要望書の提出件数", fiscal_year=2024)
    with pytest.raises(workflow.WorkflowError, match="確定（ロック）されていません"):
        workflow.correct_locked_value(hq_x, value, "1", "誤り")
    assert DepartmentReport.objects.get(department__name="企画部").status == "approved"


def test_staff_cannot_change_a_published_year(roles_plan, staff_a):
    errors = validate_entries(
        staff_a, roles_plan, 2024, [ActualEntry(kpi(roles_plan, "手法の検討").pk, 2024, "検討した")]
    )
    assert [e.message for e in errors] == ["令和6年度 (2024)は公表済みのため、変更は推進本部に依頼してください"]


def test_reminders_list_each_departments_missing_kpis(roles_plan, staff_b, mailoutbox):
    from django.core.management import call_command

    Department.objects.filter(name="企画部").update(email="kikaku@example.jp")
    Department.objects.filter(name="地域情報課").update(email="joho@example.jp")
    save_entries(staff_b, roles_plan, FY, [entry(roles_plan, "要望書の提出件数", "3")])
    call_command("send_kpi_reminders", "--plan", "noshiro/mini", "--fy", str(FY))
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["joho@example.jp"], "【テスト計画】令和7年度 (2025)の実績が未入力の指標（2件）")
    ]
    body = mailoutbox[0].body
    assert "- 1-(1)-① マイナンバーカードの普及促進: 出張申請窓口の開催回数（単位: 回/年）" in body
    assert "- 1-(1)-① マイナンバーカードの普及促進: 手法の検討" in body
    assert f"/manage/kpis/planyear/entry/?plan={roles_plan.pk}&fy={FY}" in body


def test_reminders_report_departments_without_an_address(roles_plan, mailoutbox, capsys):
    from django.core.management import call_command

    call_command("send_kpi_reminders", "--plan", "noshiro/mini")
    assert mailoutbox == []
    err = capsys.readouterr().err
    assert "noshiro/mini 令和7年度 (2025): 企画部 has no e-mail address; 1 KPIs missing" in err
    assert "noshiro/mini 令和7年度 (2025): 地域情報課 has no e-mail address; 2 KPIs missing" in err


def test_plan_import_cannot_change_a_locked_year(roles_plan, mini_document, hq_x):
    from kpis.interchange.importer import import_plan
    from kpis.interchange.validation import PlanDocumentError
    from tests.personas import roles_document

    workflow.lock_year(hq_x, roles_plan, 2024)
    document = roles_document(mini_document)
    import_plan(document)  # the same document again: nothing changes, the lock stays
    assert workflow.year_status(roles_plan, 2024) == "locked"
    document["categories"][0]["indicators"][0]["values"][1]["actual"] = {"text": "81.0％", "value": 81.0}
    with pytest.raises(PlanDocumentError) as error:
        import_plan(document)
    assert error.value.errors[1:] == [
        ("分類 1 / マイナンバーカードの交付率 / 令和6年度 (2024)", "実績: 「80.6％」 → 「81.0％」"),
        ("分類 1 / マイナンバーカードの交付率 / 令和6年度 (2024)", "実績値: 「80.6」 → 「81」"),
    ]
    assert (
        IndicatorValue.objects.get(indicator__name="マイナンバーカードの交付率", fiscal_year=2024).actual_text
        == "80.6％"
    )


def test_long_reasons_are_kept_whole_in_the_history(roles_plan, staff_b, hq_x):
    """A history reason was a varchar(100): on PostgreSQL a year published with many departments unreported
    (Noshiro: 21) or a long return comment was a 500. Every reason is kept whole now."""
    measure = kpi(roles_plan, "要望書の提出件数").measure
    for number in range(12):
        department = Department.objects.create(
            municipality=roles_plan.municipality, name=f"長い名前の担当課その{number:02d}"
        )
        MeasureDepartment.objects.create(measure=measure, department=department, position=number + 1)
    report = workflow.submit(staff_b, roles_plan, FY, dept("企画部"))
    comment = "根拠資料の添付がありません。" * 10
    workflow.return_(hq_x, report, comment)
    assert report.history.latest().history_change_reason == f"年度の手続: 差戻し: {comment}"
    workflow.submit(staff_b, roles_plan, FY, dept("企画部"))
    workflow.approve(hq_x, DepartmentReport.objects.get(plan_year__plan=roles_plan, plan_year__fiscal_year=FY))
    year = workflow.publish_year(hq_x, roles_plan, FY)
    reason = year.history.latest().history_change_reason
    assert len(reason) > 100 and reason.startswith("年度の手続: 公表（報告のない担当課: ")
