"""Yearly marks: the codes every plan shares, the final-mark rule, and the default (Noshiro) legend.

The codes are shared; how a municipality prints them (↗ → ↘ －, ◎○△×, A–D) is the plan's legend.
"""

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
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


def final_mark(override: str, computed: str) -> str:
    """The mark a reader is shown: the override when one was set (with its reason), else the computed mark.

    '' means no mark. The one rule; ``final_mark_expression`` is the same rule in SQL.
    """
    return override or computed


def final_mark_expression(prefix: str = "") -> Coalesce:
    """``final_mark`` as a database expression over the ``override`` and ``computed`` fields at ``prefix``.

    E.g. ``marks.annotate(final_mark=final_mark_expression())`` or, from a measure,
    ``final_mark_expression("marks__")``. '' (never NULL) when neither is set, as ``final_mark``.
    """
    return Coalesce(NullIf(F(f"{prefix}override"), Value("")), F(f"{prefix}computed"))
