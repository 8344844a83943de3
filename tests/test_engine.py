"""Unit tests for the achievement engine (kpis.engine): pure functions, no database."""

from decimal import Decimal

import pytest

from kpis.engine import Cell, Verdict, combine, score_kpi
from kpis.evaluation import completed_forms
from plans.marks import Mark

EXCEEDED, ACHIEVED, NOT_ACHIEVED, NOT_APPLICABLE = (
    Mark.EXCEEDED,
    Mark.ACHIEVED,
    Mark.NOT_ACHIEVED,
    Mark.NOT_APPLICABLE,
)


def num(text, value):
    return Cell(text=text, value=Decimal(value))


def txt(text):
    return Cell(text=text)


def numeric(target, actual, direction="higher"):
    return score_kpi(kind="numeric", direction=direction, target=target, actual=actual)


def qualitative(target, actual):
    return score_kpi(kind="qualitative", direction="higher", target=txt(target), actual=txt(actual))


# --- Cell ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\u3000", "\n"])
def test_cell_blank_text_is_empty(text):
    assert Cell(text=text).empty
    assert not Cell(text=text).not_applicable


def test_cell_zero_is_neither_empty_nor_not_applicable():
    cell = num("0", "0")
    assert not cell.empty
    assert not cell.not_applicable


@pytest.mark.parametrize("text", ["－", "-", "ー", "―", "—", "‐", "−", " － "])
def test_cell_dash_variants_are_not_applicable(text):
    assert Cell(text=text).not_applicable
    assert not Cell(text=text).empty


# --- Numeric, higher is better ------------------------------------------------------------------


def test_numeric_above_target_is_exceeded():
    assert numeric(num("10回", 10), num("12回", 12)) == Verdict(EXCEEDED, "実績 12回 が目標 10回 を上回った")


def test_numeric_equal_to_target_is_achieved():
    assert numeric(num("10回", 10), num("10回", 10)) == Verdict(ACHIEVED, "実績 10回 が目標 10回 に達した")


def test_numeric_below_target_is_not_achieved():
    assert numeric(num("１０回", 10), num("０回", 0)) == Verdict(NOT_ACHIEVED, "実績 ０回 が目標 １０回 を下回った")


def test_numeric_texts_are_stripped_in_explanation():
    verdict = numeric(num(" 10回 ", 10), num("\u300012回\n", 12))
    assert verdict == Verdict(EXCEEDED, "実績 12回 が目標 10回 を上回った")


# --- Numeric, lower is better -------------------------------------------------------------------


def test_lower_is_better_actual_below_target_is_exceeded():
    verdict = numeric(num("100件", 100), num("80件", 80), direction="lower")
    assert verdict == Verdict(EXCEEDED, "実績 80件 が目標 100件 を下回った（小さいほど良い指標）")


def test_lower_is_better_actual_equal_to_target_is_achieved():
    verdict = numeric(num("100件", 100), num("100件", 100), direction="lower")
    assert verdict == Verdict(ACHIEVED, "実績 100件 が目標 100件 に達した")


def test_lower_is_better_actual_above_target_is_not_achieved():
    verdict = numeric(num("100件", 100), num("120件", 120), direction="lower")
    assert verdict == Verdict(NOT_ACHIEVED, "実績 120件 が目標 100件 を上回った（小さいほど良い指標）")


# --- Zero, empty and "－" are three different things ------------------------------------------


def test_zero_target_zero_actual_is_achieved():
    assert numeric(num("0件", 0), num("0件", 0)) == Verdict(ACHIEVED, "実績 0件 が目標 0件 に達した")


def test_zero_target_positive_actual_is_exceeded():
    assert numeric(num("0件", 0), num("3件", 3)) == Verdict(EXCEEDED, "実績 3件 が目標 0件 を上回った")


def test_zero_target_positive_actual_lower_is_better_is_not_achieved():
    verdict = numeric(num("0件", 0), num("3件", 3), direction="lower")
    assert verdict == Verdict(NOT_ACHIEVED, "実績 3件 が目標 0件 を上回った（小さいほど良い指標）")


