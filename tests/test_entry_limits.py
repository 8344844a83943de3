"""What an actual may be: a number the KPI can store (its digits), with the KPI's unit and nothing else;
and the marks that follow from it, HQ's and staff's confirmed overrides included."""

import pytest
from django.urls import reverse

from kpis.entry import ActualEntry, validate_entries
from kpis.models import IndicatorValue
from kpis.services import confirm_kpi_mark, recompute_plan_marks
from measures.models import MeasureMark
from tests.personas import kpi

pytestmark = pytest.mark.django_db

FY = 2025
NEGATIVE = "マイナスの値です（件数や回数はマイナスになりません）。値を確かめて、正しければ確認のうえ保存してください"


def codes(user, plan, name, text):
    entry = ActualEntry(kpi(plan, name).pk, FY, text)
    return [(e.code, e.message) for e in validate_entries(user, plan, FY, [entry])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12kg", [("not_numeric", "数値で入力してください（単位: 回/年）")]),
        ("12 回です", [("not_numeric", "数値で入力してください（単位: 回/年）")]),
        ("12件", [("not_numeric", "数値で入力してください（単位: 回/年）")]),
        ("12回", []),
        ("１２回/年", []),
        ("12", []),
    ],
)
def test_only_the_kpis_unit_may_follow_the_number(roles_plan, staff_a, text, expected):
    assert codes(staff_a, roles_plan, "出張申請窓口の開催回数", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("99999999999999999999999", [("too_large", "数値が大きすぎます（整数部分は14桁まで）")]),
        ("123456789012345", [("too_large", "数値が大きすぎます（整数部分は14桁まで）")]),
        (
            "0.000001",
            [("too_precise", "小数点以下は4桁までで入力してください（それより細かい値は保存できません）")],
        ),
        (
            "1.23456件",
            [("too_precise", "小数点以下は4桁までで入力してください（それより細かい値は保存できません）")],
        ),
        ("12345678901234", []),
        ("0.0001", []),
        ("1.50000000", []),  # trailing zeros lose nothing
        ("00000000000000000001", []),
        # Storable, and asked about: a negative count (kpis.plausibility)
        ("-12345678901234.5678", [("implausible", NEGATIVE)]),
    ],
)
def test_numbers_beyond_the_stored_digits_are_refused(roles_plan, staff_b, text, expected):
    assert codes(staff_b, roles_plan, "要望書の提出件数", text) == expected


def test_a_huge_number_on_the_entry_screen_is_an_error_not_a_500(client, roles_plan, staff_b):
    client.force_login(staff_b)
    key = kpi(roles_plan, "要望書の提出件数").pk
    url = f"{reverse('admin:kpis_entry')}?plan={roles_plan.pk}&fy={FY}"
    for text, message in [
        ("99999999999999999999999", "数値が大きすぎます（整数部分は14桁まで）"),
        ("0.000001", "小数点以下は4桁までで入力してください（それより細かい値は保存できません）"),
    ]:
        response = client.post(url, {f"actual-{key}": text})
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<p class="errornote" id="error-actual-{key}">{message}</p>' in html
        assert "1件の入力に誤りがあります。何も保存していません" in html
    assert IndicatorValue.objects.get(indicator_id=key, fiscal_year=FY).actual_text == ""


def test_a_kpis_override_decides_the_measures_mark(roles_plan, hq_x):
    """Measure 1-(1)-① in FY2024: 出張申請窓口 is 「－」 (not applicable), so 手法の検討 alone makes the mark."""
    value = IndicatorValue.objects.get(indicator=kpi(roles_plan, "手法の検討"), fiscal_year=2024)
    assert value.computed == "achieved"
    confirm_kpi_mark(value=value, mark="not_achieved", user=hq_x, reason="検討は途中で中断した")
    value.refresh_from_db()
    assert (value.computed, value.override, value.mark) == ("achieved", "not_achieved", "not_achieved")
    mark = MeasureMark.objects.get(measure__key="1-(1)-①", fiscal_year=2024)
    assert (mark.computed, mark.explanation) == ("not_achieved", "検討は途中で中断した（対象外 1 指標を除く）")
    recompute_plan_marks(roles_plan)  # again, from scratch: the override still decides
    assert MeasureMark.objects.get(pk=mark.pk).computed == "not_achieved"
