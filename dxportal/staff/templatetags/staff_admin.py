"""Template filters and tags of the staff admin's own pages (history pages, the home page)."""

from django import template

from dxportal.staff import entry
from kpis.audit import HISTORY_TYPES

register = template.Library()


@register.filter
def history_type_label(record) -> str:
    """作成 / 変更 / 削除 for a historical record's +, ~ or - (the same words as the history CSV)."""
    return HISTORY_TYPES.get(record.history_type, record.history_type)


@register.simple_tag
def staff_tasks(user) -> dict:
    """What needs doing, for the staff home page: returned reports (with the reason), reports to review."""
    return entry.staff_tasks(user)


@register.filter
def history_value(value) -> str:
    """A field's value in a change list: （空欄） for nothing, which django-simple-history shows as None."""
    return "（空欄）" if value is None or str(value) in ("", "None") else value
