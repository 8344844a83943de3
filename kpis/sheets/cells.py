"""Cells, styles and page setup shared by every workbook the portal writes (openpyxl write-only mode)."""

from copy import copy

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from kpis.formulas import looks_like_formula

INVALID_TITLE_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)

STYLES = {
    "title": {"font": TITLE},
    "bold": {"font": BOLD},
    "header": {"font": BOLD, "fill": HEADER_FILL, "border": BOX, "alignment": CENTER},
    "label": {"font": BOLD, "fill": LABEL_FILL, "border": BOX, "alignment": CENTER},
    "text": {"border": BOX, "alignment": WRAP},
    "center": {"border": BOX, "alignment": CENTER},
    "line": {"border": BOX, "alignment": TOP},
    "plain": {"alignment": WRAP},
    # One line per row in lists: spreadsheets do not grow rows for wrapped text they did not lay out.
    "input": {"border": BOX, "alignment": TOP, "fill": INPUT_FILL, "protection": Protection(locked=False)},
    "locked": {"border": BOX, "alignment": TOP, "protection": Protection(locked=True)},
}


def cell(ws, value, style: str | None = None, number_format: str | None = None) -> WriteOnlyCell:
    """A streamed cell. Text is always stored as text: formula-looking text gets Excel's own guard
    (quotePrefix, the invisible leading apostrophe), so it shows as typed and is never evaluated."""
    result = WriteOnlyCell(ws, value)
    quote = False
    if isinstance(value, str):
        result.data_type = "s"
        quote = looks_like_formula(value)
    # Resolving a style is costly (openpyxl hashes every part); reuse the resolved array per workbook.
    cache = ws.parent.__dict__.setdefault("_dxportal_styles", {})
    key = (style, quote, number_format)
    if key in cache:
        result._style = copy(cache[key])
        return result
    for attribute, setting in STYLES.get(style, {}).items():
        setattr(result, attribute, setting)
    if quote:
        result.quotePrefix = True
    if number_format:
        result.number_format = number_format
    cache[key] = copy(result._style)
    return result


def sheet_title(wanted: str, used: set[str]) -> str:
    """A valid, unique worksheet title (at most 31 characters, none of []:*?/\\)."""
    base = (wanted or "Sheet").translate(INVALID_TITLE_CHARS).strip("'")[:31] or "Sheet"
    title, n = base, 2
    while title.casefold() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.casefold())
    return title


def set_widths(ws, widths: list[float]) -> None:
    """Column widths; in write-only mode they must be set before the first row is written."""
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width


def a4(ws, *, landscape: bool = False, title_rows: str | None = None, header: str = "") -> None:
    """A4, fitted to one page wide, with rows repeated on every printed page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.8
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    if header:
        ws.oddHeader.center.text = header.replace("&", "&&")
        ws.oddFooter.center.text = "&P / &N"


def text_height(text: str, width_chars: float, line: float = 15.0) -> float | None:
    """A row height that shows wrapped text whole (spreadsheets do not grow merged rows by themselves).

    Wide (Japanese) characters take about two width units each. None when one line is enough.
    """
    if not text:
        return None
    per_line = max(int(width_chars), 1)
    lines = 0
    for part in str(text).split("\n"):
        units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in part)
        lines += max(1, -(-units // per_line))
    return lines * line if lines > 1 else None


class SheetWriter:
    """Appends rows to a write-only sheet and remembers merges and heights, which must be known per row."""

    def __init__(self, ws, columns: int):
        self.ws = ws
        self.columns = columns
        self.row = 0

    def append(self, cells: list, *, height: float | None = None, merges: list[tuple[int, int]] = ()) -> int:
        """Write one row; ``merges`` are (first, last) 1-based column spans of this row. Returns the row index."""
        self.row += 1
        if height:
            self.ws.row_dimensions[self.row].height = height
        self.ws.append(cells)
        for first, last in merges:
            if last > first:
                self.ws.merged_cells.add(f"{get_column_letter(first)}{self.row}:{get_column_letter(last)}{self.row}")
        return self.row

    def merge_down(self, column: int, first_row: int, last_row: int) -> None:
        if last_row > first_row:
            letter = get_column_letter(column)
            self.ws.merged_cells.add(f"{letter}{first_row}:{letter}{last_row}")

    def blank(self) -> None:
        self.append([])
