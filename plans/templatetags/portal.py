from django import template

from plans import fiscal
from plans.marks import legend_map

register = template.Library()


@register.filter
def wareki(fiscal_year):
    """令和6年度 for 2024."""
    return fiscal.wareki(int(fiscal_year)) if fiscal_year else ""


@register.filter
def fy_label(fiscal_year):
    """令和6年度 (2024)."""
    return fiscal.label(int(fiscal_year)) if fiscal_year else ""


@register.simple_tag
def mark_badge(plan, code):
    """The plan's symbol and label for a mark code, as a dict for templates ({} when no mark)."""
    if not code:
        return {}
    entry = legend_map(plan.mark_legend).get(code, {})
    return {"code": code, "symbol": entry.get("symbol", ""), "label": entry.get("label", code)}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
