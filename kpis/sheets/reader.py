"""Reading a filled-in actuals template (.xlsx, or the same sheet saved as .csv) into plain rows.

Only what a spreadsheet can get wrong is checked here: the file, the sheet, the header row and its
columns. Everything about the values is the import's (``kpis.sheets.actuals``) and the entry service's.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from kpis.limits import file_size_problem, max_cell_characters, max_rows, xlsx_problem
from kpis.sheets.columns import COLUMNS, READ_COLUMNS, SHEET

HEADER_SEARCH_ROWS = 10
XLSX_MAGIC = b"PK\x03\x04"
UNREADABLE_XLSX = "ファイルを読み込めません。出力した実績入力テンプレート（.xlsx）を使ってください"
# What openpyxl raises on a damaged archive or sheet (bad XML, a date serial out of range, a missing part).
XLSX_READ_ERRORS = (
    BadZipFile,
    InvalidFileException,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    OverflowError,
    OSError,
)


@dataclass(frozen=True)
class Found:
    text: str
    formula: bool = False


@dataclass
class SheetRow:
    number: int
    cells: dict[str, Found]

    def text(self, key: str) -> str:
        return self.cells[key].text if key in self.cells else ""


@dataclass
class ParsedSheet:
    sheet: str = SHEET
    header_row: int = 0
    letters: dict[str, str] = field(default_factory=dict)  # column key → letter
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # file-level errors, exact texts


def read_actuals(data: bytes, filename: str = "") -> ParsedSheet:
    too_large = file_size_problem(len(data))
    if too_large:
        return ParsedSheet(problems=[too_large])
    if filename.lower().endswith(".xls"):
        return ParsedSheet(
            problems=["Excel 97-2003 形式（.xls）のファイルは読み込めません。.xlsx 形式で保存し直してください"]
        )
    if data.startswith(XLSX_MAGIC):
        return read_xlsx(data)
    return read_csv(data)


def read_xlsx(data: bytes) -> ParsedSheet:
    unsafe = xlsx_problem(data)  # before openpyxl unpacks anything
    if unsafe:
        return ParsedSheet(problems=[unsafe])
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except XLSX_READ_ERRORS:
        return ParsedSheet(problems=[UNREADABLE_XLSX])
    try:
        if SHEET not in workbook.sheetnames:
            names = "、".join(workbook.sheetnames)
            return ParsedSheet(
                problems=[
                    f"シート「{SHEET}」が見つかりません（このファイルのシート: {names}）。"
                    "出力した実績入力テンプレートを使ってください"
                ]
            )
        ws = workbook[SHEET]
        ws.reset_dimensions()  # files written in streaming mode carry no reliable dimension
        return parse_grid(ws.iter_rows(), cell_found)
    except XLSX_READ_ERRORS:  # the sheet is read lazily: damage shows while iterating
        return ParsedSheet(problems=[UNREADABLE_XLSX])
    finally:
        workbook.close()


def cell_found(cell) -> Found:
    """A cell as found; a formula cell is flagged (text that looks like one is the entry service's to refuse)."""
    value = cell.value
    if getattr(cell, "data_type", None) == "f":
        return Found(str(value), formula=True)
    if value is None or isinstance(value, str):  # the number format (a style lookup) only matters for numbers
        return Found(value or "")
    return Found(cell_text(value, getattr(cell, "number_format", "") or ""))


def cell_text(value, number_format: str = "") -> str:
    """A cell's value as the text a user typed: 12 not 12.0, 75.4% not 0.754."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        number = Decimal(repr(value))
        if "%" in number_format:
            return plain_number(number * 100) + "%"
        return plain_number(number)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def plain_number(number: Decimal) -> str:
    return format(number.normalize(), "f")


def read_csv(data: bytes) -> ParsedSheet:
    """CSV as Excel saves it: UTF-8 (with or without BOM) or, from a Japanese Excel, Shift_JIS (cp932)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return ParsedSheet(problems=["CSVファイルの文字コードを判別できません。UTF-8 で保存し直してください"])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return parse_grid(reader, Found)
    except csv.Error:  # the only one csv.reader raises in its default dialect: a field beyond its size limit
        return ParsedSheet(
            problems=[
                f"CSVファイルの{reader.line_num}行目: 長すぎる項目があります"
                f"（1つの項目は{min(csv.field_size_limit(), max_cell_characters()):,}文字まで）"
            ]
        )


def normalize_header(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").strip()


def header_positions(row: list[Found]) -> dict[str, int]:
    wanted = {normalize_header(c.header): c.key for c in COLUMNS}
    positions: dict[str, int] = {}
    for index, found in enumerate(row):
        key = wanted.get(normalize_header(found.text))
        if key:
            positions.setdefault(key, index)
    return positions


def parse_grid(grid, found) -> ParsedSheet:
    """Find the header row among the first rows, map the columns by header, keep every later row.

    ``grid`` yields rows of cells and ``found`` reads a cell; below the header only the cells of the
    columns the import reads (READ_COLUMNS, half the template's) are read.
    """
    parsed = ParsedSheet()
    positions: dict[str, int] | None = None
    best: dict[str, int] = {}
    best_row = 1
    row_limit = max_rows()
    for number, row in enumerate(grid, 1):
        if len(parsed.rows) >= row_limit:
            parsed.problems.append(
                f"シート {parsed.sheet}: 行が多すぎます（{row_limit:,}行まで）。ファイルを分けて取り込んでください"
            )
            return parsed
        if positions is None:
            headers = header_positions([found(cell) for cell in row])
            if all(column.key in headers for column in READ_COLUMNS):
                positions, parsed.header_row = headers, number
                read = [(column.key, positions[column.key]) for column in READ_COLUMNS]
            elif len(headers) > len(best):
                best, best_row = headers, number
            if positions is None and number >= HEADER_SEARCH_ROWS:
                break
            continue
        parsed.rows.append(SheetRow(number, {key: found(row[i]) for key, i in read if i < len(row)}))
    if positions is None:
        return missing_columns(parsed, best, best_row)
    parsed.letters = {key: get_column_letter(index + 1) for key, index in positions.items()}
    return parsed


def missing_columns(parsed: ParsedSheet, best: dict[str, int], row: int) -> ParsedSheet:
    if not best:
        parsed.problems.append(
            f"シート {parsed.sheet}: 見出し行（指標ID・年度・実績 など）が見つかりません。"
            "出力した実績入力テンプレートを使ってください"
        )
        return parsed
    for column in READ_COLUMNS:
        if column.key not in best:
            parsed.problems.append(
                f"シート {parsed.sheet} {row}行目: 列「{column.header}」が見つかりません。"
                "テンプレートの見出しは変更・削除しないでください"
            )
    return parsed
