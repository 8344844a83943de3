"""Audit trail helpers: how a change's source and reason are written into django-simple-history.

Every historical row carries ``history_user`` (the request's user through HistoryRequestMiddleware, or the
user a service was given) and ``history_change_reason`` = "<source label>: <reason>". The source label of a
correction after a year was locked is 訂正, which the public value history shows.

``record`` tags an instance before its save(), or before ``save_entries`` writes many at once with
simple-history's bulk history creation, which reads the same two attributes.

Marks are derived from values: ``recompute_plan_marks`` writes them in bulk (no save()) and so leaves no
history rows on purpose. The history of the inputs (actuals, targets, overrides with their reasons) is what
explains any mark; overrides edited by hand go through ``save()`` and are recorded.
"""

import csv
from collections.abc import Iterable, Iterator

from kpis.formulas import csv_safe

SOURCE_LABELS = {
    "entry": "実績入力",
    "admin": "管理画面",
    # The names the admin gives these features (実績の取込, 計画の取込): one name per thing.
    "import": "実績の取込",
    "plan_import": "計画の取込",
    "workflow": "年度の手続",
    "publication": "計画の公開状態",
    "correction": "訂正",
}
CORRECTION_LABEL = SOURCE_LABELS["correction"]


def change_reason(source: str, reason: str = "") -> str:
    label = SOURCE_LABELS.get(source, source)
    reason = reason.strip()
    return f"{label}: {reason}" if reason else label


def is_correction(change_reason_text: str | None) -> bool:
    return (change_reason_text or "").startswith(CORRECTION_LABEL)


def record(instance, *, user, source: str, reason: str = ""):
    """Tag the next save() of instance with who and why (read by simple-history when it saves)."""
    instance._history_user = user if user is not None and user.is_authenticated else None
    instance._change_reason = change_reason(source, reason)
    return instance


HISTORY_COLUMNS = ["日時", "種別", "対象", "ID", "利用者", "理由", "項目", "変更前", "変更後"]
HISTORY_TYPES = {"+": "作成", "~": "変更", "-": "削除"}


def history_rows(records: Iterable) -> Iterator[list[str]]:
    """One CSV row per changed field of each historical record (one row for creations and deletions).

    ``records`` must be ordered by object then time: each change is diffed against the record before it
    in memory, so the export costs one query however long the history.
    """
    previous = None
    for record_ in records:
        pk_name = record_.instance_type._meta.pk.attname
        base = [
            record_.history_date.isoformat(),
            HISTORY_TYPES.get(record_.history_type, record_.history_type),
            str(record_.instance_type._meta.verbose_name),
            str(getattr(record_, pk_name)),
            record_.history_user.get_username() if record_.history_user_id else "",
            record_.history_change_reason or "",
        ]
        same_object = previous is not None and getattr(previous, pk_name) == getattr(record_, pk_name)
        if record_.history_type == "~" and same_object:
            changes = record_.diff_against(previous).changes
            rows = [base + [change.field, change.old, change.new] for change in changes] or [base + ["", "", ""]]
        else:
            rows = [base + ["", "", ""]]
        previous = record_
        for row in rows:
            yield [csv_safe(cell) for cell in row]


def write_history_csv(handle, records: Iterable) -> None:
    writer = csv.writer(handle)
    writer.writerow(HISTORY_COLUMNS)
    writer.writerows(history_rows(records))
