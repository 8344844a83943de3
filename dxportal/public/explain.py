"""Why a mark is what it is, in sentences a resident can read (Japanese, or English on English pages).

The engine's explanation (kpis.engine: 「2 指標の差引き +2」, 「…の完了形（要確認）」) is written for staff, who
confirm or override it in the admin; it stays there. Public pages say the same from the KPI values residents
can see: each KPI's target and actual of the year and its mark, then how they add up to the measure's mark.
"""

from django.utils.translation import gettext as _

from dxportal.public.display import value_text
from kpis.models import Indicator


def mark_label(plan, code: str) -> str:
    entry = next((entry for entry in plan.legend if entry["code"] == code), None)
    return _(entry["label"]) if entry else code


def kpi_sentence(plan, kpi, value, derived: str = "", suffix: str = "") -> str:
    """「出張申請窓口の開催回数」は、目標 10回 に対して実績 0回 でした（目標が未達成）。"""
    label = mark_label(plan, value.mark)
    names = {"kpi": kpi.name, "mark": label}
    target, actual = value_text(value.target_text, suffix), value_text(value.actual_text, suffix)
    if value.target_not_applicable or (not target and not derived):
        return _("「%(kpi)s」は、この年度の目標が設定されていないため対象外です（%(mark)s）。") % names
    if not target:
        return _(
            "「%(kpi)s」は、後の年度の目標から導いた中間目標 %(target)s に対して実績 %(actual)s でした（%(mark)s）。"
        ) % {
            **names,
            "target": derived + suffix,
            "actual": actual,
        }
    if kpi.kind == Indicator.Kind.NUMERIC and value.target_value is not None:
        return _("「%(kpi)s」は、目標 %(target)s に対して実績 %(actual)s でした（%(mark)s）。") % {
            **names,
            "target": target,
            "actual": actual,
        }
    return _("「%(kpi)s」は、目標「%(target)s」に対して実績「%(actual)s」でした（%(mark)s）。") % {
        **names,
        "target": target,
        "actual": actual,
    }


def measure_sentence(plan, mark, kpi_sentences: list[str]) -> str:
    """The measure's mark of a year from its KPIs' sentences (an overridden mark gives its reason elsewhere)."""
    if not mark.mark:
        return _("この年度は、評価できる指標の実績がないため評価していません。")
    if not kpi_sentences:
        return _("計画書に掲載された評価です。")
    if len(kpi_sentences) == 1:
        return kpi_sentences[0]
    names = {"mark": mark_label(plan, mark.mark)}
    if plan.scheme.combine == "worst":
        rule = _("最も低い指標の評価に合わせて、取組の評価を「%(mark)s」としています。") % names
    else:
        rule = (
            _("目標を上回った指標と届かなかった指標の数を差し引きして、取組の評価を「%(mark)s」としています。") % names
        )
    return " ".join([*kpi_sentences, rule])
