"""The actuals import in the admin, through django-import-export's preview → confirm flow.

The format reads the file once with ``read_actuals``; the resource checks the whole sheet before the
first row (``check_sheet``: columns, identifiers, formulas, scope, years, numbers, duplicates) and
reports per row new / changed / unchanged or the errors. Rows are never saved one by one: after the
confirmed import, ``save_checked`` writes every row through ``kpis.entry.save_entries`` in one
transaction with the audit history, or nothing. A value with plausibility warnings shows them in the
preview (確認が必要な点); confirming the import keeps it, recorded as confirmed against them.
"""

import tablib
from django.core.exceptions import ValidationError
from import_export import fields, resources
from import_export.formats.base_formats import Format
from import_export.results import RowResult

from kpis.models import IndicatorValue
from kpis.sheets.actuals import CHANGED, NEW, STATE_LABELS, check_sheet, save_checked
from kpis.sheets.columns import READ_COLUMNS
from kpis.sheets.reader import ParsedSheet, read_actuals

ROW = "行"
ROW_TYPES = {NEW: RowResult.IMPORT_TYPE_NEW, CHANGED: RowResult.IMPORT_TYPE_UPDATE}


class SheetDataset(tablib.Dataset):
    """A dataset that keeps the parsed sheet (its column letters and file-level problems)."""

    parsed: ParsedSheet


class ActualsSheetFormat(Format):
    """The actuals template, as .xlsx or saved as .csv (told apart by content, not by name)."""

    def __init__(self, encoding=None):
        self.encoding = encoding  # the admin passes one; CSV encodings are detected (reader.read_csv)

    def get_title(self):
        return "実績入力テンプレート（.xlsx / .csv）"

    def create_dataset(self, in_stream):
        parsed = read_actuals(in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8"))
        dataset = SheetDataset(headers=[ROW] + [column.header for column in READ_COLUMNS])
        dataset.parsed = parsed
        for row in parsed.rows:
            dataset.append([row.number] + [row.text(column.key) for column in READ_COLUMNS])
        if not parsed.rows:
            dataset.append([0] + [""] * len(READ_COLUMNS))  # the problems are reported per file, not "no data"
        return dataset

    def get_extension(self):
        return "xlsx"

    def can_import(self):
        return True


class SheetProblem(Exception):
    """A file-level problem (shown above the preview; nothing is written)."""


class ActualsResource(resources.ModelResource):
    class Meta:
        model = IndicatorValue
        fields = ()
        name = "実績（実績入力テンプレート）"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.check = None
        self.rows = {}

    def get_user_visible_fields(self):
        """The columns the import reads (listed on the import page)."""
        return [fields.Field(column_name=column.header) for column in READ_COLUMNS]

    def get_diff_headers(self):
        return [
            "状態",
            "行",
            "取組",
            "指標名",
            "実績（現在）",
            "実績（取込後）",
            "備考（取込後）",
            "根拠資料URL（取込後）",
            "確認が必要な点",
        ]

    def before_import(self, dataset, **kwargs):
        # The year is the template's own (check_sheet reads it from the rows).
        self.check = check_sheet(dataset.parsed, user=kwargs.get("user"))
        self.rows = {checked.row.number: checked for checked in self.check.rows}
        if self.check.problems:
            raise SheetProblem("\n".join(self.check.problems))

    def import_row(self, row, instance_loader, **kwargs):
        result = self.get_row_result_class()()
        checked = self.rows.get(int(row[ROW] or 0))
        if checked is None:  # a blank row, or a file-level problem already reported
            result.import_type = RowResult.IMPORT_TYPE_SKIP
            return result
        if checked.errors:
            result.import_type = RowResult.IMPORT_TYPE_INVALID
            result.validation_error = ValidationError(checked.errors)
            return result
        result.import_type = ROW_TYPES.get(checked.state, RowResult.IMPORT_TYPE_SKIP)
        indicator, before = checked.indicator, checked.before
        measure = indicator.measure if indicator else None
        result.diff = [
            STATE_LABELS[checked.state],
            checked.row.number,
            f"{measure.code or measure.key} {measure.name}" if measure else "",
            indicator.name if indicator else "",
            before.actual_text if before else "",
            checked.stored.actual_text,  # a field left as exported keeps its current value
            checked.stored.note,
            checked.stored.evidence_url,
            "\n".join(checked.warnings),
        ]
        return result

    def after_import(self, dataset, result, **kwargs):
        """Write everything at once, only on the confirmed import and only without any error."""
        if kwargs.get("dry_run") or self.check is None or result.has_errors() or result.has_validation_errors():
            return
        self.check.accept_warnings = True  # the preview showed them, and the user confirmed
        save_checked(self.check, user=kwargs.get("user"), filename=kwargs.get("file_name") or "")
        if not self.check.ok:
            raise SheetProblem("\n".join(self.check.errors))
