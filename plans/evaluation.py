"""A plan's evaluation scheme (評価の方法): its levels, the not-evaluable outcome, how counts are given.

A scheme is plan data (``Plan.evaluation``, ``plan.evaluation`` in the interchange document):

    {"unit": "kpi",                                   # "measure" (default) or "kpi"
     "levels": [{"code": "a", "symbol": "A", "label": "目標より進んでいる", "min_ratio": 1.10},
                {"code": "b", "symbol": "B", "label": "目標どおり", "min_ratio": 0.95},
                {"code": "c", "symbol": "C", "label": "目標より遅れている"}],
     "not_evaluable": {"code": "d", "symbol": "D", "label": "評価できない"},
     "cumulative_interim": "pro_rata",                # "pro_rata", "final" or "none" (default)
     "combine": "net"}                                # unit "measure": "net" or "worst"

- ``levels``: 2–6, best first. A numeric KPI gets the first level whose ``min_ratio`` ≤ actual ÷ target
  (target ÷ actual when smaller is better); the last level has no ``min_ratio``. ``"exclusive": true``
  makes a bound strict (ratio > min_ratio): today's ↗ is "above 1", its → is "exactly 1".
- ``not_evaluable`` (optional): the outcome D 評価できない. ``"cases"`` says when it is given, among
  ``NOT_EVALUABLE_CASES``; all of them when omitted. Without ``not_evaluable`` those cases get no mark.
- ``cumulative_interim``: how a cumulative KPI whose only target lies in a later year is judged before
  that year (kpis.evaluation.interim_target).
- ``combine`` (unit "measure"): how the KPI marks of a measure make its mark; "net" needs 3 levels (best
  +1, middle 0, last −1, the sign of the sum decides); "net" when omitted. (A plan without a scheme
  combines by its ``scoring_policy``.)

A plan without a scheme keeps the portal's original practice (Noshiro's): ``default_scheme()``.
Counting (``count_levels``) and percentages (``percentages``: one decimal, largest remainder, so they add
up to 100.0) are here too, so the web page, the workbook, the JSON and the CSV give the same numbers.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError

from plans.marks import DEFAULT_LEGEND, legend_map

UNITS = ("measure", "kpi")
CUMULATIVE_INTERIM = ("pro_rata", "final", "none")
COMBINE = ("net", "worst")
NOT_EVALUABLE_CASES = ("target_dash", "target_missing", "actual_dash", "actual_not_numeric")
KEYS = ("unit", "levels", "not_evaluable", "cumulative_interim", "combine")
LEVEL_KEYS = ("code", "symbol", "label", "min_ratio", "exclusive")
NOT_EVALUABLE_KEYS = ("code", "symbol", "label", "cases")
MIN_LEVELS, MAX_LEVELS = 2, 6
# Stored in CharField(max_length=16) columns (computed, override).
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


@dataclass(frozen=True)
class Level:
    code: str
    symbol: str
    label: str
    min_ratio: Decimal | None = None  # None on the last level
    exclusive: bool = False  # True: the ratio must be above min_ratio, not equal to it

    def admits(self, ratio: Decimal) -> bool:
        if self.min_ratio is None:
            return True
        return ratio > self.min_ratio if self.exclusive else ratio >= self.min_ratio

    def as_legend(self) -> dict:
        return {"code": self.code, "symbol": self.symbol, "label": self.label}


@dataclass(frozen=True)
class Scheme:
    unit: str
    levels: tuple[Level, ...]
    not_evaluable: Level | None
    not_evaluable_cases: frozenset[str]
    cumulative_interim: str
    combine: str
    # False: the plan has no scheme of its own; the engine keeps its original wording and rules.
    explicit: bool = True

    @property
    def codes(self) -> list[str]:
        """Every code a mark of this plan may take, in legend order."""
        return [level.code for level in self.outcomes]

    @property
    def outcomes(self) -> list[Level]:
        return list(self.levels) + ([self.not_evaluable] if self.not_evaluable else [])

    @property
    def target_level(self) -> Level:
        """The level of a KPI that met its target exactly (ratio 1): → in the default, B in A–D."""
        return self.level_for(Decimal(1))

    @property
    def lowest(self) -> Level:
        return self.levels[-1]

    def level_for(self, ratio: Decimal) -> Level:
        return next(level for level in self.levels if level.admits(ratio))

    def rank(self, code: str) -> int:
        """0 for the best level, len(levels) - 1 for the last; used to find the worst mark."""
        return [level.code for level in self.levels].index(code)

    def legend(self) -> list[dict]:
        return [level.as_legend() for level in self.outcomes]

    def is_not_evaluable(self, case: str) -> bool:
        return self.not_evaluable is not None and case in self.not_evaluable_cases


def default_scheme(scoring_policy: str = "net", legend: list[dict] | None = None) -> Scheme:
    """The portal's original scheme: ↗ above the target, → exactly on it, ↘ below, － when the target is －.

    An empty target or actual gives no mark, a non-numeric actual against a numeric target is ↘, and a
    cumulative KPI is judged only in years with a printed target (kpis/engine.py has the wording).
    ``legend``: the plan's ``mark_legend``, how it prints the four codes (◎○△× …); every code it leaves
    out keeps its default symbol and label, so every surface shows all four levels.
    """
    printed = legend_map(legend)
    exceeded, achieved, not_achieved, not_applicable = (
        {key: printed[entry["code"]][key] for key in ("code", "symbol", "label")} for entry in DEFAULT_LEGEND
    )
    return Scheme(
        unit="measure",
        levels=(
            Level(**exceeded, min_ratio=Decimal(1), exclusive=True),
            Level(**achieved, min_ratio=Decimal(1)),
            Level(**not_achieved),
        ),
        not_evaluable=Level(**not_applicable),
        not_evaluable_cases=frozenset({"target_dash"}),
        cumulative_interim="none",
        combine=scoring_policy,
        explicit=False,
    )


class SchemeError(ValueError):
    """An invalid scheme; .errors lists (key, message) pairs, messages in Japanese."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("\n".join(f"{key}: {message}" for key, message in errors))


