"""The achievement engine: the yearly mark of a KPI, and of a measure from its KPIs.

Pure functions over plain values, so every rule is unit-testable without a database. The marks come
from the plan's evaluation scheme (plans.evaluation; the rules are in kpis.evaluation); a plan without one
keeps Noshiro's published practice (DOMAIN.md) and the original wording below. The way KPI marks combine
into a measure mark is the scheme's ``combine`` (the plan's scoring policy by default).
"""

from dataclasses import dataclass
from decimal import Decimal

from kpis.evaluation import DONE, NOT_DONE, Interim, match_qualitative, numeric_grade, plain_number
from plans.evaluation import Level, Scheme, default_scheme

DEFAULT_SCHEME = default_scheme()
NOT_APPLICABLE_TEXTS = frozenset({"－", "-", "ー", "―", "—", "‐", "−"})


@dataclass(frozen=True)
class Cell:
    text: str = ""
    value: Decimal | None = None

    @property
    def empty(self) -> bool:
        return not self.text.strip()

    @property
    def not_applicable(self) -> bool:
        return self.text.strip() in NOT_APPLICABLE_TEXTS


@dataclass(frozen=True)
class Verdict:
    mark: str  # a code of the plan's scheme, or "" when the year is not evaluated (or needs confirmation)
    explanation: str


def score_kpi(
    *,
    kind: str,
    direction: str,
    target: Cell,
    actual: Cell,
    scheme: Scheme = DEFAULT_SCHEME,
    interim: Interim | None = None,
) -> Verdict:
    """The computed mark of one KPI in one fiscal year, with a short explanation in Japanese.

    interim: the derived target of a cumulative KPI in a year before its only printed target
    (kpis.evaluation.interim_target); used when the year prints no target of its own.
    """
    if kind == "placeholder":
        return Verdict("", "目標が未設定の指標のため評価しない")
    if target.empty:
        if interim is not None and kind == "numeric" and not actual.empty:
            return score_against_interim(scheme, direction, interim, actual)
        if not actual.empty and scheme.is_not_evaluable("target_missing"):
            return Verdict(scheme.not_evaluable.code, "目標が設定されていないため評価できない")
        return Verdict("", "目標が設定されていないため評価しない")
    if target.not_applicable:
        if scheme.explicit and actual.empty:
            return Verdict("", "実績が未入力のため評価しない")
        if scheme.is_not_evaluable("target_dash"):
            return Verdict(
                scheme.not_evaluable.code, "目標が－のため評価できない" if scheme.explicit else "目標が－のため対象外"
            )
        return Verdict("", "目標が－のため評価しない")
    if actual.empty:
        return Verdict("", "実績が未入力のため評価しない")
    if kind == "numeric" and target.value is not None:
        if actual.value is None:
            return score_not_numeric(scheme, target, actual)
        return score_numeric(direction, target, actual, scheme)
    return score_qualitative(scheme, target, actual)


def score_not_numeric(scheme: Scheme, target: Cell, actual: Cell, prefix: str = "") -> Verdict:
    a, t = actual.text.strip(), target.text.strip()
    if scheme.is_not_evaluable("actual_dash" if actual.not_applicable else "actual_not_numeric"):
        return Verdict(scheme.not_evaluable.code, f"{prefix}実績 {a} が数値でないため評価できない")
    return Verdict(scheme.lowest.code, f"{prefix}実績 {a} が数値でなく目標 {t} に届かない")


def score_against_interim(scheme: Scheme, direction: str, interim: Interim, actual: Cell) -> Verdict:
    """A cumulative KPI's year judged against the target derived from its later one (shown as derived)."""
    final, value = plain_number(interim.final_value), plain_number(interim.value)
    if interim.mode == "pro_rata":
        prefix = f"{interim.final_fy}年度の累計目標 {final} から按分した中間目標 {value}（導出値）に対し、"
    else:
        prefix = f"{interim.final_fy}年度の累計目標 {final} に対し、"
    target = Cell(value, interim.value)
    if actual.value is None:
        return score_not_numeric(scheme, target, actual, prefix)
    verdict = score_numeric(direction, target, actual, scheme)
    return Verdict(verdict.mark, prefix + verdict.explanation)