def test_zero_actual_is_scored_not_treated_as_empty():
    assert numeric(num("5件", 5), num("0件", 0)).mark == NOT_ACHIEVED


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (num("0", 0), Verdict(ACHIEVED, "実績 0 が目標 0 に達した")),
        (Cell(text=""), Verdict("", "目標が設定されていないため評価しない")),
        (Cell(text="－"), Verdict(NOT_APPLICABLE, "目標が－のため対象外")),
    ],
    ids=["zero", "empty", "dash"],
)
def test_zero_empty_and_dash_target_differ(target, expected):
    assert numeric(target, num("0", 0)) == expected


# --- Decimal and full-width values --------------------------------------------------------------


def test_decimal_actual_above_target():
    verdict = numeric(num("67.4%", "67.4"), num("75.4%", "75.4"))
    assert verdict == Verdict(EXCEEDED, "実績 75.4% が目標 67.4% を上回った")


def test_decimal_actual_below_target():
    verdict = numeric(num("75.4%", "75.4"), num("67.4%", "67.4"))
    assert verdict == Verdict(NOT_ACHIEVED, "実績 67.4% が目標 75.4% を下回った")


def test_decimal_values_with_different_scale_are_equal():
    assert numeric(num("10.0", "10.0"), num("10", "10")).mark == ACHIEVED


def test_full_width_text_compared_by_value():
    verdict = numeric(num("１０回", 10), num("１０回", 10))
    assert verdict == Verdict(ACHIEVED, "実績 １０回 が目標 １０回 に達した")


def test_comparison_uses_value_not_text():
    # The text says more than the target, but the value is what counts.
    assert numeric(num("10回", 10), num("99回", 9)).mark == NOT_ACHIEVED


# --- Cumulative KPIs: compared as given --------------------------------------------------------


def test_cumulative_figures_compared_as_printed_above():
    verdict = numeric(num("累計30件", 30), num("累計35件", 35))
    assert verdict == Verdict(EXCEEDED, "実績 累計35件 が目標 累計30件 を上回った")


def test_cumulative_figures_compared_as_printed_below():
    # A yearly increment (15) below the cumulative target is not added up: compared as given.
    verdict = numeric(num("累計30件", 30), num("累計15件", 15))
    assert verdict == Verdict(NOT_ACHIEVED, "実績 累計15件 が目標 累計30件 を下回った")


# --- Numeric target with non-numeric actual -----------------------------------------------------


def test_numeric_target_with_non_numeric_actual_is_not_achieved():
    verdict = numeric(num("10回", 10), txt("未実施"))
    assert verdict == Verdict(NOT_ACHIEVED, "実績 未実施 が数値でなく目標 10回 に届かない")


def test_numeric_kind_with_non_numeric_target_is_scored_qualitatively():
    verdict = score_kpi(kind="numeric", direction="higher", target=txt("導入する"), actual=txt("導入した"))
    assert verdict == Verdict(ACHIEVED, "実績「導入した」が目標「導入する」の完了形（要確認）")


# --- Qualitative KPIs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "actual"),
    [
        ("導入する", "導入した"),
        ("行う", "行った"),
        ("見直す", "見直した"),
        ("進める", "進めた"),
        ("電子申請システムを導入する", "電子申請システムを導入した"),
    ],
)
def test_qualitative_completed_form_is_achieved(target, actual):
    assert qualitative(target, actual) == Verdict(ACHIEVED, f"実績「{actual}」が目標「{target}」の完了形（要確認）")


def test_qualitative_same_text_is_achieved():
    assert qualitative("実施", "実施") == Verdict(ACHIEVED, "実績「実施」が目標「実施」の完了形（要確認）")


def test_qualitative_different_text_is_not_achieved():
    verdict = qualitative("導入する", "検討中")
    assert verdict == Verdict(NOT_ACHIEVED, "実績「検討中」が目標「導入する」の完了形でない（要確認）")


