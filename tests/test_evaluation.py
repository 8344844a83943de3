"""Evaluation schemes (plans.evaluation) and the grading rules (kpis.evaluation): pure functions, no database."""

import itertools
import random
from dataclasses import astuple
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpis.engine import Cell, Verdict, combine, score_kpi
from kpis.evaluation import (
    DONE,
    NOT_DONE,
    UNKNOWN,
    interim_target,
    match_qualitative,
    numeric_grade,
    plain_number,
)
from plans.evaluation import (
    SchemeError,
    count_levels,
    default_scheme,
    parse_scheme,
    percentages,
    scheme_errors,
    validate_evaluation,
)

A_TO_D = {
    "unit": "kpi",
    "levels": [
        {"code": "a", "symbol": "A", "label": "目標より進んでいる", "min_ratio": 1.10},
        {"code": "b", "symbol": "B", "label": "目標どおり", "min_ratio": 0.95},
        {"code": "c", "symbol": "C", "label": "目標より遅れている"},
    ],
    "not_evaluable": {"code": "d", "symbol": "D", "label": "評価できない"},
    "cumulative_interim": "pro_rata",
}
THREE_MARKS = {  # ◎ ○ △ per measure, the worst KPI decides
    "levels": [
        {"code": "double_circle", "symbol": "◎", "label": "達成", "min_ratio": 1},
        {"code": "circle", "symbol": "○", "label": "概ね達成", "min_ratio": 0.8},
        {"code": "triangle", "symbol": "△", "label": "未達成"},
    ],
    "combine": "worst",
}
FOUR_LEVELS = {
    "unit": "kpi",
    "levels": [
        {"code": "s", "symbol": "S", "label": "大きく上回った", "min_ratio": 1.2},
        {"code": "a", "symbol": "A", "label": "達成", "min_ratio": 1},
        {"code": "b", "symbol": "B", "label": "概ね達成", "min_ratio": 0.7},
        {"code": "c", "symbol": "C", "label": "未達成"},
    ],
}
SIX_LEVELS = {
    "unit": "kpi",
    "levels": [
        {"code": "l1", "symbol": "5", "label": "150%以上", "min_ratio": 1.5},
        {"code": "l2", "symbol": "4", "label": "100%以上", "min_ratio": 1},
        {"code": "l3", "symbol": "3", "label": "80%以上", "min_ratio": 0.8},
        {"code": "l4", "symbol": "2", "label": "50%以上", "min_ratio": 0.5},
        {"code": "l5", "symbol": "1", "label": "0%超", "min_ratio": 0, "exclusive": True},
        {"code": "l6", "symbol": "0", "label": "実績なし"},
    ],
}


def grade(scheme, target, actual, direction="higher"):
    return numeric_grade(scheme, direction, Decimal(target), Decimal(actual)).level.code


# --- the default scheme is today's engine --------------------------------------------------------

NUMBERS = ["-5", "-0.5", "0", "0.5", "1", "2", "10", "10.00", "100"]


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_default_scheme_grades_every_pair_as_the_engine_always_did(direction):
    scheme = default_scheme()
    for target, actual in itertools.product(NUMBERS, NUMBERS):
        t, a = Decimal(target), Decimal(actual)
        engine = score_kpi(kind="numeric", direction=direction, target=Cell(target, t), actual=Cell(actual, a))
        assert grade(scheme, target, actual, direction) == engine.mark, (target, actual)


def test_default_scheme_legend_is_the_noshiro_legend():
    scheme = default_scheme("worst")
    assert [(e["code"], e["symbol"]) for e in scheme.legend()] == [
        ("exceeded", "↗"),
        ("achieved", "→"),
        ("not_achieved", "↘"),
        ("not_applicable", "－"),
    ]
    assert (scheme.unit, scheme.combine, scheme.cumulative_interim, scheme.explicit) == (
        "measure",
        "worst",
        "none",
        False,
    )
    assert parse_scheme(None, scoring_policy="worst") == scheme
    assert parse_scheme({}) == default_scheme()


# --- bands ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "code"),
    [("94.99", "c"), ("95", "b"), ("95.0000", "b"), ("100", "b"), ("109.99", "b"), ("110", "a"), ("250", "a")],
)
def test_band_boundaries_are_inclusive_at_exactly_095_and_110(actual, code):
    assert grade(parse_scheme(A_TO_D), "100", actual) == code


