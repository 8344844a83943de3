"""Two logged-in users interleaving on the same values: the entry screen, the admin change form and the
actuals template. Nobody's value changes unless its user changed it, and a field both changed is shown
to the second user with both values until they choose.

Each user is a django test Client driving the real pages: forms are read from the HTML as a browser would
(every input, select and textarea with its value, hidden fields included) and posted back.
"""

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kpis.models import IndicatorValue
from kpis.sheets.template import build_actuals_template
from plans.models import Department, HQMembership, Municipality, StaffMembership
from tests.forms import form_of, last_form
from tests.personas import kpi, make_user

pytestmark = pytest.mark.django_db

FY = 2025


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def value(plan, name):
    return IndicatorValue.objects.get(indicator=kpi(plan, name), fiscal_year=FY)


# The entry screen: two clerks of 地域情報課


@pytest.fixture
def clerks(staff_a):
    second = make_user("staff-a2")
    StaffMembership.objects.create(
        user=second, department=Department.objects.get(municipality__code="052027", name="地域情報課")
    )
    return logged_in(staff_a), logged_in(second)


def entry_url(plan):
    return f"{reverse('admin:kpis_entry')}?plan={plan.pk}&fy={FY}"


def entry_form(client, plan) -> dict:
    """The entry screen's save form (the last form on the page: the chooser and report forms come first)."""
    response = client.get(entry_url(plan))
    assert response.status_code == 200
    return form_of(response, index=last_form(response))


def test_a_stale_entry_screen_saves_only_what_its_user_changed(roles_plan, clerks):
    first, second = clerks
    windows, method = kpi(roles_plan, "出張申請窓口の開催回数"), kpi(roles_plan, "手法の検討")
    form_a, form_b = entry_form(first, roles_plan), entry_form(second, roles_plan)  # both screens open
    assert form_b[f"loaded-actual-{windows.pk}"] == "" and f"loaded-note-{method.pk}" in form_b

    assert first.post(entry_url(roles_plan), {**form_a, f"actual-{windows.pk}": "１２回"}).status_code == 302
    response = second.post(entry_url(roles_plan), {**form_b, f"actual-{method.pk}": "手法を検討した"})
    assert response.status_code == 302

    assert value(roles_plan, "出張申請窓口の開催回数").actual_text == "１２回"  # not reverted to empty
    assert value(roles_plan, "手法の検討").actual_text == "手法を検討した"
    page = second.get(entry_url(roles_plan)).content.decode()
    assert "保存しました（新規 1 件、変更 0 件、変更なし 1 件）" in page


def test_both_change_one_value_the_second_sees_both_and_chooses(roles_plan, clerks):
    first, second = clerks
    windows = kpi(roles_plan, "出張申請窓口の開催回数")
    form_a, form_b = entry_form(first, roles_plan), entry_form(second, roles_plan)
    first.post(entry_url(roles_plan), {**form_a, f"actual-{windows.pk}": "12", f"note-{windows.pk}": "4回は中止"})

    response = second.post(entry_url(roles_plan), {**form_b, f"actual-{windows.pk}": "15"})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "1行は、この画面を開いた後に他の利用者が変更しています。行ごとにどちらを残すか選んで、もう一度保存してください（何も保存していません）"
        in html
    )
    assert (
        f'<p class="errornote" id="error-actual-{windows.pk}">読み込んだ後に他の利用者が実績を「12」に変更しました</p>'
        in html
    )
    assert "<li>実績: あなたの入力「15」／現在の値「12」</li>" in html
    assert "「出張申請窓口の開催回数」は、この画面を開いた後に他の利用者が変更しました。どちらを残しますか" in html
    stored = value(roles_plan, "出張申請窓口の開催回数")
    assert (stored.actual_text, stored.note) == ("12", "4回は中止")  # nothing of the second user's saved

    again = form_of(response, index=last_form(response))
    assert again[f"actual-{windows.pk}"] == "15" and again[f"loaded-actual-{windows.pk}"] == "12"
    refused = second.post(entry_url(roles_plan), again)  # no choice made
    assert "自分の入力で上書きするか、現在の値を残すかを選んでください" in refused.content.decode()
    assert value(roles_plan, "出張申請窓口の開催回数").actual_text == "12"

    assert second.post(entry_url(roles_plan), {**again, f"resolve-{windows.pk}": "mine"}).status_code == 302
    stored = value(roles_plan, "出張申請窓口の開催回数")
    assert (stored.actual_text, stored.actual_value, stored.note) == ("15", 15, "4回は中止")  # the note stays


