"""Grading a KPI's year under a plan's evaluation scheme (plans.evaluation): the rules, as pure functions.

kpis/engine.py applies them (score_kpi, combine) and words the explanation; this module decides.

Numeric KPIs (``numeric_grade``): the first level whose bound admits actual ÷ target (target ÷ actual when
smaller is better). Where that ratio means nothing (a target of 0 or below; an actual of 0 or below for a
smaller-is-better KPI) the sign of the difference decides: better = above every bound, equal = 1, worse =
below every bound; so the default scheme is exactly "↗ above, → equal, ↘ below" for any numbers.
Bounds are compared by cross-multiplication, so 95 of 100 is exactly 0.95.

Cumulative KPIs (``interim_target``): in a year before the only printed target, "pro_rata" judges against
base + (final − base) × (fy − base_fy) ÷ (final_fy − base_fy), base/base_fy being the KPI's baseline value
and year (both must be known) or 0 and the plan's first fiscal year; "final" against the later target
itself; "none" (the default) not at all.

Qualitative KPIs (``match_qualitative``): is the actual a statement that the target was done? Rules, tried
in this order (texts compared without surrounding spaces and a final 。):

| Rule | Target (目標) | Actual (実績) that fits | Outcome |
|---|---|---|---|
| verb | a verb: 導入する, 見直す, 更新作業を行う | exactly its past form: 導入した, 見直した, 更新作業を行った | done |
| negative | any | contains 未実施, 未導入, 未着手, 未完了, 未達成, 取りやめ, 取り止め, 中止, 見送, 延期, or していない / しなかった / できなかった / していません / しませんでした | not done |
| generic | any | exactly 完了, 完了した, 実施, 実施した, 実施済み, 済み, 済, 達成, 達成した | done |
| noun | nouns after the last の, joined by 、 ・ 及び: マニュアルの運用、見直し / システムの導入 / 研修の実施; without の a known action at the end: システム導入 | for every action N: N + した / し、 / しました / している / を行った / を行いました / を実施した / を完了した / が完了した / を開始した / 済み / 済 / 完了; N ending in し also N − し + した (見直し → 見直した) | done; only some actions: no rule fits |
| — | anything else (仕様を決定した for システムの導入) | | no rule fits: needs confirmation |

A scheme of the plan's own gives "needs confirmation" no mark; the default scheme keeps the portal's
original suggestion (↘ with 要確認) so existing plans' marks do not move.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from plans.evaluation import Level, Scheme

# --- numeric -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumericGrade:
    level: Level
    ratio: Decimal | None  # actual ÷ target (inverted for lower-is-better); None where it means nothing


def numeric_grade(scheme: Scheme, direction: str, target: Decimal, actual: Decimal) -> NumericGrade:
    numerator, denominator = (target, actual) if direction == "lower" else (actual, target)
    if denominator > 0:
        for level in scheme.levels:
            if admits(level, numerator, denominator):
                return NumericGrade(level, numerator / denominator)
    difference = actual - target if direction != "lower" else target - actual
    ratio = Decimal(1) if difference == 0 else None
    if difference > 0:
        return NumericGrade(scheme.levels[0], None)
    if difference == 0:
        return NumericGrade(scheme.target_level, ratio)
    return NumericGrade(scheme.lowest, None)


def admits(level: Level, numerator: Decimal, denominator: Decimal) -> bool:
    """numerator ÷ denominator within the level's bound, without dividing (denominator > 0)."""
    if level.min_ratio is None:
        return True
    bound = level.min_ratio * denominator
    return numerator > bound if level.exclusive else numerator >= bound


# --- cumulative ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interim:
    """The target a cumulative KPI's year is judged against when the plan prints it only for later."""

    value: Decimal
    mode: str  # "pro_rata" or "final"
    final_value: Decimal
    final_fy: int
    base_value: Decimal
    base_fy: int


def interim_target(
    *,
    scheme: Scheme,
    cumulative: bool,
    fiscal_year: int,
    targets: dict[int, Decimal],
    baseline_value: Decimal | None,
    baseline_fy: int | None,
    plan_start_fy: int,
) -> Interim | None:
    """The derived target of fiscal_year, or None (not cumulative, a target printed up to this year, a
    year before the plan's first, …).

    targets: the KPI's numeric targets by fiscal year (years printing none, or －, left out).
    """
    if scheme.cumulative_interim == "none" or not cumulative or fiscal_year < plan_start_fy:
        return None
    if any(fy <= fiscal_year for fy in targets):
        return None
    later = sorted(fy for fy in targets if fy > fiscal_year)
    if not later:
        return None
    final_fy, final_value = later[0], targets[later[0]]
    if baseline_value is not None and baseline_fy is not None:
        base_value, base_fy = baseline_value, baseline_fy
    else:
        base_value, base_fy = Decimal(0), plan_start_fy
    if scheme.cumulative_interim == "final":
        return Interim(final_value, "final", final_value, final_fy, base_value, base_fy)
    if not base_fy <= fiscal_year < final_fy:
        return None
    value = base_value + (final_value - base_value) * (fiscal_year - base_fy) / (final_fy - base_fy)
    return Interim(value, "pro_rata", final_value, final_fy, base_value, base_fy)


