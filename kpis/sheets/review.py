"""The HQ's review workbook for one plan and fiscal year (the 施策集 pages and the 目標達成状況 table).

Sheets: 目標達成状況, one per top-level category (section Ⅲ: measures × fiscal-year marks), 取組一覧
(measure × KPI, filterable) and one per measure laid out like the printed measure page. Streamed with
openpyxl's write-only mode; the data comes from a fixed number of queries (``load_review_data``).
"""

from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from kpis.sheets.cells import SheetWriter, a4, cell, set_widths, sheet_title, text_height
from kpis.sheets.measure_sheet import write_measure_sheet
from kpis.sheets.review_data import ReviewData, load_review_data
from plans.fiscal import wareki, wareki_short

SUMMARY_TITLE = "目標達成状況"
LIST_TITLE = "取組一覧"

Progress = Callable[[int, int], None]


def build_review_workbook(plan, fy: int, stream, *, user=None, progress: Progress | None = None) -> None:
    """Write the review workbook of ``plan`` for fiscal year ``fy`` to ``stream`` (a path or binary file).

    Shows everything, published or not: callers check ``plans.access.can_export`` first. For a user who
    is not HQ of the plan's municipality, only the measures their departments own (and no plan-wide
    counts). ``progress(done, total)`` is called after each measure sheet.
    """
    data = load_review_data(plan, fy, user)
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    # Each sheet is closed once written: its rows are on disk and its file handle is released, so a
    # plan of a thousand measures neither holds them in memory nor runs out of open files.
    sheet = workbook.create_sheet(sheet_title(SUMMARY_TITLE, used))
    write_summary_sheet(sheet, data)
    sheet.close()
    for top in data.tops:
        sheet = workbook.create_sheet(sheet_title(top_title(top), used))
        write_category_sheet(sheet, data, top)
        sheet.close()
    sheet = workbook.create_sheet(sheet_title(LIST_TITLE, used))
    write_measure_list(sheet, data)
    sheet.close()
    total = len(data.measures)
    for done, measure in enumerate(data.measures, 1):
        sheet = workbook.create_sheet(sheet_title(measure.code or measure.key, used))
        write_measure_sheet(sheet, data, measure)
        sheet.close()
        if progress:
            progress(done, total)
    workbook.save(stream)


def top_title(category) -> str:
    """施策の柱1 (the sheet name of a top-level category)."""
    return f"{category.level_name or '分類'}{category.label}"


def heading(category) -> str:
    return f"{category.level_name}{category.label} {category.name}".strip()


def mark_label(data: ReviewData, code: str) -> str:
    entry = data.legend[code]
    return f"{entry['label']}（{entry['symbol']}）"


def write_summary_sheet(ws, data: ReviewData) -> None:
    """Per top-level category: its numeric targets (目標/実績/達成度) and the measures' mark counts."""
    years = data.years
    width = 3 + len(years)
    set_widths(ws, [18, 26, 9] + [13] * len(years))
    a4(ws, header=f"{data.plan.title} 目標達成状況")
    out = SheetWriter(ws, width)
    out.append([cell(ws, f"{SUMMARY_TITLE}（{wareki(data.fiscal_year)}）", "title")])
    out.append([cell(ws, data.plan.title, "plain")], merges=[(1, width)])
    counts = {(row.category.pk if row.category else None, row.fiscal_year): row for row in data.summary}
    for top in data.tops + ([] if data.scoped else [None]):  # None: the whole plan
        out.blank()
        out.append([cell(ws, heading(top) if top else "計画全体", "bold")], merges=[(1, width)])
        out.append([cell(ws, "", "header")] * 3 + [cell(ws, wareki(fy), "header") for fy in years], merges=[(1, 3)])
        if top is not None:
            write_pillar_targets(ws, out, data, top)
        if data.scoped:
            out.append(
                [cell(ws, "取組の目標達成状況の集計は推進本部の出力にのみ含まれます", "plain")], merges=[(1, width)]
            )
            continue
        first = out.row + 1
        rows = [counts[(top.pk if top else None, fy)] for fy in years]
        for code in data.codes:
            write_count_row(ws, out, data, mark_label(data, code), [row.counts.get(code, 0) for row in rows])
        write_count_row(ws, out, data, "合計", [row.total for row in rows])
        # The same shares as the web page and the JSON: one decimal, adding up to 100.0 (largest remainder).
        for code in data.codes:
            shares = [row.percent[code] if row.total else None for row in rows]
            write_count_row(ws, out, data, f"{mark_label(data, code)}の割合", shares, PERCENT_FORMAT)
        out.merge_down(1, first, out.row)


