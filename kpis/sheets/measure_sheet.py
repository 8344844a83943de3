"""One review sheet per measure, laid out like the printed measure page of the 施策集.

取組番号 / SDGs, 取組の名称, 関連計画 (〇 per plan-level related plan), 取組の概要, スケジュール, 目指す姿,
目標及び実績 (目標 / 実績 / 評価 rows per KPI across wareki fiscal years), the yearly 目標達成度,
取組の方向性 and 担当課, on A4 portrait with the headings repeated on every printed page.
"""

from kpis.sheets.cells import SheetWriter, a4, cell, set_widths, text_height
from kpis.sheets.review_data import ReviewData
from plans.fiscal import wareki

LABEL, NAME, KIND, YEAR = 13, 18, 6, 13  # column widths: label, KPI name, 目標/実績, one per year


def write_measure_sheet(ws, data: ReviewData, measure) -> None:
    years = kpi_years(data, measure)
    width = 3 + max(len(years), 3)
    text_width = NAME + KIND + YEAR * (width - 3)
    set_widths(ws, [LABEL, NAME, KIND] + [YEAR] * (width - 3))
    a4(ws, title_rows="1:2", header=f"{data.plan.title} {measure.code or measure.key}")
    out = SheetWriter(ws, width)
    primary = next((lst for lst in measure.listings.all() if lst.is_primary), None)
    chain = data.chain(data.categories[primary.category_id]) if primary else []
    top = chain[0] if chain else None
    out.append([cell(ws, f"{top.level_name}{top.label} {top.name}" if top else "", "title")], merges=[(1, width)])
    inner = " / ".join(f"{c.label} {c.name}" for c in chain[1:])
    out.append([cell(ws, inner, "bold")], merges=[(1, width)])
    sdgs = "、".join(str(goal.number) for goal in measure.sdgs.all())
    out.append(
        [cell(ws, data.words("取組番号"), "label"), cell(ws, measure.code or measure.key, "text"), cell(ws, "", "text")]
        + [cell(ws, "SDGs", "label"), cell(ws, sdgs, "text")]
        + [cell(ws, "", "text")] * (width - 5),
        merges=[(2, 3), (5, width)],
    )
    name = f"○新 {measure.name}" if measure.is_new else measure.name
    labelled(ws, out, data.words("取組の名称"), name, width, text_width)
    write_related_plans(ws, out, data, measure, width)
    for label, text in [("これまでの課題", measure.background), ("取組の概要", measure.overview)]:
        if text or label == "取組の概要":
            labelled(ws, out, label, text, width, text_width)
    write_schedule(ws, out, data, measure, width)
    labelled(ws, out, "目指す姿", measure.target_state, width, text_width)
    write_kpi_table(ws, out, data, measure, years, width)
    write_marks(ws, out, data, measure, width)
    for label, text in [("期待される効果", measure.expected_effects), ("取組の方向性", measure.direction)]:
        if text or label == "取組の方向性":
            labelled(ws, out, label, text, width, text_width)
    departments = measure.departments_text or "、".join(o.department.name for o in measure.ownerships.all())
    labelled(ws, out, "担当課", departments, width, text_width)


def kpi_years(data: ReviewData, measure) -> list[int]:
    """The plan years plus any year a KPI has a value for (the baseline column, 4年度 in Noshiro)."""
    years = set(data.years)
    for kpi in measure.kpis.all():
        years.update(v.fiscal_year for v in kpi.values.all())
    return sorted(years)


def labelled(ws, out: SheetWriter, label: str, text: str, width: int, text_width: int) -> None:
    out.append(
        [cell(ws, label, "label"), cell(ws, text or "", "text")] + [cell(ws, "", "text")] * (width - 2),
        merges=[(2, width)],
        height=text_height(text, text_width),
    )


def write_related_plans(ws, out: SheetWriter, data: ReviewData, measure, width: int) -> None:
    names = data.plan.related_plans or []
    if not names:
        return
    first = out.row + 1
    for name in names:
        mark = "〇" if name in (measure.related_plans or []) else ""
        out.append(
            [cell(ws, "関連計画", "label"), cell(ws, name, "text"), cell(ws, "", "text"), cell(ws, mark, "center")]
            + [cell(ws, "", "text")] * (width - 4),
            merges=[(2, 3), (4, width)],
        )
    out.merge_down(1, first, out.row)