def plain_number(value: Decimal) -> str:
    """45, 45.5 or 33.33: how a derived target is shown (at most two decimals, no trailing zeros)."""
    rounded = value.quantize(Decimal("0.01"))
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- qualitative ---------------------------------------------------------------------------------

DONE, NOT_DONE, UNKNOWN = "done", "not_done", "unknown"


@dataclass(frozen=True)
class Match:
    outcome: str  # DONE, NOT_DONE or UNKNOWN
    rule: str  # "negative", "verb", "generic", "noun", or "" when no rule fits


# Dictionary-form endings and their past forms (godan and ichidan verbs; する is handled apart).
PAST_ENDINGS = {
    "う": ["った"],
    "つ": ["った"],
    "る": ["た", "った"],
    "す": ["した"],
    "く": ["いた"],
    "ぐ": ["いだ"],
    "む": ["んだ"],
    "ぶ": ["んだ"],
    "ぬ": ["んだ"],
}


def completed_forms(target: str) -> set[str]:
    """The completed (past) forms of a planned action: 導入する → 導入した, 行う → 行った, 見直す → 見直した."""
    target = target.strip().rstrip("。")
    forms = {target}
    if target.endswith("する"):
        forms.add(target[:-2] + "した")
    elif target and target[-1] in PAST_ENDINGS:
        forms.update(target[:-1] + past for past in PAST_ENDINGS[target[-1]])
    return forms


GENERIC_DONE = frozenset({"完了", "完了した", "実施", "実施した", "実施済み", "済み", "済", "達成", "達成した"})
NEGATIVE_WORDS = ("未実施", "未導入", "未着手", "未完了", "未達成", "取りやめ", "取り止め", "中止", "見送", "延期")
NEGATIVE_ENDINGS = ("していない", "しなかった", "できなかった", "していません", "しませんでした")
DONE_ENDINGS = (
    "した",
    "し、",
    "しました",
    "している",
    "を行った",
    "を行いました",
    "を実施した",
    "を完了した",
    "が完了した",
    "を開始した",
    "済み",
    "済",
    "完了",
)
# Actions a target may end in without の (システム導入); after の any noun counts as the action.
ACTION_NOUNS = (
    "導入",
    "実施",
    "運用",
    "見直し",
    "構築",
    "整備",
    "更新",
    "作成",
    "策定",
    "開始",
    "開催",
    "設置",
    "公開",
    "配信",
    "移行",
    "検討",
    "周知",
    "改修",
    "統合",
)
ACTION_SEPARATORS = re.compile(r"[、・，,]|及び|および")


def clean(text: str) -> str:
    return text.strip().rstrip("。").strip()


def target_actions(target: str) -> list[str]:
    """The actions a noun-form target names: マニュアルの運用、見直し → [運用, 見直し]; システム導入 → [導入]."""
    if "の" in target:
        tail = target.rsplit("の", 1)[1]
        return [part.strip() for part in ACTION_SEPARATORS.split(tail) if part.strip()]
    return [noun for noun in ACTION_NOUNS if target.endswith(noun)][:1]


def action_done(action: str, actual: str) -> bool:
    phrases = [action + ending for ending in DONE_ENDINGS]
    if action.endswith("し"):
        phrases.append(action[:-1] + "した")
    return any(phrase in actual for phrase in phrases)


def is_verb_form(target: str) -> bool:
    return target.endswith("する") or target[-1:] in PAST_ENDINGS


def match_qualitative(target_text: str, actual_text: str) -> Match:
    """Does the actual say the target was done? See the table in the module docstring."""
    target, actual = clean(target_text), clean(actual_text)
    actions = [] if is_verb_form(target) else target_actions(target)
    if actual in completed_forms(target):
        return Match(DONE, "verb")
    if any(word in actual for word in NEGATIVE_WORDS + NEGATIVE_ENDINGS):
        return Match(NOT_DONE, "negative")
    if actual in GENERIC_DONE:
        return Match(DONE, "generic")
    if actions and all(action_done(action, actual) for action in actions):
        return Match(DONE, "noun")
    return Match(UNKNOWN, "")
