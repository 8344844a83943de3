"""Fiscal years (年度, April–March) and their Japanese era names.

令和N年度 is FY 2018+N; 平成31年度 and 令和元年度 are both FY 2019 (the era changed on 1 May 2019,
after the fiscal year began), so FY 2019 is shown as 令和元年度.
"""

REIWA_OFFSET = 2018
HEISEI_OFFSET = 1988


def wareki(fiscal_year: int) -> str:
    """令和6年度 for 2024."""
    if fiscal_year >= 2019:
        n = fiscal_year - REIWA_OFFSET
        return "令和元年度" if n == 1 else f"令和{n}年度"
    n = fiscal_year - HEISEI_OFFSET
    return "平成元年度" if n == 1 else f"平成{n}年度"


def wareki_short(fiscal_year: int) -> str:
    """R6 for 2024 (the abbreviation plans print in table headings)."""
    if fiscal_year >= 2019:
        return f"R{fiscal_year - REIWA_OFFSET}"
    return f"H{fiscal_year - HEISEI_OFFSET}"


def label(fiscal_year: int) -> str:
    """令和6年度 (2024): the form public pages show where space allows."""
    return f"{wareki(fiscal_year)} ({fiscal_year})"


def english(fiscal_year: int) -> str:
    """FY2024: how English pages name a fiscal year (an era name means little to most readers)."""
    return f"FY{fiscal_year}"
