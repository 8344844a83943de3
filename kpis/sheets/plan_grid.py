"""Opening a plan workbook and reading its sheets as tables of text, with every problem named.

Only what a spreadsheet can get wrong is found here: the file (empty, not a workbook, too large, damaged),
the sheets (missing, unknown), merged cells, formulas, headers (unknown, repeated, required ones missing).
kpis.sheets.plan_reader turns the tables into the plan document.
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from kpis.limits import file_size_problem, max_cell_characters, max_rows, xlsx_problem
from kpis.sheets.plan_columns import GUIDE, SHEETS, Column, normalize, parse_year_header
from kpis.sheets.reader import XLSX_MAGIC, XLSX_READ_ERRORS, cell_text

NOT_A_WORKBOOK = (
    "Excel のブック（.xlsx）として読めません。計画のワークブック（export_plan_workbook で出力したもの）に"
    "書いて .xlsx 形式で保存してください"
)
EMPTY_FILE = "ファイルが空です（0バイト）。計画のワークブック（.xlsx）を選んでください"
OLD_EXCEL = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls) and other OLE files


@dataclass
class Problems:
    """Every problem of the file, as the sentences shown to staff (sheet, row, column header first)."""

    lines: list[str] = field(default_factory=list)

    def add(self, sheet: str, row: int | None, header: str, message: str) -> None:
        where = f"{sheet}シート"
        if row:
            where += f" {row}行目"
        if header:
            where += f"『{header}』"
        self.lines.append(f"{where}: {message}")

    def file(self, message: str) -> None:
        self.lines.append(message)


@dataclass
class Found:
    text: str
    formula: bool = False


@dataclass
class TableRow:
    number: int
    cells: dict[str, Found]  # column key (or "target:2024") → what the cell holds

    def text(self, key: str) -> str:
        found = self.cells.get(key)
        return "" if found is None or found.formula else found.text.strip()

    def filled(self, keys) -> list[str]:
        return [key for key in keys if self.text(key)]


@dataclass
class Table:
    sheet: str
    headers: dict[str, str] = field(default_factory=dict)  # key → the header as printed
    years: dict[str, dict[int, str]] = field(default_factory=dict)  # kind → {fy: key}
    rows: list[TableRow] = field(default_factory=list)

    def header(self, key: str) -> str:
        return self.headers.get(key, key)


def open_workbook(data: bytes, problems: Problems):
    """The openpyxl workbook, or None with the reason among the problems."""
    if not data:
        problems.file(EMPTY_FILE)
        return None
    too_large = file_size_problem(len(data))
    if too_large:
        problems.file(too_large)
        return None
    if data.startswith(OLD_EXCEL):
        problems.file("Excel 97-2003 形式（.xls）のファイルは読み込めません。.xlsx 形式で保存し直してください")
        return None
    if not data.startswith(XLSX_MAGIC):
        problems.file(NOT_A_WORKBOOK)
        return None
    unsafe = xlsx_problem(data)  # before openpyxl unpacks anything
    if unsafe:
        problems.file(unsafe)
        return None
    try:
        # Not read-only: merged cells are only known to a fully loaded sheet (plans are small).
        return load_workbook(io.BytesIO(data), data_only=False)
    except XLSX_READ_ERRORS:
        problems.file(NOT_A_WORKBOOK)
        return None


def check_sheets(workbook, required: tuple[str, ...], problems: Problems) -> None:
    names = workbook.sheetnames
    for name in names:
        if name not in SHEETS:
            problems.file(
                f"シート「{name}」は計画のワークブックのシートではありません（使えるシート: {'、'.join(SHEETS)}）。"
                "消すか、内容を決まったシートに移してください"
            )
    for name in required:
        if name not in names:
            problems.file(f"シート「{name}」がありません（計画のワークブックに必ず必要なシートです）")
    for name in names:
        if name == GUIDE or name not in SHEETS:
            continue
        for merged in sorted(str(r) for r in workbook[name].merged_cells.ranges):
            problems.add(
                name, None, "", f"セル {merged} が結合されています。結合を解除して、値をそれぞれのセルに書いてください"
            )


def found(cell) -> Found:
    value = cell.value
    if cell.data_type == "f" or isinstance(value, ArrayFormula | DataTableFormula):
        text = value.text if isinstance(value, ArrayFormula) else str(value)
        return Found(text or "", formula=True)
    if isinstance(value, datetime) and value.time() == time(0):
        return Found(value.date().isoformat())
    if isinstance(value, date | datetime | time):
        return Found(value.isoformat())
    if value is None or isinstance(value, str):
        return Found(value or "")
    return Found(cell_text(value, cell.number_format or ""))


def sheet_rows(ws, problems: Problems):
    """(row number, [Found, …]) of the rows holding anything; stops at the row limit with a problem."""
    limit = max_rows()
    for number, cells in enumerate(ws.iter_rows(), 1):
        if number > limit + 1:
            problems.add(ws.title, None, "", f"行が多すぎます（{limit:,}行まで）")
            return
        values = [found(cell) for cell in cells]
        if any(v.text.strip() or v.formula for v in values):
            yield number, values


def read_table(ws, columns: list[Column], problems: Problems, *, year_kinds: tuple[str, ...] = ()) -> Table:
    """The sheet's rows keyed by column; the header is its first filled row."""
    table = Table(ws.title)
    wanted = {normalize(column.header): column for column in columns}
    positions: dict[int, str] = {}
    rows = sheet_rows(ws, problems)
    first = next(rows, None)
    if first is None:
        for column in columns:
            if column.required:
                problems.add(ws.title, None, "", f"見出しの行がありません（必須の列「{column.header}」など）")
                break
        return table
    header_row, header_cells = first
    for index, cell in enumerate(header_cells):
        text = cell.text.strip()
        if not text:
            continue
        column = wanted.get(normalize(text))
        year = parse_year_header(text) if column is None else None
        if column is not None:
            key = column.key
        elif year and year[0] in year_kinds:
            key = f"{year[0]}:{year[1]}"
            table.years.setdefault(year[0], {})[year[1]] = key
        else:
            problems.add(ws.title, header_row, text, "このシートの列ではありません（列の一覧は説明シートにあります）")
            continue
        if key in table.headers:
            problems.add(ws.title, header_row, text, f"同じ列が2つあります（「{table.headers[key]}」と同じ）")
            continue
        positions[index], table.headers[key] = key, text
    for column in columns:
        if column.required and column.key not in table.headers:
            problems.add(ws.title, header_row, "", f"必須の列「{column.header}」がありません")
    longest = max_cell_characters()
    for number, cells in rows:
        row = TableRow(number, {positions[i]: cell for i, cell in enumerate(cells) if i in positions})
        for key, cell in row.cells.items():
            if len(cell.text) > longest:
                problems.add(
                    ws.title, number, table.header(key), f"{len(cell.text):,}文字あります（{longest:,}文字まで）"
                )
                cell.text = ""
        if any(cell.text.strip() or cell.formula for cell in row.cells.values()):
            table.rows.append(row)
    return table


def formula_problems(table: Table, row: TableRow, subject: str, problems: Problems) -> None:
    for key, cell in row.cells.items():
        if cell.formula:
            problems.add(
                table.sheet,
                row.number,
                table.header(key),
                f"{subject}数式「{cell.text[:40]}」は使えません。計算した結果の値を書いてください",
            )
