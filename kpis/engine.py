"""The achievement engine: the yearly mark of a KPI, and of a measure from its KPIs.

Pure functions over plain values, so every rule is unit-testable without a database. The rules follow
Noshiro's published practice (DOMAIN.md); the way KPI marks combine into a measure mark is the plan's
scoring policy.
"""

from dataclasses import dataclass
from decimal import Decimal

from plans.marks import Mark

NOT_APPLICABLE_TEXTS = frozenset({"－", "-", "ー", "―", "—", "‐", "−"})
SCORE = {Mark.EXCEEDED: 1, Mark.ACHIEVED: 0, Mark.NOT_ACHIEVED: -1}


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
    mark: str  # a Mark value, or "" when the year is not evaluated
    explanation: str


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


def score_kpi(*, kind: str, direction: str, target: Cell, actual: Cell) -> Verdict:
    """The computed mark of one KPI in one fiscal year, with a short explanation in Japanese."""
    if kind == "placeholder":
        return Verdict("", "目標が未設定の指標のため評価しない")
    if target.empty:
        return Verdict("", "目標が設定されていないため評価しない")
    if target.not_applicable:
        return Verdict(Mark.NOT_APPLICABLE, "目標が－のため対象外")
    if actual.empty:
        return Verdict("", "実績が未入力のため評価しない")
    if kind == "numeric" and target.value is not None:
        if actual.value is None:
            return Verdict(
                Mark.NOT_ACHIEVED, f"実績 {actual.text.strip()} が数値でなく目標 {target.text.strip()} に届かない"
            )
        return score_numeric(direction, target, actual)
    # Qualitative (milestone) KPI: a suggestion that staff confirm or change.
    if actual.text.strip().rstrip("。") in completed_forms(target.text):
        return Verdict(Mark.ACHIEVED, f"実績「{actual.text.strip()}」が目標「{target.text.strip()}」の完了形（要確認）")
    return Verdict(
        Mark.NOT_ACHIEVED, f"実績「{actual.text.strip()}」が目標「{target.text.strip()}」の完了形でない（要確認）"
    )


def score_numeric(direction: str, target: Cell, actual: Cell) -> Verdict:
    a, t = actual.text.strip(), target.text.strip()
    difference = actual.value - target.value
    if direction == "lower":
        difference = -difference
    if difference > 0:
        verb = "を下回った（小さいほど良い指標）" if direction == "lower" else "を上回った"
        return Verdict(Mark.EXCEEDED, f"実績 {a} が目標 {t} {verb}")
    if difference == 0:
        return Verdict(Mark.ACHIEVED, f"実績 {a} が目標 {t} に達した")
    verb = "を上回った（小さいほど良い指標）" if direction == "lower" else "を下回った"
    return Verdict(Mark.NOT_ACHIEVED, f"実績 {a} が目標 {t} {verb}")


def combine(kpi_verdicts: list[Verdict], policy: str) -> Verdict:
    """The measure's mark from its KPIs' final marks in one year (mark '' = not evaluated)."""
    evaluated = [v for v in kpi_verdicts if v.mark]
    if not evaluated:
        return Verdict("", "評価できる指標がないため評価しない")
    scored = [v for v in evaluated if v.mark != Mark.NOT_APPLICABLE]
    if not scored:
        return Verdict(Mark.NOT_APPLICABLE, "目標が－のため対象外" if len(evaluated) == 1 else "すべての指標が対象外")
    ignored = len(evaluated) - len(scored)
    note = f"（対象外 {ignored} 指標を除く）" if ignored else ""
    details = " / ".join(v.explanation for v in scored)
    if len(scored) == 1:
        return Verdict(scored[0].mark, f"{details}{note}")
    if policy == "worst":
        worst = min(scored, key=lambda v: SCORE[v.mark])
        return Verdict(worst.mark, f"{len(scored)} 指標のうち最も低い評価{note}: {details}"[:500])
    total = sum(SCORE[v.mark] for v in scored)
    mark = Mark.EXCEEDED if total > 0 else Mark.ACHIEVED if total == 0 else Mark.NOT_ACHIEVED
    return Verdict(mark, f"{len(scored)} 指標の差引き {total:+d}{note}: {details}"[:500])