def allowed(values) -> str:
    return "、".join(f'"{v}"' for v in values)


def scheme_errors(data, at: str = "evaluation") -> list[tuple[str, str]]:
    """Every problem of a scheme as (key path, Japanese message); [] when it is valid."""
    if not isinstance(data, dict):
        return [(at, "評価の方法はオブジェクト（{…}）で書いてください")]
    errors = [
        (f"{at}.{key}", f'"{key}" は使えないキーです（使えるキー: {allowed(KEYS)}）') for key in data if key not in KEYS
    ]
    for key, choices in (("unit", UNITS), ("cumulative_interim", CUMULATIVE_INTERIM), ("combine", COMBINE)):
        if key in data and data[key] not in choices:
            errors.append((f"{at}.{key}", f"{json_text(data[key])} は使えません（使える値: {allowed(choices)}）"))
    levels = data.get("levels")
    if not isinstance(levels, list) or not MIN_LEVELS <= len(levels) <= MAX_LEVELS:
        count = f"{len(levels)} 個" if isinstance(levels, list) else "ありません"
        errors.append(
            (f"{at}.levels", f"評価の段階は {MIN_LEVELS}～{MAX_LEVELS} 個を良い順に並べてください（{count}）")
        )
        levels = levels if isinstance(levels, list) else []
    codes = []
    previous: tuple[Decimal, bool] | None = None
    for i, level in enumerate(levels):
        where = f"{at}.levels[{i}]"
        errors += outcome_errors(level, where, LEVEL_KEYS, codes)
        if not isinstance(level, dict):
            continue
        last = i == len(levels) - 1
        ratio = level.get("min_ratio")
        if last:
            if ratio is not None:
                errors.append(
                    (f"{where}.min_ratio", "最後の段階には min_ratio を書きません（それ未満のすべてが入ります）")
                )
            continue
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or ratio < 0:
            errors.append(
                (f"{where}.min_ratio", "最後以外の段階には min_ratio（実績÷目標の下限、0 以上の数）が必要です")
            )
            continue
        exclusive = level.get("exclusive", False)
        if not isinstance(exclusive, bool):
            errors.append((f"{where}.exclusive", "exclusive は true か false です"))
            continue
        bound = (Decimal(str(ratio)), exclusive)
        # Decreasing: a lower bound, or the same bound once strict ("above 1") and then inclusive ("1").
        if previous is not None and not (
            bound[0] < previous[0] or (bound[0] == previous[0] and previous[1] and not exclusive)
        ):
            errors.append((f"{where}.min_ratio", f"min_ratio は良い順に小さくしてください（前の段階は {previous[0]}）"))
        previous = bound
    not_evaluable = data.get("not_evaluable")
    if not_evaluable is not None:
        errors += outcome_errors(not_evaluable, f"{at}.not_evaluable", NOT_EVALUABLE_KEYS, codes)
        cases = not_evaluable.get("cases", []) if isinstance(not_evaluable, dict) else []
        if not isinstance(cases, list):
            cases = [cases]
        for case in cases:
            if case not in NOT_EVALUABLE_CASES:
                errors.append(
                    (
                        f"{at}.not_evaluable.cases",
                        f"{json_text(case)} は使えません（使える値: {allowed(NOT_EVALUABLE_CASES)}）",
                    )
                )
    if data.get("unit", "measure") == "measure" and data.get("combine", "net") == "net" and len(levels) != 3:
        errors.append(
            (f"{at}.combine", f'"net"（差引き）は 3 段階の評価でだけ使えます（{len(levels)} 段階には "worst" を）')
        )
    return errors


