"""The columns of the actuals template, which are exactly the columns the import reads.

The template is the import format: ``build_actuals_template`` writes these headers in this order and
``read_actuals`` finds them by header text, so a user may move columns but not rename or delete them.
A template exported before the 出力時 columns existed is refused (its columns are missing): it cannot
tell what its user changed.
"""

from dataclasses import dataclass

from django.utils.crypto import salted_hmac

SHEET = "実績入力"
TITLE_ROWS = 2  # title and instructions above the header row
HEADER_ROW = TITLE_ROWS + 1


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    hidden: bool = False  # identifiers: hidden, locked, checked by the 照合キー
    entry: bool = False  # the cells a department fills in (unlocked)
    read: bool = False  # read back by the import


COLUMNS = [
    Column("indicator_id", "指標ID", 8, hidden=True, read=True),
    Column("fiscal_year", "年度", 6, hidden=True, read=True),
    Column("measure", "取組", 34),
    Column("indicator", "指標名", 34),
    Column("target", "目標", 14),
    Column("actual", "実績", 14, entry=True, read=True),
    Column("unit", "単位", 10),
    Column("previous", "前年度実績", 14),
    Column("note", "備考", 30, entry=True, read=True),
    Column("evidence_url", "根拠資料URL", 30, entry=True, read=True),
    Column("department", "担当課", 18),
    Column("check", "照合キー", 12, hidden=True, read=True),
    # The value as exported: the import writes only what the user changed since, and names a conflict
    # when a colleague changed the same field meanwhile (kpis.entry.merge).
    Column("loaded_actual", "出力時の実績", 14, hidden=True, read=True),
    Column("loaded_note", "出力時の備考", 30, hidden=True, read=True),
    Column("loaded_evidence_url", "出力時の根拠資料URL", 30, hidden=True, read=True),
]
BY_KEY = {column.key: column for column in COLUMNS}
READ_COLUMNS = [column for column in COLUMNS if column.read]

# EntryError.field (kpis.entry) → the column that shows it.
FIELD_COLUMNS = {
    "indicator_id": "indicator_id",
    "fiscal_year": "fiscal_year",
    "actual_text": "actual",
    "note": "note",
    "evidence_url": "evidence_url",
}


def check_key(indicator_id, fiscal_year) -> str:
    """A short signature of a row's identifiers: a changed 指標ID or 年度 no longer matches it."""
    return salted_hmac("kpis.sheets.template-row", f"{indicator_id}:{fiscal_year}").hexdigest()[:12]
