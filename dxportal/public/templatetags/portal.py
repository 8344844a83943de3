from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from dxportal.public import display, names
from plans import fiscal

register = template.Library()


def _in_english() -> bool:
    return names.in_english()


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


@register.filter
def kpi_title(kpi):
    """The KPI's name with its unit and 【累計】, each said once (not 「（回／年）（回／年）」)."""
    title = kpi.name
    if display.unit_shown(kpi.name, kpi.unit):
        title += f"（{kpi.unit}）"
    if display.cumulative_shown(kpi.name, kpi.unit, kpi.cumulative):
        title += f"【{gettext('累計')}】"
    return title


@register.filter
def value_style(text):
    """A printed value in the portal's number style (half-width digits: ４０件 → 40件)."""
    return display.half_width_digits(text)


@register.filter
def plan_subtitle(plan):
    """The plan's title, after the municipality's name only when the title does not start with it."""
    return display.plan_subtitle(plan)


@register.filter
def era(text):
    """On English pages, each Japanese era date in a printed text followed by its Western year."""
    return display.with_western_years(text) if _in_english() else text


@register.filter
def baseline_year_shown(indicator):
    """Whether the baseline needs its fiscal year added: not when its printed text names it (34.8％（R3））."""
    return bool(indicator.baseline_fy) and not display.names_year(indicator.baseline_text, indicator.baseline_fy)


@register.filter
def year_heading(fiscal_year):
    """A year column's heading: 令和6年度 over 2024; FY2024 alone on English pages (not FY2024 over 2024)."""
    if _in_english():
        return fiscal.english(int(fiscal_year))
    return format_html("{}<br><small>{}</small>", fiscal.wareki(int(fiscal_year)), fiscal_year)
