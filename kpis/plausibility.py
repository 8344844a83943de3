"""Plausibility of an entered actual: warnings before saving, not refusals.

A value can be right and still look wrong. These rules catch the slips a clerk makes most (a sign, a
percentage typed as a count, a running total typed as the year's figure, a digit too many or too few)
and ask before saving: the user corrects the value or confirms it, and a confirmed value keeps the
warnings it was confirmed against (``IndicatorValue.confirmed_warning``) for HQ to see.

The rules, for a numeric KPI's actual (each warning names the numbers it compares):

- a negative number (the portal's KPIs count things, shares and totals);
- a percentage (unit ％ or %) above 100 or below 0;
- a cumulative KPI below last year's actual;
- more than ``RATIO`` times, or under a ``RATIO``-th of, last year's actual.

The entry service (``kpis.entry``) applies them to every changed actual, so the entry screen, the
admin's change form and the template import all warn the same way.
"""

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

RATIO = 10


@dataclass(frozen=True)
class PlausibilityWarning:
    code: str  # negative, percent_over, percent_below, cumulative_decrease, jump, drop
    message: str


def is_percentage(unit: str) -> bool:
    """A unit that makes the figure a share of 100: ％ or % (full or half width)."""
    return "%" in unicodedata.normalize("NFKC", unit or "")


def plausibility_warnings(
    indicator, value: Decimal | None, previous: Decimal | None, previous_text: str = ""
) -> list[PlausibilityWarning]:
    """The warnings for ``value``, the actual of a numeric KPI, given last year's actual (``previous``,
    shown as ``previous_text``: as it was entered, with its unit). No value (empty, －): none."""
    if value is None or indicator.kind != indicator.Kind.NUMERIC:
        return []
    warnings = []
    shown_previous = f"「{previous_text.strip()}」" if previous_text.strip() else f"「{previous}」"
    if is_percentage(indicator.unit):
        if value > 100:
            warnings.append(PlausibilityWarning("percent_over", "割合が100％を超えています"))
        elif value < 0:
            warnings.append(PlausibilityWarning("percent_below", "割合が0％未満です"))
    elif value < 0:
        warnings.append(PlausibilityWarning("negative", "マイナスの値です（件数や回数はマイナスになりません）"))
    if previous is None:
        return warnings
    if indicator.cumulative and value < previous:
        warnings.append(
            PlausibilityWarning(
                "cumulative_decrease", f"累計の指標が前年度の実績{shown_previous}より小さくなっています"
            )
        )
    if previous > 0 and value > previous * RATIO:
        warnings.append(PlausibilityWarning("jump", f"前年度の実績{shown_previous}の{RATIO}倍を超えています"))
    elif previous > 0 and 0 <= value and value * RATIO < previous:
        warnings.append(PlausibilityWarning("drop", f"前年度の実績{shown_previous}の{RATIO}分の1未満です"))
    return warnings


def warning_text(warnings: list[PlausibilityWarning]) -> str:
    """The warnings as one line, as shown beside the value and stored with a confirmed one."""
    return "。".join(warning.message for warning in warnings)
