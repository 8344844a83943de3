"""The department fill-in template: one row per KPI the user may update in a fiscal year.

Identifiers (指標ID, 年度, 照合キー) and the values as exported (出力時の実績・備考・根拠資料URL, which the
import compares with to write only what changed) sit in hidden, locked columns; target, last year's
actual and the descriptions are locked; only 実績, 備考 and 根拠資料URL are open, with number validation
for numeric KPIs. The sheet is protected without a password: it prevents slips, and the 照合キー catches edits of
the identifiers anyway.
"""

from django.db.models import Prefetch
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation

from kpis.access import indicator_scope
from kpis.models import Indicator, IndicatorValue
from kpis.sheets.cells import SheetWriter, a4, cell, set_widths
from kpis.sheets.columns import BY_KEY, COLUMNS, HEADER_ROW, SHEET, check_key
from measures.models import MeasureDepartment
from plans.fiscal import label as fy_label

INSTRUCTIONS = (
    "黄色のセル（実績・備考・根拠資料URL）に入力してください。行・列・見出しは追加・削除・変更しないでください。"
    "数値の指標は数値で入力し（単位は「単位」列のとおり）、該当なしは「－」と入力します。"
)


def template_indicators(plan, fiscal_year: int, user=None) -> list[Indicator]:
    """The KPIs (and, for HQ, the pillars' numeric targets) of the plan the user may update.

    An indicator is listed when it has a row for the year, or when no revision introduced or retired it
    (a KPI replaced by a revision stops where its values stop). Without a user: every indicator (HQ use
    from the command line). Three queries whatever the plan's size.
    """
    indicators = Indicator.objects.filter(plan=plan)
    if user is not None:
        indicators = indicators.filter(indicator_scope(user))
    values = IndicatorValue.objects.filter(fiscal_year__in=[fiscal_year - 1, fiscal_year])
    owners = MeasureDepartment.objects.select_related("department").order_by("position")
    rows = list(
        indicators.select_related("measure", "category").prefetch_related(
            Prefetch("values", queryset=values), Prefetch("measure__ownerships", queryset=owners)
        )
    )
    rows = [
        i
        for i in rows
        if any(v.fiscal_year == fiscal_year for v in i.values.all())
        or (i.introduced_in_id is None and i.retired_in_id is None)
    ]
    return sorted(rows, key=lambda i: (i.measure is not None, i.measure.position if i.measure else 0, i.position))


def row_cells(indicator: Indicator, fiscal_year: int) -> dict[str, object]:
    by_year = {v.fiscal_year: v for v in indicator.values.all()}
    current, previous = by_year.get(fiscal_year), by_year.get(fiscal_year - 1)
    measure = indicator.measure
    if measure:
        owner = measure.departments_text or "、".join(o.department.name for o in measure.ownerships.all())
        where = f"{measure.code or measure.key} {measure.name}"
    else:
        owner, where = "", f"{indicator.category.level_name}{indicator.category.label} {indicator.category.name}"
    return {
        "indicator_id": indicator.pk,
        "fiscal_year": fiscal_year,
        "measure": where,
        "indicator": indicator.name,
        "target": current.target_text if current else "",
        "actual": current.actual_text if current else "",
        "unit": indicator.unit,
        "previous": previous.actual_text if previous else "",
        "note": current.note if current else "",
        "evidence_url": current.evidence_url if current else "",
        "department": owner,
        "check": check_key(indicator.pk, fiscal_year),
        "loaded_actual": current.actual_text if current else "",
        "loaded_note": current.note if current else "",
        "loaded_evidence_url": current.evidence_url if current else "",
    }


def build_actuals_template(plan, fiscal_year: int, stream, *, user=None) -> int:
    """Write the template to ``stream``; return the number of KPI rows. Callers check can_export first."""
    indicators = template_indicators(plan, fiscal_year, user)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(SHEET)
    set_widths(ws, [column.width for column in COLUMNS])
    for index, column in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(index)].hidden = column.hidden
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    a4(ws, landscape=True, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", header=f"{plan.title} 実績入力")
    out = SheetWriter(ws, len(COLUMNS))
    # Titles start in the first visible column (A and B hold hidden identifiers).
    out.append([None, None, cell(ws, f"{plan.title} {fy_label(fiscal_year)} 実績入力", "title")])
    out.append([None, None, cell(ws, INSTRUCTIONS, "plain")], merges=[(3, len(COLUMNS))], height=32)
    out.append([cell(ws, column.header, "header") for column in COLUMNS])
    numeric_cells = []
    actual_letter = get_column_letter(COLUMNS.index(BY_KEY["actual"]) + 1)
    for indicator in indicators:
        values = row_cells(indicator, fiscal_year)
        numeric = indicator.kind == Indicator.Kind.NUMERIC
        cells = []
        for column in COLUMNS:
            style = "input" if column.entry else "locked"
            text_format = "@" if column.entry and not (column.key == "actual" and numeric) else None
            cells.append(cell(ws, values[column.key], style, text_format))
        row = out.append(cells)
        if numeric:
            numeric_cells.append(f"{actual_letter}{row}")
    if numeric_cells:
        ws.data_validations.append(number_validation(" ".join(numeric_cells)))
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may change; locked cells stay locked
    ws.protection.formatRows = False
    workbook.save(stream)
    return len(indicators)


def number_validation(cells: str) -> DataValidation:
    """Numbers for numeric KPIs. A warning, not a stop: 「－」 (not applicable) and 「12回」 are accepted
    on import, and the import checks every value again anyway."""
    validation = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1000000000000",
        formula2="1000000000000",
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="warning",
        errorTitle="数値の指標",
        error="この指標は数値で入力してください（該当なしは「－」）。",
        promptTitle="実績",
        prompt="数値で入力してください（単位は「単位」列のとおり）。",
    )
    validation.sqref = MultiCellRange(cells)
    return validation