def score_numeric(direction: str, target: Cell, actual: Cell, scheme: Scheme = DEFAULT_SCHEME) -> Verdict:
    a, t = actual.text.strip(), target.text.strip()
    grade = numeric_grade(scheme, direction, target.value, actual.value)
    if scheme.explicit and grade.ratio is not None:
        ratio = percent(grade.ratio)
        if direction == "lower":
            reading = f"目標 {t} ÷ 実績 {a} が {ratio}（小さいほど良い指標）"
        else:
            reading = f"実績 {a} が目標 {t} の {ratio}"
        return Verdict(
            grade.level.code,
            f"{reading}: {grade.level.symbol} {grade.level.label}（{bound_text(scheme, grade.level)}）",
        )
    level = grade.level
    if level == scheme.levels[0]:
        verb = "を下回った（小さいほど良い指標）" if direction == "lower" else "を上回った"
    elif level == scheme.target_level:
        verb = "に達した"
    else:
        verb = "を上回った（小さいほど良い指標）" if direction == "lower" else "を下回った"
    suffix = f": {level.symbol} {level.label}" if scheme.explicit else ""
    return Verdict(level.code, f"実績 {a} が目標 {t} {verb}{suffix}")


def percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal('0.1'))}%"


def bound_text(scheme: Scheme, level: Level) -> str:
    """95%以上, 100%超, or for the last level 95%未満: the level's range of actual ÷ target."""
    if level.min_ratio is not None:
        return f"{percent(level.min_ratio)}{'超' if level.exclusive else '以上'}"
    above = scheme.levels[-2]
    return f"{percent(above.min_ratio)}{'以下' if above.exclusive else '未満'}"


def score_qualitative(scheme: Scheme, target: Cell, actual: Cell) -> Verdict:
    """A milestone KPI: a suggestion that staff confirm or change (kpis.evaluation.match_qualitative)."""
    a, t = actual.text.strip(), target.text.strip()
    match = match_qualitative(target.text, actual.text)
    if match.outcome == DONE:
        reading = "の完了形" if match.rule == "verb" else "の完了を示す"
        return Verdict(scheme.target_level.code, f"実績「{a}」が目標「{t}」{reading}（要確認）")
    if not scheme.explicit:
        # The original suggestion: anything but a completion is ↘, for staff to confirm.
        return Verdict(scheme.lowest.code, f"実績「{a}」が目標「{t}」の完了形でない（要確認）")
    if match.outcome == NOT_DONE:
        return Verdict(scheme.lowest.code, f"実績「{a}」は目標「{t}」が未了であることを示す（要確認）")
    return Verdict("", f"要確認: 実績「{a}」から目標「{t}」の達成を判定できない（評価なし）")


def combine(kpi_verdicts: list[Verdict], policy: str, scheme: Scheme = DEFAULT_SCHEME) -> Verdict:
    """The measure's mark from its KPIs' final marks in one year (mark '' = not evaluated)."""
    evaluated = [v for v in kpi_verdicts if v.mark]
    if not evaluated:
        return Verdict("", "評価できる指標がないため評価しない")
    excluded = scheme.not_evaluable.code if scheme.not_evaluable else None
    word = scheme.not_evaluable.label if scheme.explicit and scheme.not_evaluable else "対象外"
    scored = [v for v in evaluated if v.mark != excluded]
    if not scored:
        if len(evaluated) == 1:
            return Verdict(excluded, "目標が－のため対象外" if not scheme.explicit else evaluated[0].explanation)
        return Verdict(excluded, f"すべての指標が{word}")
    ignored = len(evaluated) - len(scored)
    note = f"（{word} {ignored} 指標を除く）" if ignored else ""
    details = " / ".join(v.explanation for v in scored)
    if len(scored) == 1:
        return Verdict(scored[0].mark, f"{details}{note}")
    if policy == "worst":
        worst = max(scored, key=lambda v: scheme.rank(v.mark))
        return Verdict(worst.mark, f"{len(scored)} 指標のうち最も低い評価{note}: {details}"[:500])
    best, middle, last = (level.code for level in scheme.levels)
    score = {best: 1, middle: 0, last: -1}
    total = sum(score[v.mark] for v in scored)
    mark = best if total > 0 else middle if total == 0 else last
    return Verdict(mark, f"{len(scored)} 指標の差引き {total:+d}{note}: {details}"[:500])