def test_keeping_the_colleagues_value_writes_nothing_for_that_row(roles_plan, clerks):
    first, second = clerks
    windows, method = kpi(roles_plan, "出張申請窓口の開催回数"), kpi(roles_plan, "手法の検討")
    form_a, form_b = entry_form(first, roles_plan), entry_form(second, roles_plan)
    first.post(entry_url(roles_plan), {**form_a, f"actual-{windows.pk}": "12"})
    response = second.post(
        entry_url(roles_plan), {**form_b, f"actual-{windows.pk}": "15", f"actual-{method.pk}": "検討した"}
    )
    again = form_of(response, index=last_form(response))
    history = IndicatorValue.history.filter(indicator=windows).count()
    assert second.post(entry_url(roles_plan), {**again, f"resolve-{windows.pk}": "theirs"}).status_code == 302
    assert value(roles_plan, "出張申請窓口の開催回数").actual_text == "12"
    assert IndicatorValue.history.filter(indicator=windows).count() == history
    assert value(roles_plan, "手法の検討").actual_text == "検討した"


# The admin change form of a value: two HQ members of 能代市


@pytest.fixture
def hq_pair(hq_x):
    second = make_user("hq-x2")
    HQMembership.objects.create(user=second, municipality=Municipality.objects.get(code="052027"))
    return logged_in(hq_x), logged_in(second)


def change_url(obj):
    return reverse("admin:kpis_indicatorvalue_change", args=[obj.pk])


def test_a_stale_change_form_keeps_the_colleagues_target_and_actual(roles_plan, hq_pair):
    first, second = hq_pair
    requests = value(roles_plan, "要望書の提出件数")
    form_a = form_of(first.get(change_url(requests)), "indicatorvalue_form")
    form_b = form_of(second.get(change_url(requests)), "indicatorvalue_form")
    assert form_b["initial-target_text"] == "３件"

    changed = {**form_a, "target_text": "４件", "target_value": "4", "actual_text": "3", "_save": "保存"}
    assert first.post(change_url(requests), changed).status_code == 302
    response = second.post(change_url(requests), {**form_b, "note": "県へ提出", "_save": "保存"})
    assert response.status_code == 302, response.content.decode()[:3000]

    stored = value(roles_plan, "要望書の提出件数")
    assert (stored.target_text, stored.target_value, stored.actual_text, stored.actual_value, stored.note) == (
        "４件",
        4,
        "3",
        3,
        "県へ提出",
    )
    assert stored.computed == "not_achieved"  # 3 against the new target 4


