"""Text a spreadsheet would run as a formula (formula or CSV injection): the one rule, for what the
portal writes and what it reads.

Excel, LibreOffice and Google Sheets evaluate a cell whose text starts with =, + , - or @, and a leading
tab or carriage return can hide such a start. Exports keep that text as text: ``csv_safe`` for every
CSV (open data, history), Excel's quote prefix for the workbooks (kpis.sheets.cells). Entry refuses it
(kpis.entry.is_formula_entry), a negative number or a dash excepted.
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text) -> bool:
    """Could a spreadsheet run this as a formula? True for text starting with = + - @, a tab or a CR."""
    return isinstance(text, str) and text.startswith(FORMULA_PREFIXES)


def csv_safe(text) -> str:
    """A CSV cell's text, with a leading apostrophe where a spreadsheet would run it as a formula.

    Every CSV the portal writes goes through this (None is written as '').
    """
    text = "" if text is None else str(text)
    return "'" + text if looks_like_formula(text) else text