def outcome_errors(entry, where: str, keys: tuple[str, ...], codes: list[str]) -> list[tuple[str, str]]:
    """Checks shared by a level and the not-evaluable outcome; appends the entry's code to codes."""
    if not isinstance(entry, dict):
        return [(where, "code、symbol、label を持つオブジェクトで書いてください")]
    errors = [
        (f"{where}.{key}", f'"{key}" は使えないキーです（使えるキー: {allowed(keys)}）')
        for key in entry
        if key not in keys
    ]
    code = entry.get("code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        errors.append(
            (
                f"{where}.code",
                f"{json_text(code)} は使えません（code は英小文字で始まる 16 文字までの英小文字・数字・_）",
            )
        )
    elif code in codes:
        errors.append((f"{where}.code", f'"{code}" が重複しています（code は段階ごとに別の値）'))
    codes.append(code)
    for key in ("symbol", "label"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            errors.append((f"{where}.{key}", f"{key}（表示する記号・説明）が必要です"))
    return errors


def json_text(value) -> str:
    return f'"{value}"' if isinstance(value, str) else "なし" if value is None else str(value)


def parse_scheme(data, *, scoring_policy: str = "net", legend: list[dict] | None = None) -> Scheme:
    """The plan's scheme (the default one, printed with ``legend``, when data is empty); raise SchemeError
    when it is invalid."""
    if not data:
        return default_scheme(scoring_policy, legend)
    errors = scheme_errors(data)
    if errors:
        raise SchemeError(errors)
    not_evaluable = data.get("not_evaluable")
    return Scheme(
        unit=data.get("unit", "measure"),
        levels=tuple(
            Level(
                code=level["code"],
                symbol=level["symbol"],
                label=level["label"],
                min_ratio=None if level.get("min_ratio") is None else Decimal(str(level["min_ratio"])),
                exclusive=level.get("exclusive", False),
            )
            for level in data["levels"]
        ),
        not_evaluable=(
            Level(code=not_evaluable["code"], symbol=not_evaluable["symbol"], label=not_evaluable["label"])
            if not_evaluable
            else None
        ),
        not_evaluable_cases=frozenset(not_evaluable.get("cases", NOT_EVALUABLE_CASES))
        if not_evaluable
        else frozenset(),
        cumulative_interim=data.get("cumulative_interim", "none"),
        combine=data.get("combine", "net"),
    )


def validate_evaluation(value) -> None:
    """Field validator of Plan.evaluation (the admin's form runs it): the same checks as the plan import."""
    if not value:
        return
    errors = scheme_errors(value)
    if errors:
        raise ValidationError([f"{key}: {message}" for key, message in errors], code="invalid_scheme")


def legend_errors(legend, at: str = "mark_legend") -> list[tuple[str, str]]:
    """Problems of a plan's mark_legend: how it prints the default codes (a scheme of its own brings its own)."""
    if not isinstance(legend, list):
        return [(at, "凡例はリスト（[{code, symbol, label}, …]）で書いてください")]
    codes = [entry["code"] for entry in DEFAULT_LEGEND]
    errors, seen = [], set()
    for i, entry in enumerate(legend):
        where = f"{at}[{i}]"
        if not isinstance(entry, dict):
            errors.append((where, "code、symbol、label を持つオブジェクトで書いてください"))
            continue
        code = entry.get("code")
        if code not in codes:
            errors.append(
                (
                    f"{where}.code",
                    f"{json_text(code)} は使えません（使える値: {allowed(codes)}。"
                    "ほかの記号で評価する計画は「評価の方法」を書いてください）",
                )
            )
        elif code in seen:
            errors.append((f"{where}.code", f'"{code}" が重複しています（code は段階ごとに別の値）'))
        seen.add(code)
        for key in ("symbol", "label"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                errors.append((f"{where}.{key}", f"{key}（表示する記号・説明）が必要です"))
    return errors


def validate_mark_legend(value) -> None:
    """Field validator of Plan.mark_legend (the admin's form runs it)."""
    errors = legend_errors(value)
    if errors:
        raise ValidationError([f"{key}: {message}" for key, message in errors], code="invalid_legend")


def count_levels(scheme: Scheme, marks) -> dict[str, int]:
    """{code: count} for every outcome of the scheme, in legend order; empty marks are not counted."""
    counts = dict.fromkeys(scheme.codes, 0)
    for mark in marks:
        if mark:
            counts[mark] = counts.get(mark, 0) + 1
    return counts


TENTH = Decimal("0.1")


def percentages(counts: dict[str, int]) -> dict[str, Decimal]:
    """Each count's share in percent with one decimal, adding up to exactly 100.0 (largest remainder).

    5 / 10 / 4 of 19 → 26.3 / 52.6 / 21.1. Tenths are handed out first by flooring, the tenths left over
    go to the largest remainders (ties: the earlier code, i.e. the better level). No marks: all 0.0.
    """
    total = sum(counts.values())
    if not total:
        return {code: Decimal("0.0") for code in counts}
    exact = {code: Decimal(n) * 1000 / total for code, n in counts.items()}
    tenths = {code: int(share.to_integral_value(rounding=ROUND_FLOOR)) for code, share in exact.items()}
    left = 1000 - sum(tenths.values())
    order = sorted(counts, key=lambda code: -(exact[code] - tenths[code]))  # stable: ties keep legend order
    for code in order[:left]:
        tenths[code] += 1
    return {code: (Decimal(n) * TENTH).quantize(TENTH) for code, n in tenths.items()}