def test_qualitative_different_action_is_not_achieved():
    assert qualitative("導入する", "見直した").mark == NOT_ACHIEVED


@pytest.mark.parametrize(
    ("target", "actual"),
    [("導入する。", "導入した"), ("導入する", "導入した。"), ("導入する。", "導入した。")],
)
def test_qualitative_trailing_period_is_ignored(target, actual):
    assert qualitative(target, actual) == Verdict(ACHIEVED, f"実績「{actual}」が目標「{target}」の完了形（要確認）")


def test_qualitative_surrounding_whitespace_is_ignored():
    verdict = qualitative(" 行う ", "\u3000行った\n")
    assert verdict == Verdict(ACHIEVED, "実績「行った」が目標「行う」の完了形（要確認）")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("導入する", {"導入する", "導入した"}),
        ("行う", {"行う", "行った"}),
        ("見直す", {"見直す", "見直した"}),
        ("進める", {"進める", "進めた", "進めった"}),
        ("書く", {"書く", "書いた"}),
        ("読む", {"読む", "読んだ"}),
        ("導入する。", {"導入する", "導入した"}),
        ("実施", {"実施"}),
        ("", {""}),
    ],
)
def test_completed_forms(target, expected):
    assert completed_forms(target) == expected


# --- Target "－", empty target, empty actual, placeholder ---------------------------------------


def test_dash_target_dash_actual_is_not_applicable():
    assert numeric(txt("－"), txt("－")) == Verdict(NOT_APPLICABLE, "目標が－のため対象外")


@pytest.mark.parametrize("actual", [num("5件", 5), txt("実施した"), txt("")])
def test_dash_target_any_actual_is_not_applicable(actual):
    assert numeric(txt("－"), actual) == Verdict(NOT_APPLICABLE, "目標が－のため対象外")


def test_dash_target_qualitative_is_not_applicable():
    assert qualitative("－", "実施した") == Verdict(NOT_APPLICABLE, "目標が－のため対象外")


@pytest.mark.parametrize("kind", ["numeric", "qualitative"])
def test_empty_target_is_not_evaluated(kind):
    verdict = score_kpi(kind=kind, direction="higher", target=txt(""), actual=num("5", 5))
    assert verdict == Verdict("", "目標が設定されていないため評価しない")


@pytest.mark.parametrize("kind", ["numeric", "qualitative"])
def test_empty_actual_is_not_evaluated(kind):
    verdict = score_kpi(kind=kind, direction="higher", target=num("10", 10), actual=txt("  "))
    assert verdict == Verdict("", "実績が未入力のため評価しない")


def test_placeholder_is_not_evaluated():
    verdict = score_kpi(kind="placeholder", direction="higher", target=txt("増加"), actual=txt("増加した"))
    assert verdict == Verdict("", "目標が未設定の指標のため評価しない")


def test_placeholder_with_numeric_values_is_not_evaluated():
    verdict = score_kpi(kind="placeholder", direction="higher", target=num("10", 10), actual=num("12", 12))
    assert verdict == Verdict("", "目標が未設定の指標のため評価しない")


def test_placeholder_with_dash_target_is_not_evaluated():
    verdict = score_kpi(kind="placeholder", direction="higher", target=txt("－"), actual=txt("－"))
    assert verdict.mark == ""


# --- combine ------------------------------------------------------------------------------------

UP = Verdict(EXCEEDED, "A上回った")
FLAT = Verdict(ACHIEVED, "B達した")
DOWN = Verdict(NOT_ACHIEVED, "C下回った")
NA = Verdict(NOT_APPLICABLE, "目標が－のため対象外")
NONE = Verdict("", "実績が未入力のため評価しない")


@pytest.mark.parametrize("policy", ["net", "worst"])
@pytest.mark.parametrize("verdict", [UP, FLAT, DOWN])
def test_combine_single_kpi_keeps_its_verdict(verdict, policy):
    assert combine([verdict], policy) == verdict


def test_combine_empty_list_is_not_evaluated():
    assert combine([], "net") == Verdict("", "評価できる指標がないため評価しない")