def test_both_change_the_actual_in_the_change_form(roles_plan, hq_pair):
    first, second = hq_pair
    requests = value(roles_plan, "要望書の提出件数")
    form_a = form_of(first.get(change_url(requests)), "indicatorvalue_form")
    form_b = form_of(second.get(change_url(requests)), "indicatorvalue_form")
    first.post(change_url(requests), {**form_a, "actual_text": "3", "_save": "保存"})

    response = second.post(
        change_url(requests),
        {**form_b, "actual_text": "5", "target_text": "５件", "target_value": "5", "_save": "保存"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "読み込んだ後に他の利用者が実績を「3」に変更しました。"
        "この入力で上書きする場合はもう一度保存してください（現在の値を残す場合は保存せずに戻ってください）"
    ) in html
    stored = value(roles_plan, "要望書の提出件数")
    assert (stored.actual_text, stored.target_text) == ("3", "３件")  # nothing of the second user's saved

    again = form_of(response, "indicatorvalue_form")
    assert (again["actual_text"], again["initial-actual_text"]) == ("5", "3")
    assert second.post(change_url(requests), {**again, "_save": "保存"}).status_code == 302
    stored = value(roles_plan, "要望書の提出件数")
    assert (stored.actual_text, stored.target_text, stored.computed) == ("5", "５件", "achieved")


def test_both_change_a_target_in_the_change_form(roles_plan, hq_pair):
    first, second = hq_pair
    requests = value(roles_plan, "要望書の提出件数")
    form_a = form_of(first.get(change_url(requests)), "indicatorvalue_form")
    form_b = form_of(second.get(change_url(requests)), "indicatorvalue_form")
    first.post(change_url(requests), {**form_a, "target_text": "４件", "target_value": "4", "_save": "保存"})
    response = second.post(change_url(requests), {**form_b, "target_text": "６件", "_save": "保存"})
    assert response.status_code == 200
    assert "読み込んだ後に他の利用者が目標（記載どおり）を「４件」に変更しました。" in response.content.decode()
    assert value(roles_plan, "要望書の提出件数").target_text == "４件"


# The actuals template: two clerks import templates exported at the same time


def exported(plan, user):
    stream = io.BytesIO()
    build_actuals_template(plan, FY, stream, user=user)
    return load_workbook(io.BytesIO(stream.getvalue()))


def filled(workbook, **cells) -> io.BytesIO:
    ws = workbook["実績入力"]
    for ref, text in cells.items():
        ws[ref] = text
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    stream.name = "実績.xlsx"
    return stream


def row_of(workbook, name) -> int:
    return next(row[0].row for row in workbook["実績入力"].iter_rows(min_row=4) if row[3].value == name)


def preview_and_confirm(client, upload):
    response = client.post(
        reverse("admin:kpis_indicatorvalue_import"), {"fiscal_year": FY, "format": 0, "import_file": upload}
    )
    confirm = response.context.get("confirm_form")
    if confirm is None:
        return response
    return client.post(
        reverse("admin:kpis_indicatorvalue_process_import"), {n: confirm.initial.get(n, "") for n in confirm.fields}
    )


def test_an_old_template_writes_only_what_its_user_changed(roles_plan, staff_a, clerks):
    first, second = clerks
    book_a, book_b = exported(roles_plan, staff_a), exported(roles_plan, staff_a)
    windows, method = row_of(book_a, "出張申請窓口の開催回数"), row_of(book_a, "手法の検討")

    assert preview_and_confirm(first, filled(book_a, **{f"F{windows}": "888"})).status_code == 302
    assert value(roles_plan, "出張申請窓口の開催回数").actual_text == "888"
    response = preview_and_confirm(second, filled(book_b, **{f"F{method}": "検討した"}))
    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [
        "実績を取り込みました（新規 1 行、変更 0 行、変更なし 1 行）"
    ]
    assert value(roles_plan, "出張申請窓口の開催回数").actual_text == "888"  # not back to empty
    assert value(roles_plan, "手法の検討").actual_text == "検討した"

    # The same old template again, unchanged: nothing is written, 888 stays.
    history = IndicatorValue.history.count()
    preview_and_confirm(second, filled(exported(roles_plan, staff_a)))
    book_c = exported(roles_plan, staff_a)
    assert preview_and_confirm(second, filled(book_b, **{f"F{method}": "検討した"})).status_code == 302
    assert value(roles_plan, "出張申請窓口の開催回数").actual_text == "888"
    assert IndicatorValue.history.count() == history
    assert book_c["実績入力"][f"M{windows}"].value == "888"  # the new export carries the current value


def test_a_template_changing_what_a_colleague_changed_is_refused(roles_plan, staff_a, clerks):
    first, second = clerks
    book_a, book_b = exported(roles_plan, staff_a), exported(roles_plan, staff_a)
    windows = row_of(book_a, "出張申請窓口の開催回数")
    preview_and_confirm(first, filled(book_a, **{f"F{windows}": "12"}))
    response = preview_and_confirm(second, filled(book_b, **{f"F{windows}": "15"}))
    assert response.status_code == 200
    assert (
        f"シート 実績入力 {windows}行目 F列（実績）: 「15」は取り込みません。テンプレートの出力後に他の利用者が実績を"
        "「12」に変更しました。どちらを残すか確かめ、テンプレートを出力し直して入力してください"
    ) in response.content.decode()
    assert value(roles_plan, "出張申請窓口の開催回数").actual_text == "12"


# The other change pages and their inlines (dxportal.staff.loaded): a KPI's targets in its value rows, a measure


def indicator_url(indicator):
    return reverse("admin:kpis_indicator_change", args=[indicator.pk])


def value_row(form: dict, value_pk: int) -> str:
    """The prefix of a value's row in the KPI page's inline ('values-0')."""
    return next(name.removesuffix("-id") for name, v in form.items() if name.endswith("-id") and v == str(value_pk))


def test_a_stale_kpi_page_keeps_the_colleagues_target_in_its_value_rows(roles_plan, hq_pair):
    first, second = hq_pair
    requests = value(roles_plan, "要望書の提出件数")
    page = indicator_url(requests.indicator)
    form_a = form_of(first.get(page), "indicator_form")
    form_b = form_of(second.get(page), "indicator_form")
    row = value_row(form_a, requests.pk)
    assert form_b[f"initial-{row}-target_text"] == "３件"

    changed = {**form_a, f"{row}-target_text": "４件", f"{row}-target_value": "4", "_save": "保存"}
    assert first.post(page, changed).status_code == 302
    response = second.post(page, {**form_b, "unit": "件（年）", "_save": "保存"})
    assert response.status_code == 302, response.content.decode()[:3000]

    stored = value(roles_plan, "要望書の提出件数")
    assert (stored.target_text, stored.target_value, stored.indicator.unit) == ("４件", 4, "件（年）")


def test_both_change_a_target_on_the_kpi_page_the_second_sees_the_first_and_chooses(roles_plan, hq_pair):
    first, second = hq_pair
    requests = value(roles_plan, "要望書の提出件数")
    page = indicator_url(requests.indicator)
    form_a = form_of(first.get(page), "indicator_form")
    form_b = form_of(second.get(page), "indicator_form")
    row = value_row(form_a, requests.pk)
    first.post(page, {**form_a, f"{row}-target_text": "４件", f"{row}-target_value": "4", "_save": "保存"})

    response = second.post(page, {**form_b, f"{row}-target_text": "６件", f"{row}-target_value": "6", "_save": "保存"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "読み込んだ後に他の利用者が目標（記載どおり）を「４件」に変更しました。この入力で上書きする場合は" in html
    assert value(roles_plan, "要望書の提出件数").target_text == "４件"  # nothing of the second page saved

    again = form_of(response, "indicator_form")
    assert (again[f"{row}-target_text"], again[f"initial-{row}-target_text"]) == ("６件", "４件")
    assert second.post(page, {**again, "_save": "保存"}).status_code == 302
    assert value(roles_plan, "要望書の提出件数").target_text == "６件"


def test_a_stale_measure_page_keeps_the_colleagues_name(roles_plan, hq_pair):
    first, second = hq_pair
    measure = kpi(roles_plan, "要望書の提出件数").measure
    page = reverse("admin:measures_measure_change", args=[measure.pk])
    form_a = form_of(first.get(page), "measure_form")
    form_b = form_of(second.get(page), "measure_form")
    assert first.post(page, {**form_a, "name": "要望活動（県・国）", "_save": "保存"}).status_code == 302
    response = second.post(page, {**form_b, "overview": "県と国へ要望する", "_save": "保存"})
    assert response.status_code == 302, response.content.decode()[:3000]
    measure.refresh_from_db()
    assert (measure.name, measure.overview) == ("要望活動（県・国）", "県と国へ要望する")
