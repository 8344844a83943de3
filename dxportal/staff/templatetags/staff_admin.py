"""Template filters of the staff admin's own pages (history pages, entry screen)."""

from django import template

from kpis.audit import HISTORY_TYPES

register = template.Library()


@register.filter
def history_type_label(record) -> str:
    """作成 / 変更 / 削除 for a historical record's +, ~ or - (the same words as the history CSV)."""
    return HISTORY_TYPES.get(record.history_type, record.history_type)