def test_band_boundaries_hold_for_ratios_that_are_not_round_numbers():
    scheme = parse_scheme(A_TO_D)
    assert grade(scheme, "1.9", "1.805") == "b"  # 1.805 / 1.9 = 0.95 exactly
    assert grade(scheme, "1.9", "1.8049") == "c"
    assert grade(scheme, "30", "33") == "a"  # 1.1
    assert grade(scheme, "30", "32.99") == "b"


def test_band_ratio_is_reported():
    assert numeric_grade(parse_scheme(A_TO_D), "higher", Decimal(20), Decimal(19)).ratio == Decimal("0.95")


@pytest.mark.parametrize(
    ("target", "actual", "code"),
    [
        ("100", "90", "a"),  # 100 / 90 = 1.11
        ("110", "100", "a"),  # exactly 1.10
        ("100", "100", "b"),
        ("95", "100", "b"),  # exactly 0.95
        ("94.99", "100", "c"),
        ("100", "0", "a"),  # nothing left of what should shrink: better than any target
        ("0", "0", "b"),
        ("0", "1", "c"),
    ],
)
def test_lower_is_better_inverts_the_ratio(target, actual, code):
    assert grade(parse_scheme(A_TO_D), target, actual, "lower") == code


def test_a_target_of_zero_is_judged_by_the_difference():
    scheme = parse_scheme(A_TO_D)
    assert (grade(scheme, "0", "0"), grade(scheme, "0", "3"), grade(scheme, "0", "-1")) == ("b", "a", "c")


def test_three_level_scheme():
    scheme = parse_scheme(THREE_MARKS)
    assert [grade(scheme, "10", a) for a in ["12", "10", "9", "8", "7.99", "0"]] == [
        "double_circle",
        "double_circle",
        "circle",
        "circle",
        "triangle",
        "triangle",
    ]


def test_four_level_scheme():
    scheme = parse_scheme(FOUR_LEVELS)
    assert [grade(scheme, "50", a) for a in ["60", "59", "50", "35", "34.9"]] == ["s", "a", "a", "b", "c"]


def test_six_level_scheme_with_an_exclusive_bound():
    scheme = parse_scheme(SIX_LEVELS)
    actuals = ["150", "149", "100", "80", "79", "50", "49", "0.01", "0"]
    assert [grade(scheme, "100", a) for a in actuals] == ["l1", "l2", "l2", "l3", "l4", "l4", "l5", "l5", "l6"]


# --- cumulative targets --------------------------------------------------------------------------


def interim(scheme=A_TO_D, *, fy, targets, baseline=(None, None), cumulative=True, start=2023):
    return interim_target(
        scheme=parse_scheme(scheme),
        cumulative=cumulative,
        fiscal_year=fy,
        targets={year: Decimal(value) for year, value in targets.items()},
        baseline_value=None if baseline[0] is None else Decimal(baseline[0]),
        baseline_fy=baseline[1],
        plan_start_fy=start,
    )


def test_pro_rata_without_a_baseline_runs_from_zero_in_the_plans_first_year():
    # 75人(累計) printed for FY2027 only, plan 2023–2027.
    values = [interim(fy=fy, targets={2027: 75}).value for fy in (2023, 2024, 2025, 2026)]
    assert values == [Decimal(0), Decimal("18.75"), Decimal("37.5"), Decimal("56.25")]
    found = interim(fy=2025, targets={2027: 75})
    assert (found.mode, found.final_value, found.final_fy, found.base_value, found.base_fy) == (
        "pro_rata",
        Decimal(75),
        2027,
        Decimal(0),
        2023,
    )


def test_pro_rata_with_a_baseline_runs_from_the_baseline():
    # baseline 30 in FY2022, 90 by FY2026: 30 + 60 × (2024 − 2022) ÷ 4 = 60
    assert interim(fy=2024, targets={2026: 90}, baseline=("30", 2022)).value == Decimal(60)
    assert interim(fy=2023, targets={2026: 90}, baseline=("30", 2022)).value == Decimal(45)


def test_pro_rata_needs_both_baseline_value_and_year():
    assert interim(fy=2024, targets={2027: 75}, baseline=("30", None)).value == Decimal("18.75")