def write_schedule(ws, out: SheetWriter, data: ReviewData, measure, width: int) -> None:
    """スケジュール: one row per parallel track, one column per plan year (⇒ = continues)."""
    years = data.years
    rows: dict[int, dict[int, object]] = {}
    for entry in measure.schedule.all():
        rows.setdefault(entry.row, {})[entry.fiscal_year] = entry
    first = out.row + 1
    out.append(
        [cell(ws, "スケジュール", "label"), cell(ws, "", "label"), cell(ws, "", "label")]
        + [cell(ws, wareki(fy), "header") for fy in years]
        + [cell(ws, "", "header")] * (width - 3 - len(years)),
        merges=[(2, 3)],
    )
    for _, row in sorted(rows.items()) or [(0, {})]:
        texts = [schedule_text(row.get(fy)) for fy in years]
        out.append(
            [cell(ws, "スケジュール", "label"), cell(ws, "", "text"), cell(ws, "", "text")]
            + [cell(ws, text, "text") for text in texts]
            + [cell(ws, "", "text")] * (width - 3 - len(years)),
            merges=[(2, 3)],
            height=max([text_height(t, YEAR) or 0 for t in texts] + [0]) or None,
        )
    out.merge_down(1, first, out.row)


def schedule_text(entry) -> str:
    if entry is None:
        return ""
    return f"⇒ {entry.text}".strip() if entry.continues else entry.text


def write_kpi_table(ws, out: SheetWriter, data: ReviewData, measure, years: list[int], width: int) -> None:
    """目標及び実績: per KPI three rows (目標, 実績, 評価); actuals and marks up to the reviewed year."""
    pad = [cell(ws, "", "header")] * (width - 3 - len(years))
    first = out.row + 1
    out.append(
        [cell(ws, "目標及び実績", "label"), cell(ws, data.words("指標"), "header"), cell(ws, "", "header")]
        + [cell(ws, wareki(fy), "header") for fy in years]
        + pad
    )
    kpis = list(measure.kpis.all())
    if not kpis:
        out.append(
            [cell(ws, "目標及び実績", "label"), cell(ws, "（指標なし）", "text")]
            + [cell(ws, "", "text")] * (width - 2),
            merges=[(2, width)],
        )
    for kpi in kpis:
        by_year = {v.fiscal_year: v for v in kpi.values.all()}
        start = out.row + 1
        name = f"{kpi.name}（{kpi.unit}）" if kpi.unit and kpi.unit not in kpi.name else kpi.name
        name = f"{kpi.number} {name}" if kpi.number else name
        rows = [
            ("目標", lambda v, fy: v.target_text),
            ("実績", lambda v, fy: v.actual_text if data.shows_results(fy) else ""),
            ("評価", lambda v, fy: data.symbol(v.mark) if data.shows_results(fy) else ""),
        ]
        if any(v.override and data.shows_results(fy) for fy, v in by_year.items()):
            rows.append(("確定評価の理由", lambda v, fy: v.override_reason if data.shows_results(fy) else ""))
        for label, value_of in rows:
            texts = [value_of(by_year[fy], fy) if fy in by_year else "" for fy in years]
            out.append(
                [cell(ws, "目標及び実績", "label"), cell(ws, name, "text"), cell(ws, label, "label")]
                + [cell(ws, text, "center") for text in texts]
                + [cell(ws, "", "text")] * (width - 3 - len(years)),
                height=max([text_height(t, YEAR) or 0 for t in texts] + [0]) or None,
            )
        out.merge_down(2, start, out.row)
    out.merge_down(1, first, out.row)


def write_marks(ws, out: SheetWriter, data: ReviewData, measure, width: int) -> None:
    """The measure's 目標達成度 per plan year, as section Ⅲ prints it."""
    years = data.years
    marks = {m.fiscal_year: m for m in measure.marks.all() if data.shows_results(m.fiscal_year)}
    symbols = [data.symbol(marks[fy].mark) if fy in marks else "" for fy in years]
    out.append(
        [cell(ws, "目標達成度", "label"), cell(ws, "", "label"), cell(ws, "", "label")]
        + [cell(ws, wareki(fy), "header") for fy in years]
        + [cell(ws, "", "header")] * (width - 3 - len(years)),
        merges=[(2, 3)],
    )
    out.append(
        [cell(ws, "目標達成度", "label"), cell(ws, "", "text"), cell(ws, "", "text")]
        + [cell(ws, symbol, "center") for symbol in symbols]
        + [cell(ws, "", "text")] * (width - 3 - len(years)),
        merges=[(2, 3)],
    )
    reasons = [marks[fy].override_reason if fy in marks else "" for fy in years]
    if any(reasons):  # an override's reason, in place of the engine's explanation of the mark it replaced
        out.append(
            [cell(ws, "目標達成度", "label"), cell(ws, "確定評価の理由", "label"), cell(ws, "", "label")]
            + [cell(ws, reason, "text") for reason in reasons]
            + [cell(ws, "", "text")] * (width - 3 - len(years)),
            merges=[(2, 3)],
            height=max(text_height(reason, YEAR) or 0 for reason in reasons) or None,
        )
    out.merge_down(1, out.row - (2 if any(reasons) else 1), out.row)
