from django import template
from django.utils.translation import get_language

from plans import fiscal

register = template.Library()


def _in_english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def wareki(fiscal_year):
    """令和6年度 for 2024; FY2024 on English pages."""
    if not fiscal_year:
        return ""
    return fiscal.english(int(fiscal_year)) if _in_english() else fiscal.wareki(int(fiscal_year))


@register.filter
def fy_label(fiscal_year):
    """令和6年度 (2024); FY2024 on English pages."""
    if not fiscal_year:
        return ""
    return fiscal.english(int(fiscal_year)) if _in_english() else fiscal.label(int(fiscal_year))


@register.simple_tag
def mark_badge(plan, code):
    """The plan's symbol and label for a mark code (its scheme's legend), as a dict for templates ({} when
    no mark)."""
    if not code:
        return {}
    entry = next((entry for entry in plan.legend if entry["code"] == code), {})
    return {"code": code, "symbol": entry.get("symbol", ""), "label": entry.get("label", code)}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