def test_final_judges_earlier_years_against_the_later_target():
    scheme = {**A_TO_D, "cumulative_interim": "final"}
    assert interim(scheme, fy=2024, targets={2027: 75}).value == Decimal(75)


@pytest.mark.parametrize(
    "case",
    [
        {"fy": 2024, "targets": {2027: 75}, "cumulative": False},  # not cumulative
        {"fy": 2024, "targets": {2024: 20, 2027: 75}},  # a target is printed for the year
        {"fy": 2025, "targets": {2023: 10, 2027: 75}},  # an earlier target is printed: not "only later"
        {"fy": 2027, "targets": {2027: 75}},  # the target year itself
        {"fy": 2024, "targets": {}},  # no target at all
        {"fy": 2022, "targets": {2026: 90}, "baseline": ("30", 2021)},  # before the plan's first year
    ],
)
def test_no_interim_target(case):
    assert interim(**case) is None


def test_the_default_scheme_derives_no_interim_target():
    assert interim(None, fy=2024, targets={2027: 75}) is None


def test_a_derived_target_is_shown_with_at_most_two_decimals():
    assert [plain_number(Decimal(v)) for v in ["45", "45.50", "18.75", "33.3333333"]] == [
        "45",
        "45.5",
        "18.75",
        "33.33",
    ]


# --- qualitative targets: the supported phrasings (the table in kpis/evaluation.py) --------------

PHRASINGS = [
    # verb-form targets (the original rule)
    ("導入する", "導入した", DONE, "verb"),
    ("ポリシーを見直す", "ポリシーを見直した", DONE, "verb"),
    ("更新作業を行う", "更新作業を行った。", DONE, "verb"),
    # noun-form targets
    ("マニュアルの運用、見直し", "運用した。見直しを行った", DONE, "noun"),
    ("マニュアルの運用、見直し", "マニュアルを運用し、見直した", DONE, "noun"),
    ("マニュアルの運用・見直し", "運用している。見直した", DONE, "noun"),
    ("マニュアルの運用、見直し", "運用した", UNKNOWN, ""),  # only one of the two actions
    ("ＡＩチャットボットの導入", "導入済み", DONE, "noun"),
    ("ＡＩチャットボットの導入", "ＡＩチャットボットを導入した", DONE, "noun"),
    ("ＡＩチャットボットの導入", "導入を完了した", DONE, "noun"),
    ("システム導入", "導入しました", DONE, "noun"),
    ("研修の実施", "研修を実施した", DONE, "noun"),
    ("研修の実施", "年3回実施した", DONE, "noun"),
    ("電子申請の運用", "運用を開始した", DONE, "noun"),
    ("計画の見直し", "見直した", DONE, "noun"),
    ("計画の見直し", "見直しを行いました", DONE, "noun"),
    ("庁内ネットワークの無線化", "無線化が完了した", DONE, "noun"),
    # completion words on their own
    ("研修の実施", "実施", DONE, "generic"),
    ("システムの導入", "完了", DONE, "generic"),
    ("仕様を決定する", "実施済み", DONE, "generic"),
    # stated as not done
    ("研修の実施", "未実施", NOT_DONE, "negative"),
    ("システムの導入", "導入していない", NOT_DONE, "negative"),
    ("システムの導入", "予算の都合により見送った", NOT_DONE, "negative"),
    ("導入する範囲を見直す", "導入を取りやめた", NOT_DONE, "negative"),
    # no rule fits: needs confirmation
    ("システムの導入", "仕様を決定した", UNKNOWN, ""),
    ("イベントの実施", "イベントを検討した", UNKNOWN, ""),
    ("仕様を決定する", "移行計画を見直した", UNKNOWN, ""),
    ("点検する", "一部点検を行った", UNKNOWN, ""),
]


@pytest.mark.parametrize(("target", "actual", "outcome", "rule"), PHRASINGS)
def test_qualitative_phrasings(target, actual, outcome, rule):
    match = match_qualitative(target, actual)
    assert (match.outcome, match.rule) == (outcome, rule)


# --- validating a scheme -------------------------------------------------------------------------


def levels(*bounds, codes="abcdef"):
    result = [{"code": code, "symbol": code.upper(), "label": code} for code in codes[: len(bounds) + 1]]
    for level, bound in zip(result, bounds, strict=False):
        level["min_ratio"] = bound
    return result


