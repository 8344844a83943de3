"""One rule for text a spreadsheet would run as a formula (kpis.formulas), used by every CSV, workbook and entry."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from kpis.entry import is_formula_entry
from kpis.formulas import csv_safe, looks_like_formula
from kpis.sheets.reader import cell_found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SUM(A1)", True),
        ("+1", True),
        ("-1", True),
        ("@A1", True),
        ("\t=1", True),
        ("\r=1", True),
        ("１=1", False),
        ("A=1", False),
        ("", False),
        (None, False),
        (-1, False),  # numbers are written as numbers, never as formulas
    ],
)
def test_looks_like_formula(text, expected):
    assert looks_like_formula(text) is expected


def test_csv_safe_quotes_what_a_spreadsheet_would_run():
    assert [csv_safe(t) for t in ['=HYPERLINK("x")', "-5", Decimal("-5.0000"), "@A1", "能代市", "", None]] == [
        '\'=HYPERLINK("x")',
        "'-5",
        "'-5.0000",
        "'@A1",
        "能代市",
        "",
        "",
    ]


@pytest.mark.parametrize("text", ["=1+2", "＝1+2", " +5", "@SUM(1)", "-abc", "－abc"])
def test_entry_refuses_formulas(text):
    assert is_formula_entry(text)


@pytest.mark.parametrize("text", ["-5", "－５", "-1,234.5", "-", "－", "", "12回", "手法を検討した"])
def test_entry_accepts_negative_numbers_and_dashes(text):
    assert not is_formula_entry(text)


def test_the_reader_flags_formula_cells_and_leaves_text_to_the_entry_check():
    assert cell_found(SimpleNamespace(value="=1+2", data_type="f")).formula
    assert not cell_found(SimpleNamespace(value="=1+2", data_type="s")).formula
