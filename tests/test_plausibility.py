"""Plausibility warnings (kpis.plausibility): asked before saving, not refused; the user confirms or
corrects, on the entry screen, in the change form and in the template import; HQ sees what was confirmed."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from kpis.entry import ActualEntry, EntryValidationError, save_entries, validate_entries
from kpis.models import Indicator, IndicatorValue
from kpis.plausibility import plausibility_warnings
from kpis.sheets.actuals import import_actuals
from kpis.sheets.template import build_actuals_template
from tests.personas import kpi

pytestmark = pytest.mark.django_db

FY = 2025
REQUESTS = "要望書の提出件数"  # 企画部's KPI in 件: target ３件 in 2025, no actual in 2024


def numeric(unit="件", cumulative=False):
    return Indicator(name="x", unit=unit, kind=Indicator.Kind.NUMERIC, cumulative=cumulative)


@pytest.mark.parametrize(
    ("indicator", "value", "previous", "expected"),
    [
        (numeric(), "-3", None, ["マイナスの値です（件数や回数はマイナスになりません）"]),
        (numeric("％"), "120.5", None, ["割合が100％を超えています"]),
        (numeric("%"), "-1", None, ["割合が0％未満です"]),
        (numeric(cumulative=True), "15", "16", ["累計の指標が前年度の実績「16件」より小さくなっています"]),
        (numeric(), "161", "16", ["前年度の実績「16件」の10倍を超えています"]),
        (numeric(), "1", "16", ["前年度の実績「16件」の10分の1未満です"]),
        (
            numeric(cumulative=True),
            "1",
            "16",
            ["累計の指標が前年度の実績「16件」より小さくなっています", "前年度の実績「16件」の10分の1未満です"],
        ),
        (numeric(), "160", "16", []),  # exactly ten times: plausible
        (numeric(), "1.6", "16", []),  # exactly a tenth
        (numeric(), "5", "0", []),  # no ratio to a zero
        (numeric("％"), "100", "99", []),
        (Indicator(name="x", kind=Indicator.Kind.QUALITATIVE), "-3", "16", []),
    ],
)
def test_the_rules(indicator, value, previous, expected):
    previous_value = Decimal(previous) if previous is not None else None
    warnings = plausibility_warnings(indicator, Decimal(value), previous_value, f"{previous}件" if previous else "")
    assert [warning.message for warning in warnings] == expected


def set_last_year(plan, name, text, value):
    IndicatorValue.objects.filter(indicator=kpi(plan, name), fiscal_year=FY - 1).update(
        actual_text=text, actual_value=value
    )


def test_an_implausible_actual_is_asked_about_and_saved_once_confirmed(roles_plan, staff_b):
    set_last_year(roles_plan, REQUESTS, "２件", 2)
    entry = ActualEntry(kpi(roles_plan, REQUESTS).pk, FY, "３０件")
    [error] = validate_entries(staff_b, roles_plan, FY, [entry])
    assert (error.code, error.message) == (
        "implausible",
        "前年度の実績「２件」の10倍を超えています。値を確かめて、正しければ確認のうえ保存してください",
    )
    with pytest.raises(EntryValidationError):
        save_entries(staff_b, roles_plan, FY, [entry])
    assert IndicatorValue.objects.get(indicator__name=REQUESTS, fiscal_year=FY).actual_text == ""

    entry.warnings_confirmed = True
    save_entries(staff_b, roles_plan, FY, [entry])
    value = IndicatorValue.objects.get(indicator__name=REQUESTS, fiscal_year=FY)
    assert (value.actual_text, value.confirmed_warning) == ("３０件", "前年度の実績「２件」の10倍を超えています")
    # Saved again as it is: not asked again, the confirmation stays.
    assert validate_entries(staff_b, roles_plan, FY, [ActualEntry(value.indicator_id, FY, "３０件")]) == []
    # Corrected to a plausible value: the confirmed warning goes.
    save_entries(staff_b, roles_plan, FY, [ActualEntry(value.indicator_id, FY, "3")])
    assert IndicatorValue.objects.get(pk=value.pk).confirmed_warning == ""


def entry_url(plan):
    return f"{reverse('admin:kpis_entry')}?plan={plan.pk}&fy={FY}"


def test_entry_screen_warns_then_saves_with_the_box_ticked(client, roles_plan, staff_b, hq_x):
    key = kpi(roles_plan, REQUESTS).pk
    client.force_login(staff_b)
    response = client.post(entry_url(roles_plan), {f"actual-{key}": "-3"})
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "1件の値に確認が必要です。値を直すか、正しければ行の「この値で正しい」にチェックを入れて"
        "「確認して保存」を押してください（何も保存していません）" in html
    )
    assert "<strong>確認してください:</strong> マイナスの値です（件数や回数はマイナスになりません）</p>" in html
    assert f'<input type="checkbox" name="confirm-{key}" value="-3">' in html
    assert 'value="確認して保存"' in html
    assert IndicatorValue.objects.get(indicator_id=key, fiscal_year=FY).actual_text == ""

    # A tick for another value than the one typed confirms nothing.
    response = client.post(entry_url(roles_plan), {f"actual-{key}": "-4", f"confirm-{key}": "-3"})
    assert response.status_code == 200
    response = client.post(entry_url(roles_plan), {f"actual-{key}": "-3", f"confirm-{key}": "-3"})
    assert response.status_code == 302
    value = IndicatorValue.objects.get(indicator_id=key, fiscal_year=FY)
    assert (value.actual_text, value.confirmed_warning) == (
        "-3",
        "マイナスの値です（件数や回数はマイナスになりません）",
    )
    assert "確認済み: マイナスの値です" in client.get(entry_url(roles_plan)).content.decode()

    client.force_login(hq_x)
    board = client.get(f"{reverse('admin:kpis_board')}?plan={roles_plan.pk}&fy={FY}").content.decode()
    assert "警告を確認して保存された値" in board
    assert f'<tr id="confirmed-{value.pk}">' in board
    assert '<td data-label="確認した警告">マイナスの値です（件数や回数はマイナスになりません）</td>' in board


def test_change_form_warns_then_saves_with_the_box_ticked(client, roles_plan, staff_b):
    value = IndicatorValue.objects.get(indicator__plan=roles_plan, indicator__name=REQUESTS, fiscal_year=FY)
    url = reverse("admin:kpis_indicatorvalue_change", args=[value.pk])
    client.force_login(staff_b)
    form = {"actual_text": "-3", "note": "", "evidence_url": "", "override": "", "override_reason": ""}
    response = client.post(url, form)
    assert response.status_code == 200
    assert (
        "確認してください: マイナスの値です（件数や回数はマイナスになりません）。"
        "正しければ「この値で正しい」にチェックを入れて保存してください" in response.content.decode()
    )
    assert IndicatorValue.objects.get(pk=value.pk).actual_text == ""
    response = client.post(url, {**form, "confirm_warning": "on"})
    assert response.status_code == 302
    value.refresh_from_db()
    assert (value.actual_text, value.confirmed_warning) == (
        "-3",
        "マイナスの値です（件数や回数はマイナスになりません）",
    )
    changelist = client.get(reverse("admin:kpis_indicatorvalue_changelist")).content.decode()
    assert '<td class="field-confirmed_warning">マイナスの値です（件数や回数はマイナスになりません）</td>' in changelist


def template_with(plan, user, actual) -> bytes:
    stream = io.BytesIO()
    build_actuals_template(plan, FY, stream, user=user)
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    sheet = workbook["実績入力"]
    row = next(r[0].row for r in sheet.iter_rows(min_row=4) if r[3].value == REQUESTS)
    sheet[f"F{row}"] = actual
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


WARNING = (
    "シート 実績入力 4行目 F列（実績）: 「-3」は確認が必要です（マイナスの値です（件数や回数はマイナスになりません））"
)


def test_import_shows_the_warning_and_writes_only_when_accepted(roles_plan, staff_b):
    data = template_with(roles_plan, staff_b, "-3")
    result = import_actuals(data=data, user=staff_b)
    assert (result.errors, result.warnings, result.saved) == ([], [WARNING], None)
    assert IndicatorValue.objects.get(indicator__name=REQUESTS, fiscal_year=FY).actual_text == ""
    result = import_actuals(data=data, user=staff_b, accept_warnings=True)
    assert result.saved.changed == 1
    value = IndicatorValue.objects.get(indicator__name=REQUESTS, fiscal_year=FY)
    assert (value.actual_text, value.confirmed_warning) == (
        "-3",
        "マイナスの値です（件数や回数はマイナスになりません）",
    )


def test_import_command_asks_for_accept_warnings(roles_plan, staff_b, tmp_path, capsys):
    path = tmp_path / "実績.xlsx"
    path.write_bytes(template_with(roles_plan, staff_b, "-3"))
    with pytest.raises(CommandError) as raised:
        call_command("import_actuals", str(path), "--user", staff_b.username)
    assert str(raised.value) == (
        "確認が必要な値が 1 件あるため、何も書き込んでいません。値を確かめ、正しければ --accept-warnings を付けて実行してください"
    )
    assert WARNING in capsys.readouterr().err
    call_command("import_actuals", str(path), "--user", staff_b.username, "--accept-warnings")
    assert IndicatorValue.objects.get(indicator__name=REQUESTS, fiscal_year=FY).confirmed_warning


def test_admin_import_previews_the_warning_and_its_confirmation_keeps_the_value(client, roles_plan, staff_b):
    client.force_login(staff_b)
    upload = io.BytesIO(template_with(roles_plan, staff_b, "-3"))
    upload.name = "実績.xlsx"
    response = client.post(reverse("admin:kpis_indicatorvalue_import"), {"format": 0, "import_file": upload})
    body = response.content.decode()
    assert '<th scope="col">確認が必要な点</th>' in body
    assert f"<td>{WARNING}</td>" in body
    confirm = response.context["confirm_form"]
    fields = {name: confirm.initial.get(name, "") for name in confirm.fields}
    assert client.post(reverse("admin:kpis_indicatorvalue_process_import"), fields).status_code == 302
    value = IndicatorValue.objects.get(indicator__name=REQUESTS, fiscal_year=FY)
    assert (value.actual_text, value.confirmed_warning) == (
        "-3",
        "マイナスの値です（件数や回数はマイナスになりません）",
    )