@pytest.mark.parametrize(
    ("mutate", "key", "message"),
    [
        (lambda s: s.update(unit="target"), "evaluation.unit", '"target" は使えません（使える値: "measure"、"kpi"）'),
        (
            lambda s: s.update(cumulative_interim="linear"),
            "evaluation.cumulative_interim",
            '"linear" は使えません（使える値: "pro_rata"、"final"、"none"）',
        ),
        (lambda s: s.update(combine="best"), "evaluation.combine", '"best" は使えません（使える値: "net"、"worst"）'),
        (
            lambda s: s.update(legend=[]),
            "evaluation.legend",
            '"legend" は使えないキーです（使えるキー: "unit"、"levels"、"not_evaluable"、"cumulative_interim"、"combine"）',
        ),
        (
            lambda s: s.update(levels=levels()),
            "evaluation.levels",
            "評価の段階は 2～6 個を良い順に並べてください（1 個）",
        ),
        (
            lambda s: s.update(levels=levels(6, 5, 4, 3, 2, 1, codes="abcdefg")),
            "evaluation.levels",
            "評価の段階は 2～6 個を良い順に並べてください（7 個）",
        ),
        (lambda s: s.pop("levels"), "evaluation.levels", "評価の段階は 2～6 個を良い順に並べてください（ありません）"),
        (
            lambda s: s["levels"][0].update(code="A"),
            "evaluation.levels[0].code",
            '"A" は使えません（code は英小文字で始まる 16 文字までの英小文字・数字・_）',
        ),
        (
            lambda s: s["levels"][1].update(code="a"),
            "evaluation.levels[1].code",
            '"a" が重複しています（code は段階ごとに別の値）',
        ),
        (
            lambda s: s["not_evaluable"].update(code="c"),
            "evaluation.not_evaluable.code",
            '"c" が重複しています（code は段階ごとに別の値）',
        ),
        (
            lambda s: s["levels"][0].pop("min_ratio"),
            "evaluation.levels[0].min_ratio",
            "最後以外の段階には min_ratio（実績÷目標の下限、0 以上の数）が必要です",
        ),
        (
            lambda s: s["levels"][2].update(min_ratio=0.5),
            "evaluation.levels[2].min_ratio",
            "最後の段階には min_ratio を書きません（それ未満のすべてが入ります）",
        ),
        (
            lambda s: s["levels"][1].update(min_ratio=1.2),
            "evaluation.levels[1].min_ratio",
            "min_ratio は良い順に小さくしてください（前の段階は 1.1）",
        ),
        (
            lambda s: s["levels"][1].update(label=""),
            "evaluation.levels[1].label",
            "label（表示する記号・説明）が必要です",
        ),
        (
            lambda s: s["not_evaluable"].update(cases=["target_dash", "late"]),
            "evaluation.not_evaluable.cases",
            '"late" は使えません（使える値: "target_dash"、"target_missing"、"actual_dash"、"actual_not_numeric"）',
        ),
        (
            lambda s: s.update(unit="measure", combine="net", levels=levels(1, codes="ab")),
            "evaluation.combine",
            '"net"（差引き）は 3 段階の評価でだけ使えます（2 段階には "worst" を）',
        ),
    ],
)
def test_scheme_errors_name_the_key_and_the_allowed_values(mutate, key, message):
    scheme = {
        **A_TO_D,
        "levels": [dict(level) for level in A_TO_D["levels"]],
        "not_evaluable": {**A_TO_D["not_evaluable"]},
    }
    mutate(scheme)
    assert (key, message) in scheme_errors(scheme)
    with pytest.raises(SchemeError):
        parse_scheme(scheme)


@pytest.mark.parametrize("scheme", [A_TO_D, THREE_MARKS, FOUR_LEVELS, SIX_LEVELS])
def test_valid_schemes_have_no_errors(scheme):
    assert scheme_errors(scheme) == []


def test_the_same_bound_may_repeat_once_strict_then_inclusive():
    assert scheme_errors({"levels": levels(1, 1, codes="abc")}) == [
        ("evaluation.levels[1].min_ratio", "min_ratio は良い順に小さくしてください（前の段階は 1）")
    ]
    strict = levels(1, 1, codes="abc")
    strict[0]["exclusive"] = True
    assert scheme_errors({"levels": strict}) == []