PERCENT_FORMAT = '0.0"%"'


def write_count_row(
    ws, out: SheetWriter, data: ReviewData, label: str, values: list, number_format: str | None = None
) -> None:
    shown = [value if data.shows_results(fy) else None for fy, value in zip(data.years, values, strict=True)]
    out.append(
        [cell(ws, data.counted, "label"), cell(ws, label, "label"), cell(ws, "", "label")]
        + [cell(ws, value, "center", number_format if value is not None else None) for value in shown],
        merges=[(2, 3)],
    )


def write_pillar_targets(ws, out: SheetWriter, data: ReviewData, top) -> None:
    indicators = data.pillar_indicators.get(top.pk, [])
    first = out.row + 1
    if not indicators:
        out.append([cell(ws, "数値目標の達成状況", "label"), cell(ws, "（数値目標なし）", "text")], merges=[(2, 3)])
    for indicator in indicators:
        by_year = {v.fiscal_year: v for v in indicator.values.all()}
        start = out.row + 1
        rows = [
            ("目標", lambda v, fy: v.target_text),
            ("実績", lambda v, fy: v.actual_text if data.shows_results(fy) else ""),
            ("達成度", lambda v, fy: data.symbol(v.mark) if data.shows_results(fy) else ""),
        ]
        for label, value_of in rows:
            values = [value_of(by_year[fy], fy) if fy in by_year else "" for fy in data.years]
            out.append(
                [cell(ws, "数値目標の達成状況", "label"), cell(ws, indicator_heading(indicator), "text")]
                + [cell(ws, label, "label")]
                + [cell(ws, value, "center") for value in values]
            )
        out.merge_down(2, start, out.row)
    out.merge_down(1, first, out.row)


def indicator_heading(indicator) -> str:
    text = indicator.name
    if indicator.retired_in_id:
        text += f"（{indicator.retired_in.date:%Y年%-m月}の{indicator.retired_in.get_kind_display()}で見直し）"
    elif indicator.introduced_in_id:
        text += f"（{indicator.introduced_in.date:%Y年%-m月}の{indicator.introduced_in.get_kind_display()}で設定）"
    return text


def write_category_sheet(ws, data: ReviewData, top) -> None:
    """Section Ⅲ: the category's numeric targets, then its measures × fiscal-year marks and the legend."""
    years = data.years
    width = 3 + len(years)
    set_widths(ws, [6, 14, 52] + [8] * len(years))
    a4(ws, title_rows="5:5", header=f"{data.plan.title} {heading(top)}")
    out = SheetWriter(ws, width)
    out.append([cell(ws, heading(top), "title")], merges=[(1, width)])
    out.append([cell(ws, top.description, "plain")], merges=[(1, width)], height=text_height(top.description, 90))
    targets = "、".join(target_summary(i) for i in data.pillar_indicators.get(top.pk, []))
    out.append([cell(ws, f"【数値目標】{targets}" if targets else "", "plain")], merges=[(1, width)])
    out.blank()
    out.append(
        [
            cell(ws, "新規", "header"),
            cell(ws, data.words("取組番号"), "header"),
            cell(ws, data.words("取組の名称"), "header"),
        ]
        + [cell(ws, wareki_short(fy), "header") for fy in years]
    )
    for measure, listing in data.listed.get(top.pk, []):
        marks = {m.fiscal_year: m.mark for m in measure.marks.all()}
        name = measure.name if listing.is_primary else f"{measure.name}（再掲）"
        out.append(
            [
                cell(ws, "○新" if measure.is_new else "", "center"),
                cell(ws, measure.code or measure.key, "text"),
                cell(ws, name, "text"),
            ]
            + [cell(ws, data.symbol(marks.get(fy, "")) if data.shows_results(fy) else "", "center") for fy in years]
        )
    write_legend(ws, out, data)


