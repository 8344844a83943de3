"""A locked year holds on every admin path: no deletion, no target or mark edited inline, no result
recomputed behind it; it changes only through HQ's correction page (訂正, reason required, shown publicly)."""

import pytest
from django.urls import reverse

from kpis import workflow
from kpis.models import IndicatorValue, PlanYear
from measures.models import Measure, MeasureMark
from tests.forms import form_of, last_form
from tests.personas import kpi

pytestmark = pytest.mark.django_db


def lock(plan, fiscal_year, hq):
    """Publish (unless the import already did) and lock a year through the workflow."""
    if workflow.year_status(plan, fiscal_year) == PlanYear.Status.OPEN:
        workflow.publish_year(hq, plan, fiscal_year)
    workflow.lock_year(hq, plan, fiscal_year)


def value_of(plan, name, fiscal_year):
    return IndicatorValue.objects.get(indicator=kpi(plan, name), fiscal_year=fiscal_year)


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


# Deleting a locked value


def test_hq_cannot_delete_a_value_of_a_locked_year(client, roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    locked, other = (
        value_of(roles_plan, "出張申請窓口の開催回数", 2023),
        value_of(roles_plan, "出張申請窓口の開催回数", 2024),
    )
    client.force_login(hq_x)
    assert client.get(admin_url("kpis_indicatorvalue_delete", locked.pk)).status_code == 403
    assert client.post(admin_url("kpis_indicatorvalue_delete", locked.pk), {"post": "yes"}).status_code == 403
    response = client.post(
        admin_url("kpis_indicatorvalue_changelist"),
        {"action": "delete_selected", "_selected_action": [locked.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert IndicatorValue.objects.filter(pk__in=[locked.pk, other.pk]).count() == 2
    # The same HQ deletes a value of a year that is not locked.
    assert client.post(admin_url("kpis_indicatorvalue_delete", other.pk), {"post": "yes"}).status_code == 302
    assert not IndicatorValue.objects.filter(pk=other.pk).exists()


def test_deleting_a_kpi_with_a_locked_value_is_refused(client, roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    indicator = kpi(roles_plan, "出張申請窓口の開催回数")
    client.force_login(hq_x)
    response = client.post(admin_url("kpis_indicator_delete", indicator.pk), {"post": "yes"})
    assert response.status_code == 403
    assert IndicatorValue.objects.filter(indicator=indicator, fiscal_year=2023).exists()


# Targets and marks in the inlines


def indicator_form(client, indicator) -> dict:
    return form_of(client.get(admin_url("kpis_indicator_change", indicator.pk)), "indicator_form")


def inline_row(form: dict, prefix: str, fiscal_year: int) -> str:
    """The inline form prefix (values-0, …) of a fiscal year's row."""
    return next(
        key.removesuffix("-fiscal_year")
        for key, value in form.items()
        if key.startswith(prefix) and key.endswith("-fiscal_year") and value == str(fiscal_year)
    )


def test_targets_of_a_locked_year_cannot_be_edited_in_the_indicator_admin(client, roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    indicator = kpi(roles_plan, "出張申請窓口の開催回数")
    client.force_login(hq_x)
    form = indicator_form(client, indicator)
    row = inline_row(form, "values-", 2023)
    response = client.post(
        admin_url("kpis_indicator_change", indicator.pk),
        {**form, f"{row}-target_text": "２０回", f"{row}-target_value": "20", "_save": "保存"},
    )
    assert response.status_code == 200
    assert "2023年度は確定（ロック）済みのため変更できません" in response.content.decode()
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2023).target_text == "１０回"

    deleted = client.post(admin_url("kpis_indicator_change", indicator.pk), {**form, f"{row}-DELETE": "on"})
    assert "2023年度は確定（ロック）済みのため変更できません" in deleted.content.decode()
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2023).target_text == "１０回"

    open_row = inline_row(form, "values-", 2024)
    changed = client.post(
        admin_url("kpis_indicator_change", indicator.pk), {**form, f"{open_row}-target_text": "５回", "_save": "保存"}
    )
    assert changed.status_code == 302
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2024).target_text == "５回"


def measure_form(client, measure) -> dict:
    return form_of(client.get(admin_url("measures_measure_change", measure.pk)), "measure_form")


def test_the_mark_inline_of_a_measure_cannot_override_a_locked_year(client, roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    measure = Measure.objects.get(plan=roles_plan, key="1-(1)-①")
    client.force_login(hq_x)
    form = measure_form(client, measure)
    row = inline_row(form, "marks-", 2023)
    response = client.post(
        admin_url("measures_measure_change", measure.pk),
        {**form, f"{row}-override": "achieved", f"{row}-override_reason": "後から見直した", "_save": "保存"},
    )
    assert response.status_code == 200
    assert "2023年度は確定（ロック）済みのため変更できません" in response.content.decode()
    mark = MeasureMark.objects.get(measure=measure, fiscal_year=2023)
    assert (mark.override, mark.mark) == ("", "not_achieved")


def change_direction(client, indicator, direction: str):
    form = indicator_form(client, indicator)
    response = client.post(
        admin_url("kpis_indicator_change", indicator.pk), {**form, "direction": direction, "_save": "保存"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_changing_a_kpis_direction_recomputes_the_years_that_are_not_locked(client, roles_plan, hq_x):
    client.force_login(hq_x)
    change_direction(client, kpi(roles_plan, "出張申請窓口の開催回数"), "lower")  # 0 against a target of 10
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2023).computed == "exceeded"
    assert MeasureMark.objects.get(measure__key="1-(1)-①", fiscal_year=2023).computed != "not_achieved"


def test_changing_a_kpis_direction_leaves_a_locked_years_result_and_mark(client, roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    before = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    mark = MeasureMark.objects.get(measure__key="1-(1)-①", fiscal_year=2023)
    client.force_login(hq_x)
    change_direction(client, kpi(roles_plan, "出張申請窓口の開催回数"), "lower")
    after = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    assert (
        (after.computed, after.explanation)
        == (before.computed, before.explanation)
        == (
            "not_achieved",
            before.explanation,
        )
    )
    locked_mark = MeasureMark.objects.get(pk=mark.pk)
    assert (locked_mark.computed, locked_mark.explanation) == (mark.computed, mark.explanation)


# Corrections (訂正): HQ's page, reason required, shown publicly


def correct_url(value):
    return admin_url("kpis_indicatorvalue_correct", value.pk)


def test_only_hq_of_the_municipality_reaches_the_correction_page(client, roles_plan, hq_x, staff_a, hq_y):
    lock(roles_plan, 2023, hq_x)
    value = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    client.force_login(staff_a)
    assert client.get(correct_url(value)).status_code == 403
    client.force_login(hq_y)
    assert client.get(correct_url(value)).status_code == 404
    client.force_login(hq_x)
    page = client.get(correct_url(value))
    assert page.status_code == 200
    assert "令和5年度 (2023)は確定（ロック）済みです。値を変えるには訂正として、理由を付けて記録します。" in (
        page.content.decode()
    )


def test_an_open_year_is_not_corrected_but_entered(client, roles_plan, hq_x):
    value = value_of(roles_plan, "要望書の提出件数", 2025)
    client.force_login(hq_x)
    response = client.get(correct_url(value), follow=True)
    assert response.redirect_chain[-1][0] == admin_url("kpis_indicatorvalue_change", value.pk)
    assert "令和7年度 (2025)は確定（ロック）されていません（通常の入力で変更してください）" in response.content.decode()


def test_hq_corrects_a_locked_value_with_a_reason_and_residents_see_it(client, roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    value = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    client.force_login(hq_x)
    change_page = client.get(admin_url("kpis_indicatorvalue_change", value.pk)).content.decode()
    assert f'<a href="{correct_url(value)}" class="correctlink">訂正する</a>' in change_page
    form = form_of(client.get(correct_url(value)), index=last_form(client.get(correct_url(value))))
    assert (form["actual_text"], form["loaded"]) == ("０回", "０回")

    refused = client.post(correct_url(value), {**form, "actual_text": "１２回"})
    assert "訂正の理由を入力してください" in refused.content.decode()
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2023).actual_text == "０回"

    response = client.post(correct_url(value), {**form, "actual_text": "１２回", "reason": "集計漏れ（12回開催）"})
    assert response.status_code == 302
    corrected = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    assert (corrected.actual_text, corrected.actual_value, corrected.computed) == ("１２回", 12, "exceeded")
    assert MeasureMark.objects.get(measure__key="1-(1)-①", fiscal_year=2023).computed != "not_achieved"
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == [
        "出張申請窓口の開催回数（令和5年度 (2023)）の実績を訂正しました。公開ページの変更履歴に「訂正」として理由とともに表示されます"
    ]
    assert "集計漏れ（12回開催）" in client.get(correct_url(value)).content.decode()  # これまでの訂正

    public = client.get(f"/{roles_plan.municipality.slug}/{roles_plan.slug}/measures/1-(1)-①/").content.decode()
    assert "<strong>訂正</strong>" in public and "０回 → １２回" in public and "集計漏れ（12回開催）" in public


def test_a_correction_made_meanwhile_is_not_overwritten(client, roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    value = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    client.force_login(hq_x)
    page = client.get(correct_url(value))
    form = form_of(page, index=last_form(page))
    workflow.correct_locked_value(hq_x, value, "５回", "別の担当者の訂正")
    response = client.post(correct_url(value), {**form, "actual_text": "１２回", "reason": "集計漏れ"})
    assert response.status_code == 200
    assert "読み込んだ後に他の利用者が実績を「５回」に変更しました" in response.content.decode()
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2023).actual_text == "５回"
    again = form_of(response, index=last_form(response))
    assert again["loaded"] == "５回"  # both values were shown: saving again corrects
    assert client.post(correct_url(value), again).status_code == 302
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2023).actual_text == "１２回"


def test_the_entry_screen_of_a_locked_year_links_hq_to_the_corrections(client, roles_plan, hq_x, staff_a):
    lock(roles_plan, 2023, hq_x)
    value = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    url = f"{reverse('admin:kpis_entry')}?plan={roles_plan.pk}&fy=2023"
    client.force_login(hq_x)
    assert f'<a href="{correct_url(value)}" class="correct-link">訂正する</a>' in client.get(url).content.decode()
    client.force_login(staff_a)
    assert correct_url(value) not in client.get(url).content.decode()


def test_a_correction_is_checked_like_an_entry(roles_plan, hq_x):
    lock(roles_plan, 2023, hq_x)
    value = value_of(roles_plan, "出張申請窓口の開催回数", 2023)
    for text, message in [
        ("99999999999999999999999", "数値が大きすぎます（整数部分は14桁まで）"),
        ("12kg", "数値で入力してください（単位: 回/年）"),
        ("=1+1", "「=」「+」「-」「@」で始まる値は数式とみなされるため入力できません"),
        ("０回", "実績が変わっていません（訂正後の値を入力してください）"),
    ]:
        with pytest.raises(workflow.WorkflowError) as error:
            workflow.correct_locked_value(hq_x, value, text, "理由")
        assert str(error.value) == message
    assert value_of(roles_plan, "出張申請窓口の開催回数", 2023).actual_text == "０回"


def test_a_pillars_numeric_target_correction_shows_on_the_years_summary(
    client, roles_plan, hq_x, django_capture_on_commit_callbacks
):
    """The pillars' numeric targets have no measure page: their 訂正 shows on the year's summary page."""
    lock(roles_plan, 2023, hq_x)
    summary = reverse("plan-summary", args=[roles_plan.municipality.slug, roles_plan.slug, 2023])
    assert "この年度の訂正" not in client.get(summary).content.decode()
    value = value_of(roles_plan, "マイナンバーカードの交付率", 2023)
    with django_capture_on_commit_callbacks(execute=True):  # the public pages' generation moves on commit
        workflow.correct_locked_value(hq_x, value, "76.0％", "国の公表値の改訂に合わせた")
    html = client.get(summary).content.decode()
    assert '<h2 id="corrections-heading">この年度の訂正</h2>' in html
    assert "<strong>訂正</strong> マイナンバーカードの交付率 実績: 75.4％ → 76.0％" in html
    assert "理由: 国の公表値の改訂に合わせた" in html
    other_year = reverse("plan-summary", args=[roles_plan.municipality.slug, roles_plan.slug, 2024])
    assert "この年度の訂正" not in client.get(other_year).content.decode()