def test_all_errors_are_reported_at_once():
    errors = scheme_errors({"unit": "x", "levels": [{"code": "A", "symbol": "A", "label": "a"}, "b"]})
    assert [key for key, _ in errors] == [
        "evaluation.unit",
        "evaluation.levels[0].code",
        "evaluation.levels[0].min_ratio",
        "evaluation.levels[1]",
    ]


def test_the_field_validator_raises_the_same_messages():
    with pytest.raises(ValidationError) as raised:
        validate_evaluation({**A_TO_D, "unit": "target"})
    assert raised.value.messages == ['evaluation.unit: "target" は使えません（使える値: "measure"、"kpi"）']
    validate_evaluation(None)
    validate_evaluation(A_TO_D)


def test_not_evaluable_cases_default_to_all():
    scheme = parse_scheme(A_TO_D)
    assert scheme.codes == ["a", "b", "c", "d"]
    assert all(scheme.is_not_evaluable(case) for case in ("target_dash", "target_missing", "actual_dash"))
    assert not parse_scheme(THREE_MARKS).is_not_evaluable("target_dash")
    assert default_scheme().is_not_evaluable("target_dash")
    assert not default_scheme().is_not_evaluable("actual_not_numeric")


# --- counting ------------------------------------------------------------------------------------


def test_count_levels_lists_every_code_in_legend_order_and_skips_unmarked():
    counts = count_levels(parse_scheme(A_TO_D), ["c", "", "a", "a", "d", ""])
    assert list(counts.items()) == [("a", 2), ("b", 0), ("c", 1), ("d", 1)]


def test_percentages_of_5_10_4_are_26_3_52_6_21_1():
    shares = percentages({"a": 5, "b": 10, "c": 4})
    assert shares == {"a": Decimal("26.3"), "b": Decimal("52.6"), "c": Decimal("21.1")}
    assert sum(shares.values()) == Decimal("100.0")


def test_percentages_always_sum_to_100():
    rng = random.Random(17)
    for _ in range(500):
        counts = {code: rng.randint(0, 40) for code in "abcdef"[: rng.randint(2, 6)]}
        if not sum(counts.values()):
            continue
        shares = percentages(counts)
        assert sum(shares.values()) == Decimal("100.0"), counts
        for code, n in counts.items():
            assert abs(shares[code] - Decimal(n) * 100 / sum(counts.values())) < Decimal("0.1")


def test_percentages_ties_go_to_the_better_level_and_nothing_gives_zeros():
    assert percentages({"a": 1, "b": 1, "c": 1}) == {"a": Decimal("33.4"), "b": Decimal("33.3"), "c": Decimal("33.3")}
    assert percentages({"a": 0, "b": 0}) == {"a": Decimal("0.0"), "b": Decimal("0.0")}
    assert percentages({"a": 0, "b": 3}) == {"a": Decimal("0.0"), "b": Decimal("100.0")}


# --- D 評価できない and the other outcomes of the engine under a scheme ----------------------------


def score(scheme, target, actual, kind="numeric", interim=None) -> tuple[str, str]:
    verdict = score_kpi(
        kind=kind, direction="higher", target=target, actual=actual, scheme=parse_scheme(scheme), interim=interim
    )
    return verdict.mark, verdict.explanation


HUNDRED = Cell("100件", Decimal(100))


@pytest.mark.parametrize(
    ("target", "actual", "mark", "explanation"),
    [
        (Cell(""), Cell("95件", Decimal(95)), "d", "目標が設定されていないため評価できない"),
        (Cell("－"), Cell("－"), "d", "目標が－のため評価できない"),
        (Cell("－"), Cell("実施した"), "d", "目標が－のため評価できない"),
        (HUNDRED, Cell("－"), "d", "実績 － が数値でないため評価できない"),
        (HUNDRED, Cell("集計中"), "d", "実績 集計中 が数値でないため評価できない"),
        # not entered yet: no mark, whatever the target
        (HUNDRED, Cell(""), "", "実績が未入力のため評価しない"),
        (Cell("－"), Cell(""), "", "実績が未入力のため評価しない"),
        (Cell(""), Cell(""), "", "目標が設定されていないため評価しない"),
    ],
)
def test_not_evaluable_cases(target, actual, mark, explanation):
    assert score(A_TO_D, target, actual) == (mark, explanation)


