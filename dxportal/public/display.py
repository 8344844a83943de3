"""How values and sources read on public pages: one number style, units said once, sources by their title.

The stored texts stay as printed (staff and open data see them so); only what residents read is evened out.
"""

import re
import unicodedata

# Full-width digits and separators as the seed documents print them (４０件, １，２００人) → 40件, 1,200人.
HALF_WIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
NUMBER = re.compile(r"^[+\-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
NUMBER_WITH_SUFFIX = re.compile(r"^[+\-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(\D{1,6})$")


def half_width_digits(text: str) -> str:
    return (text or "").translate(HALF_WIDTH)


def printed_suffix(texts) -> str:
    """The unit the plan prints after its numbers for a KPI (件 for ４０件 and ５０件), if it prints one only."""
    suffixes = {
        match.group(1) for text in texts if (match := NUMBER_WITH_SUFFIX.match(half_width_digits(text).strip()))
    }
    return suffixes.pop() if len(suffixes) == 1 else ""


def value_text(text: str, suffix: str = "") -> str:
    """A target or actual as residents read it: half-width digits, and a bare number entered in the portal
    given the unit the plan prints after its numbers (45 → 45件 beside the printed ４０件 → 40件)."""
    text = half_width_digits(text).strip()
    return f"{text}{suffix}" if suffix and NUMBER.match(text) else text


def folded(text: str) -> str:
    """For comparing: NFKC (（回／年） = (回/年)) without spaces."""
    return unicodedata.normalize("NFKC", text or "").replace(" ", "")


def unit_shown(name: str, unit: str) -> bool:
    """Whether the KPI's heading should add its unit: not when the name already ends in it in brackets."""
    if not unit:
        return False
    name, unit = folded(name), folded(unit)
    return not any(f"{open_}{unit}{close}" in name for open_, close in ("()", "[]", "【】", "〔〕"))


def cumulative_shown(name: str, unit: str, cumulative: bool) -> bool:
    """Whether to add 【累計】: not when the name or the unit already says 累計."""
    return cumulative and "累計" not in name and "累計" not in (unit or "")


ERA_YEAR = re.compile(r"(?:令和|Ｒ|R)\s*([0-9０-９]{1,2}|元)(?!\d)")


def names_year(text: str, fiscal_year: int) -> bool:
    """Does the printed text already name the fiscal year (34.8％（R3） for 2021; 令和3年度; 2021)?"""
    text = half_width_digits(text)
    if str(fiscal_year) in text:
        return True
    return any(
        (1 if match.group(1) == "元" else int(half_width_digits(match.group(1)))) + 2018 == fiscal_year
        for match in ERA_YEAR.finditer(text)
    )


ERAS = {"令和": 2018, "平成": 1988, "R": 2018, "Ｒ": 2018, "H": 1988, "Ｈ": 1988}
ERA_DATE = re.compile(
    r"(?P<era>令和|平成)(?P<years>(?:[0-9０-９]{1,2}|元)(?:[・、](?:[0-9０-９]{1,2}))*)年(?:(?P<fy>度)|(?P<month>[0-9０-９]{1,2})月)?"
    r"|(?<![A-Za-z])(?P<short>[RＲHＨ])(?P<n>[0-9０-９]{1,2})(?![0-9０-９A-Za-z.．])"
)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def western(match) -> str:
    """The Western year of one era date: FY2024 for 令和6年度, March 2026 for 令和8年3月, FY2021 for R3."""
    if match.group("short"):
        return f"FY{ERAS[match.group('short')] + int(half_width_digits(match.group('n')))}"
    offset = ERAS[match.group("era")]
    years = [
        offset + (1 if n == "元" else int(half_width_digits(n))) for n in re.split(r"[・、]", match.group("years"))
    ]
    if match.group("fy"):
        return ", ".join(f"FY{year}" for year in years)
    if match.group("month"):
        return f"{MONTHS[int(half_width_digits(match.group('month'))) - 1]} {years[-1]}"
    return ", ".join(str(year) for year in years)


def with_western_years(text: str) -> str:
    """English pages: each Japanese era date followed by its Western year (令和8年3月 (March 2026))."""
    return ERA_DATE.sub(lambda match: f"{match.group(0)} ({western(match)})", text or "")


def plan_subtitle(plan) -> str:
    """The plan's title, after its municipality's name only when the title does not start with it."""
    name = plan.municipality.name
    return plan.title if plan.title.startswith(name) else f"{name} {plan.title}"


def document_title(plan, document: str, revision_title: str = "") -> str:
    """The title a source file is known by: the plan's own document, else the title of the latest revision
    citing it (a 変更計画 of the plan), else the file name as stored."""
    if document == plan.source_document:
        return plan.title
    return revision_title or document
