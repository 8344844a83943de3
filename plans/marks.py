"""Yearly marks: the codes every plan shares, and the default (Noshiro) legend.

The codes are shared; how a municipality prints them (↗ → ↘ －, ◎○△×, A–D) is the plan's legend.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mark(models.TextChoices):
    EXCEEDED = "exceeded", _("目標を上回った")
    ACHIEVED = "achieved", _("目標を達成した")
    NOT_ACHIEVED = "not_achieved", _("目標が未達成")
    NOT_APPLICABLE = "not_applicable", _("該当なし")


# The order summaries and legends list the marks in.
MARK_ORDER = [Mark.EXCEEDED, Mark.ACHIEVED, Mark.NOT_ACHIEVED, Mark.NOT_APPLICABLE]

DEFAULT_LEGEND = [
    {"code": Mark.EXCEEDED.value, "symbol": "↗", "label": "目標を上回った"},
    {"code": Mark.ACHIEVED.value, "symbol": "→", "label": "目標を達成した"},
    {"code": Mark.NOT_ACHIEVED.value, "symbol": "↘", "label": "目標が未達成"},
    {"code": Mark.NOT_APPLICABLE.value, "symbol": "－", "label": "該当なし"},
]


def legend_map(legend: list[dict] | None) -> dict[str, dict]:
    """{code: {"symbol": …, "label": …}} for a plan's legend, falling back to the default per code."""
    result = {entry["code"]: entry for entry in DEFAULT_LEGEND}
    for entry in legend or []:
        result[entry["code"]] = entry
    return result