@pytest.mark.parametrize("policy", ["net", "worst"])
def test_combine_all_unevaluated_is_not_evaluated(policy):
    assert combine([NONE, NONE], policy) == Verdict("", "評価できる指標がないため評価しない")


def test_combine_single_not_applicable():
    assert combine([NA], "net") == Verdict(NOT_APPLICABLE, "目標が－のため対象外")


def test_combine_all_not_applicable():
    assert combine([NA, NA], "net") == Verdict(NOT_APPLICABLE, "すべての指標が対象外")


def test_combine_not_applicable_with_unevaluated_is_not_applicable():
    assert combine([NA, NONE], "net") == Verdict(NOT_APPLICABLE, "目標が－のため対象外")


def test_combine_unevaluated_kpi_is_left_out():
    assert combine([NONE, DOWN], "net") == DOWN


def test_combine_single_scored_with_not_applicable_ignored():
    assert combine([NA, UP], "net") == Verdict(EXCEEDED, "A上回った（対象外 1 指標を除く）")


@pytest.mark.parametrize(
    ("verdicts", "mark", "total"),
    [
        ([UP, UP], EXCEEDED, "+2"),
        ([UP, FLAT], EXCEEDED, "+1"),
        ([UP, DOWN], ACHIEVED, "+0"),
        ([FLAT, FLAT], ACHIEVED, "+0"),
        ([UP, DOWN, DOWN], NOT_ACHIEVED, "-1"),
        ([DOWN, FLAT], NOT_ACHIEVED, "-1"),
    ],
)
def test_combine_net_policy(verdicts, mark, total):
    verdict = combine(verdicts, "net")
    assert verdict.mark == mark
    assert f"差引き {total}" in verdict.explanation


def test_combine_net_explanation_exact():
    assert combine([UP, FLAT], "net") == Verdict(EXCEEDED, "2 指標の差引き +1: A上回った / B達した")


def test_combine_net_ignores_not_applicable_and_unevaluated():
    verdict = combine([UP, NA, DOWN, NONE, DOWN], "net")
    assert verdict == Verdict(
        NOT_ACHIEVED, "3 指標の差引き -1（対象外 1 指標を除く）: A上回った / C下回った / C下回った"
    )


def test_combine_worst_policy():
    verdict = combine([UP, FLAT, UP], "worst")
    assert verdict == Verdict(ACHIEVED, "3 指標のうち最も低い評価: A上回った / B達した / A上回った")


def test_combine_worst_policy_not_achieved_wins():
    verdict = combine([UP, UP, DOWN], "worst")
    assert verdict.mark == NOT_ACHIEVED


def test_combine_worst_differs_from_net():
    verdicts = [UP, UP, DOWN]
    assert combine(verdicts, "net").mark == EXCEEDED
    assert combine(verdicts, "worst").mark == NOT_ACHIEVED


def test_combine_worst_ignores_not_applicable():
    verdict = combine([NA, UP, FLAT], "worst")
    assert verdict == Verdict(ACHIEVED, "2 指標のうち最も低い評価（対象外 1 指標を除く）: A上回った / B達した")


def test_combine_long_explanation_is_truncated_to_500():
    long = Verdict(EXCEEDED, "あ" * 400)
    verdict = combine([long, long], "net")
    assert verdict.mark == EXCEEDED
    assert len(verdict.explanation) == 500
    assert verdict.explanation.startswith("2 指標の差引き +2: ")


# --- End to end: score_kpi feeding combine ------------------------------------------------------


def test_score_then_combine_net():
    verdicts = [
        numeric(num("10回", 10), num("12回", 12)),
        qualitative("導入する", "導入した"),
        numeric(txt("－"), txt("－")),
        numeric(txt(""), txt("")),
    ]
    assert combine(verdicts, "net") == Verdict(
        EXCEEDED,
        "2 指標の差引き +1（対象外 1 指標を除く）: 実績 12回 が目標 10回 を上回った"
        " / 実績「導入した」が目標「導入する」の完了形（要確認）",
    )