def test_not_evaluable_only_in_the_cases_the_scheme_names():
    scheme = {**A_TO_D, "not_evaluable": {**A_TO_D["not_evaluable"], "cases": ["target_dash"]}}
    assert score(scheme, Cell("－"), Cell("－"))[0] == "d"
    assert score(scheme, HUNDRED, Cell("集計中")) == ("c", "実績 集計中 が数値でなく目標 100件 に届かない")
    assert score(scheme, Cell(""), Cell("95件", Decimal(95))) == ("", "目標が設定されていないため評価しない")


def test_a_scheme_without_not_evaluable_gives_no_mark_where_d_would_be():
    assert score(THREE_MARKS, Cell("－"), Cell("－")) == ("", "目標が－のため評価しない")
    assert score(THREE_MARKS, HUNDRED, Cell("集計中"))[0] == "triangle"


def test_the_default_scheme_keeps_its_not_applicable_and_its_wording():
    assert score(None, Cell("－"), Cell("")) == ("not_applicable", "目標が－のため対象外")
    assert score(None, HUNDRED, Cell("－")) == ("not_achieved", "実績 － が数値でなく目標 100件 に届かない")
    assert score(None, Cell(""), Cell("95件", Decimal(95))) == ("", "目標が設定されていないため評価しない")


def test_qualitative_needs_confirmation_under_a_scheme_but_is_a_suggested_arrow_by_default():
    target, actual = Cell("システムの導入"), Cell("仕様を決定した")
    assert score(A_TO_D, target, actual, "qualitative") == (
        "",
        "要確認: 実績「仕様を決定した」から目標「システムの導入」の達成を判定できない（評価なし）",
    )
    assert score(None, target, actual, "qualitative") == (
        "not_achieved",
        "実績「仕様を決定した」が目標「システムの導入」の完了形でない（要確認）",
    )
    assert score(A_TO_D, target, Cell("導入済み"), "qualitative")[0] == "b"
    assert score(None, target, Cell("導入済み"), "qualitative") == (
        "achieved",
        "実績「導入済み」が目標「システムの導入」の完了を示す（要確認）",
    )
    assert score(A_TO_D, target, Cell("未導入"), "qualitative")[0] == "c"


def test_an_interim_target_is_used_and_shown_as_derived():
    found = interim(fy=2024, targets={2027: 75})
    verdict = score(A_TO_D, Cell(""), Cell("18人", Decimal(18)), interim=found)
    assert verdict == (
        "b",
        "2027年度の累計目標 75 から按分した中間目標 18.75（導出値）に対し、"
        "実績 18人 が目標 18.75 の 96.0%: B 目標どおり（95.0%以上）",
    )
    final = interim({**A_TO_D, "cumulative_interim": "final"}, fy=2024, targets={2027: 75})
    assert score(A_TO_D, Cell(""), Cell("18人", Decimal(18)), interim=final) == (
        "c",
        "2027年度の累計目標 75 に対し、実績 18人 が目標 75 の 24.0%: C 目標より遅れている（95.0%未満）",
    )


# --- a measure's mark from its KPIs under a scheme -------------------------------------------------


def verdicts(*codes):
    return [Verdict(code, f"KPI {i}") for i, code in enumerate(codes)]


def test_combine_net_uses_the_schemes_three_levels():
    scheme = parse_scheme({**THREE_MARKS, "combine": "net"})
    assert combine(verdicts("double_circle", "triangle", "circle"), "net", scheme).mark == "circle"
    assert combine(verdicts("double_circle", "double_circle", "triangle"), "net", scheme).mark == "double_circle"


def test_combine_worst_takes_the_lowest_level_of_any_scheme():
    scheme = parse_scheme({**FOUR_LEVELS, "unit": "measure", "combine": "worst"})
    assert astuple(combine(verdicts("s", "b", "a"), "worst", scheme)) == (
        "b",
        "3 指標のうち最も低い評価: KPI 0 / KPI 1 / KPI 2",
    )


def test_combine_leaves_d_out_and_says_so_with_its_label():
    scheme = parse_scheme({**A_TO_D, "unit": "measure", "combine": "worst"})
    assert astuple(combine(verdicts("a", "d"), "worst", scheme)) == ("a", "KPI 0（評価できない 1 指標を除く）")
    assert astuple(combine(verdicts("d", "d"), "worst", scheme)) == ("d", "すべての指標が評価できない")