def target_summary(indicator) -> str:
    """マイナンバーカードの交付率 基準値 34.8％（R3） 目標値 100.0％（R7）."""
    values = [v for v in indicator.values.all() if v.target_text]
    text = indicator.name
    if indicator.baseline_text:
        text += f" 基準値 {indicator.baseline_text}"
    if values:
        last = max(values, key=lambda v: v.fiscal_year)
        text += f" 目標値 {last.target_text}（{wareki_short(last.fiscal_year)}）"
    return text


def write_legend(ws, out: SheetWriter, data: ReviewData) -> None:
    out.blank()
    out.append([cell(ws, "※目標達成度の凡例", "bold")], merges=[(1, 3)])
    for code in data.codes:
        entry = data.legend[code]
        out.append([cell(ws, entry["symbol"], "center"), cell(ws, entry["label"], "text")])


LIST_HEADERS = [
    ("施策の柱", 12),
    ("取組番号", 12),
    ("取組の名称", 36),
    ("指標名", 34),
    ("単位", 8),
    ("種類", 16),
    ("目標", 14),
    ("実績", 14),
    ("評価", 6),
    ("評価の説明", 40),
    ("取組の評価", 8),
    ("取組の評価の説明", 40),
    ("担当課", 18),
]


def write_measure_list(ws, data: ReviewData) -> None:
    """One row per measure × KPI for the reviewed year (measures without KPIs get one row)."""
    fy = data.fiscal_year
    set_widths(ws, [width for _, width in LIST_HEADERS])
    ws.freeze_panes = "A2"
    a4(ws, landscape=True, title_rows="1:1", header=f"{data.plan.title} 取組一覧（{wareki(fy)}）")
    out = SheetWriter(ws, len(LIST_HEADERS))
    out.append([cell(ws, data.words(header), "header") for header, _ in LIST_HEADERS])
    for measure in data.measures:
        primary = next((lst for lst in measure.listings.all() if lst.is_primary), None)
        top = heading(data.top_of(data.categories[primary.category_id])) if primary else ""
        mark = next((m for m in measure.marks.all() if m.fiscal_year == fy), None)
        common = [top, measure.code or measure.key, measure.name]
        tail = [data.symbol(mark.mark), data.reason(mark)] if mark else ["", ""]
        tail.append(departments_of(measure))
        for kpi in measure.kpis.all() or [None]:
            value = next((v for v in kpi.values.all() if v.fiscal_year == fy), None) if kpi else None
            middle = ["", "", "", "", "", "", ""]
            if kpi:
                middle = [kpi_name(kpi), kpi.unit, kpi.get_kind_display(), "", "", "", ""]
            if value:
                middle[3:] = [value.target_text, value.actual_text, data.symbol(value.mark), data.reason(value)]
            out.append([cell(ws, text, "line") for text in common + middle + tail])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(LIST_HEADERS))}{max(out.row, 2)}"


def kpi_name(kpi) -> str:
    """目標1 研修受講者数: the KPI's name after its printed number, when it has one."""
    return f"{kpi.number} {kpi.name}" if kpi.number else kpi.name


def departments_of(measure) -> str:
    if measure.departments_text:
        return measure.departments_text
    return "、".join(o.department.name for o in measure.ownerships.all())
