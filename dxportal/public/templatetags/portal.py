from django import template
from django.utils.translation import get_language

from dxportal.public import names
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


@register.filter
def signed(number):
    """+4, −2 or ±0: a change in a count."""
    if number is None:
        return ""
    return f"+{number}" if number > 0 else f"−{-number}" if number < 0 else "±0"


@register.filter
def local_name(municipality):
    """能代市; its English name on English pages."""
    return names.municipality_name(municipality, _in_english())


@register.filter
def place(municipality):
    """秋田県能代市; Noshiro, Akita on English pages."""
    return names.place_name(municipality, _in_english())


@register.filter
def prefecture_name(name):
    """秋田県; Akita on English pages."""
    return names.prefecture_name(name, _in_english())


@register.filter
def sdg_name(goal):
    """The SDGs goal's name, in English on English pages."""
    return names.sdg_goal_name(goal.number, goal.name, _in_english())
