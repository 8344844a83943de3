"""Writing the plan workbook (kpis.sheets.plan_columns has its sheets and columns) from a plan document.

``build_plan_workbook(document)`` lays out the interchange document (kpis.interchange.exporter) in the
Japanese sheets; ``blank_document`` is the document of a plan still to be written, for the template.
Every value is written as the text the document holds (printed as in the plan: ５２回, 75.4％, －), so
reading the workbook back gives the same document (tests/test_plan_workbook.py checks every seed plan).
"""

from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kpis.formulas import looks_like_formula
from kpis.interchange.exporter import export_plan
from kpis.sheets import plan_columns as cols
from kpis.sheets.plan_columns import Column, label_of, year_header
from measures.models import PriorityArea
from plans.fiscal import wareki
from plans.marks import DEFAULT_LEGEND

HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
BOLD = Font(bold=True)
TOP = Alignment(vertical="top", wrap_text=True)


def put(ws, row: int, column: int, value, *, header: bool = False, required: bool = False):
    """One cell; text stays text (a leading = + - @ never becomes a formula: Excel's quote prefix)."""
    cell = ws.cell(row=row, column=column)
    if value is None or value == "":
        return cell
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    if header:
        cell.font, cell.fill = BOLD, (REQUIRED_FILL if required else HEADER_FILL)
    cell.alignment = TOP
    return cell


def add_choices(ws, column: Column, letter: str, first_row: int, last_row: int, lists: dict[str, str]) -> None:
    """A drop-down: fixed choices refuse other values; suggestions (選択肢 sheet) only offer theirs."""
    if column.choices:
        formula = '"' + ",".join(label for _, label in column.choices) + '"'
        validation = DataValidation(type="list", formula1=formula, allow_blank=True)
        validation.error = f"{cols.choice_list(column.choices)} から選んでください"
        validation.errorTitle = column.header
    elif column.suggest and column.suggest in lists:
        validation = DataValidation(type="list", formula1=lists[column.suggest], allow_blank=True)
        validation.showErrorMessage = False
    else:
        return
    ws.add_data_validation(validation)
    validation.add(f"{letter}{first_row}:{letter}{last_row}")


def write_table(ws, columns: list, rows: list[list], lists: dict[str, str], *, first_row: int = 1) -> int:
    """Header at first_row, then rows; drop-downs down to cols.ROWS_WITH_CHOICES. Returns the last row written."""
    for index, column in enumerate(columns, 1):
        if isinstance(column, Column):
            put(ws, first_row, index, column.header, header=True, required=column.required)
            ws.column_dimensions[get_column_letter(index)].width = column.width
            add_choices(ws, column, get_column_letter(index), first_row + 1, cols.ROWS_WITH_CHOICES, lists)
        else:  # a fiscal-year column: (header, width)
            put(ws, first_row, index, column[0], header=True)
            ws.column_dimensions[get_column_letter(index)].width = column[1]
    for offset, values in enumerate(rows, 1):
        for index, value in enumerate(values, 1):
            put(ws, first_row + offset, index, value)
    ws.freeze_panes = f"A{first_row + 1}"
    return first_row + len(rows)


def fy_text(fiscal_year) -> str:
    return wareki(fiscal_year) if isinstance(fiscal_year, int) else ""


def lines(items) -> str:
    return cols.LIST_SEPARATOR.join(str(item) for item in items or [])


def yes(flag: bool) -> str:
    return cols.YES if flag else ""


def source_cells(item: dict) -> list[str]:
    source = item.get("source") or {}
    return [source.get("document", ""), source.get("lines", ""), item.get("uncertain", "")]


def symbols(plan: dict) -> dict[str, str]:
    """{code: symbol} of the plan's marks: its own scheme's outcomes, else its legend (default ↗ → ↘ －)."""
    evaluation = plan.get("evaluation") or {}
    outcomes = [
        *evaluation.get("levels", []),
        *([evaluation["not_evaluable"]] if evaluation.get("not_evaluable") else []),
    ]
    legend = outcomes or plan.get("mark_legend") or DEFAULT_LEGEND
    return {**{e["code"]: e["symbol"] for e in DEFAULT_LEGEND}, **{e["code"]: e["symbol"] for e in legend}}


def category_rows(categories: list[dict], prefix: str = ""):
    """(path, category) depth first, in document order."""
    for category in categories:
        path = f"{prefix}/{category['label']}" if prefix else category["label"]
        yield path, category
        yield from category_rows(category.get("children", []), path)


def cell_needs_number(cell: dict | None, kpi: dict) -> bool:
    """True when reading the printed text would not give the document's number (the 数値 column says it).

    The reader takes the number in the text (kpis.sheets.plan_columns.read_number); a numeric KPI's text
    without one (集計中) needs its number, or なし, written beside it.
    """
    if not cell:
        return False
    derived, ok = cols.read_number(cell.get("text", ""), kpi.get("unit", ""))
    if not ok and kpi.get("kind") == "numeric":
        return True
    read = derived if ok else None
    stored = cell.get("value")
    return (read is None) != (stored is None) or (stored is not None and read != Decimal(str(stored)))


def number_cell(cell: dict | None, kpi: dict) -> str | int | float:
    if not cell_needs_number(cell, kpi):
        return ""
    return cols.NO_NUMBER if cell.get("value") is None else cell["value"]


def plan_item_values(document: dict) -> dict[str, object]:
    municipality, plan = document["municipality"], document["plan"]
    evaluation = plan.get("evaluation") or {}
    values = {f"municipality.{key}": value for key, value in municipality.items()}
    values |= {
        "plan.slug": plan.get("slug", ""),
        "plan.title": plan.get("title", ""),
        "plan.edition": plan.get("edition", ""),
        "plan.status": label_of(cols.STATUS, plan.get("status")),
        "plan.published_on": plan.get("published_on") or "",
        "plan.period.start_fy": fy_text(plan["period"].get("start_fy")),
        "plan.period.end_fy": fy_text(plan["period"].get("end_fy")),
        "plan.replaces": plan.get("replaces") or "",
        "plan.scoring_policy": label_of(cols.SCORING, plan.get("scoring_policy", "net")),
        "plan.related_plans": lines(plan.get("related_plans")),
        "plan.published_years": lines(fy_text(fy) for fy in plan.get("published_years", [])),
        "plan.description": plan.get("description", ""),
        "plan.measure_level_name": plan.get("measure_level_name", ""),
        "plan.kpi_level_name": plan.get("kpi_level_name", ""),
        "evaluation.unit": label_of(cols.UNITS, evaluation.get("unit")),
        "evaluation.cumulative_interim": label_of(cols.INTERIM, evaluation.get("cumulative_interim")),
        "evaluation.combine": label_of(cols.COMBINE, evaluation.get("combine")),
    }
    for key, text in zip(("source_document", "source_lines", "uncertain"), source_cells(plan), strict=True):
        values[f"plan.{key}"] = text
    return values


def write_plan_sheet(ws, document: dict, lists: dict[str, str]) -> None:
    plan = document["plan"]
    values = plan_item_values(document)
    for index, (header, width) in enumerate((("項目", 24), ("値", 40), ("書き方", 50)), 1):
        put(ws, 1, index, header, header=True)
        ws.column_dimensions[get_column_letter(index)].width = width
    for row, item in enumerate(cols.PLAN_ITEMS, 2):
        put(ws, row, 1, item.header, header=True, required=item.required)
        put(ws, row, 2, values.get(item.key, ""))
        note = item.note + (f"（{cols.choice_list(item.choices)}）" if item.choices else "")
        put(ws, row, 3, note)
        add_choices(ws, item, "B", row, row, lists)
    row = len(cols.PLAN_ITEMS) + 3
    evaluation = plan.get("evaluation") or {}
    outcomes = [
        [label_of(cols.OUTCOME_KINDS, "level"), level.get("code"), level.get("symbol"), level.get("label")]
        + [level.get("min_ratio"), yes(level.get("exclusive")), ""]
        for level in evaluation.get("levels", [])
    ]
    if evaluation.get("not_evaluable"):
        entry = evaluation["not_evaluable"]
        cases = lines(label_of(cols.NOT_EVALUABLE_CASES, case) for case in entry.get("cases", []))
        outcomes.append([label_of(cols.OUTCOME_KINDS, "not_evaluable"), entry.get("code"), entry.get("symbol")])
        outcomes[-1] += [entry.get("label"), "", "", cases]
    tables = [
        (
            cols.LEGEND_TITLE,
            cols.LEGEND_COLUMNS,
            [[e["code"], e["symbol"], e["label"]] for e in plan.get("mark_legend", [])],
        ),
        (cols.SCHEME_TITLE, cols.SCHEME_COLUMNS, outcomes),
        (cols.STAGE_TITLE, cols.STAGE_COLUMNS, [[e["stage"], e["label"]] for e in plan.get("stage_legend", [])]),
    ]
    for title, columns, rows in tables:
        put(ws, row, 1, title, header=True)
        for index, column in enumerate(columns, 1):
            put(ws, row + 1, index, column.header, header=True)
            add_choices(ws, column, get_column_letter(index), row + 2, row + 12, lists)
        for offset, values_row in enumerate(rows, 2):
            for index, value in enumerate(values_row, 1):
                put(ws, row + offset, index, value)
        row += len(rows) + 4


def measure_rows(measure: dict, schedule_years: list[int]) -> list[list]:
    stages = [
        (f"{fy_text(e['fy'])}:" if e.get("fy") else "") + ",".join(str(s) for s in e["stages"])
        for e in measure.get("stages", [])
    ]
    first = [
        measure["key"],
        measure.get("code", ""),
        measure["name"],
        lines(measure.get("category_labels")),
        lines(measure.get("departments")),
        measure.get("departments_text", ""),
        yes(measure.get("departments_open_ended")),
        ", ".join(str(n) for n in measure.get("sdgs", [])),
        lines(measure.get("tags")),
        lines(measure.get("related_plans")),
        yes(measure.get("is_new")),
        "" if measure.get("is_managed", True) else cols.NO,
        lines(stages),
        fy_text(measure.get("started_fy")),
        *(measure.get(key, "") for key in ("overview", "background", "target_state", "direction")),
        *(measure.get(key, "") for key in ("expected_effects", "national_policies", "notes")),
        *continuation_cells(measure),
        *source_cells(measure),
    ]
    cells = {}
    for entry in measure.get("schedule", []):
        text = (cols.CONTINUES if entry.get("continues") else "") + (cols.MILESTONE if entry.get("milestone") else "")
        cells[(entry.get("row", 0), entry["fy"])] = text + (entry.get("text") or "")
    count = max([row for row, _ in cells] + [0]) + 1
    rows = []
    for row in range(count):
        start = first if row == 0 else [measure["key"]] + [""] * (len(first) - 1)
        rows.append(start + [cells.get((row, fy), "") for fy in schedule_years])
    return rows


def kpi_row(owner: list[str], kpi: dict, years: list[int]) -> list:
    unit = kpi.get("unit", "")
    baseline = kpi.get("baseline") or {}
    by_year = {v["fy"]: v for v in kpi.get("values", [])}
    cells = []
    for fy in years:
        value = by_year.get(fy, {})
        cells += [(value.get("target") or {}).get("text", ""), (value.get("actual") or {}).get("text", "")]
    return [
        *owner,
        kpi["name"],
        unit,
        label_of(cols.KPI_KINDS, kpi["kind"]),
        label_of(cols.DIRECTIONS, kpi.get("direction", "higher")),
        yes(kpi.get("cumulative")),
        baseline.get("text", ""),
        number_cell(baseline or None, kpi),
        fy_text(baseline.get("fy")),
        kpi.get("definition", ""),
        kpi.get("introduced_in") or "",
        kpi.get("retired_in") or "",
        kpi.get("number", ""),
        lines(kpi.get("also_listed_under")),
        kpi.get("target_after_period", ""),
        *continuation_cells(kpi),
        *source_cells(kpi),
        *cells,
    ]


def continuation_cells(item: dict) -> list[str]:
    """継続先 and 継続先の計画 of a measure or KPI."""
    continues_in = item.get("continues_in") or {}
    return [continues_in.get("text") or "", continues_in.get("plan") or ""]


def mark_rows(owner: list[str], kpi: dict, marks: dict[str, str]) -> list[list]:
    """The 評価 rows of one KPI: marks that differ from the computed ones, notes, numbers text cannot give."""
    rows = []
    for value in kpi.get("values", []):
        mark = value.get("mark") if value.get("mark") != value.get("computed") else None
        target_number = number_cell(value.get("target"), kpi)
        actual_number = number_cell(value.get("actual"), kpi)
        extra = [value.get("achievement_text", ""), value.get("note", ""), target_number, actual_number]
        empty = not value.get("target") and not value.get("actual")
        if mark or any(v != "" for v in extra) or empty:
            reason = value.get("override_reason", "") if mark else ""
            rows.append([*owner, kpi["name"], fy_text(value["fy"]), marks.get(mark, mark or ""), reason, *extra])
    return rows


def value_years(document: dict, *, kind: str) -> list[int]:
    """The fiscal-year columns: the plan period, and any year before or after it the document uses."""
    period = document["plan"]["period"]
    years = set(range(period["start_fy"], period["end_fy"] + 1))
    for measure in document.get("measures", []):
        if kind == "schedule":
            years |= {e["fy"] for e in measure.get("schedule", [])}
    if kind == "values":
        for kpi in all_kpis(document):
            years |= {v["fy"] for v in kpi[1].get("values", [])}
    return sorted(years)


def all_kpis(document: dict):
    """(owner cells [取組キー, 分類番号], kpi): the categories' indicators first, then the measures' KPIs."""
    for path, category in category_rows(document.get("categories", [])):
        for kpi in category.get("indicators", []):
            yield ["", path], kpi
    for measure in document.get("measures", []):
        for kpi in measure.get("kpis", []):
            yield [measure["key"], ""], kpi


def plan_workbook(plan) -> Workbook:
    """The workbook of a plan in the database: everything its staff export holds (export_plan)."""
    return build_plan_workbook(export_plan(plan), priority_areas=priority_area_names())


def template_workbook(municipality, *, start_fy: int, end_fy: int) -> Workbook:
    """A blank workbook for a new plan of the municipality (None: the 団体コード is left to fill in)."""
    identity = {"code": "", "name": "", "name_en": "", "prefecture": "", "slug": ""}
    if municipality is not None:
        identity = {key: getattr(municipality, key) for key in identity}
    document = blank_document(municipality=identity, start_fy=start_fy, end_fy=end_fy)
    return build_plan_workbook(document, priority_areas=priority_area_names())


def priority_area_names() -> list[str]:
    return list(PriorityArea.objects.order_by("name").values_list("name", flat=True))


def blank_document(*, municipality: dict, start_fy: int, end_fy: int) -> dict:
    """The document of a plan still to be written: the municipality and the period, nothing invented."""
    return {
        "municipality": municipality,
        "plan": {"slug": "", "title": "", "status": "draft", "period": {"start_fy": start_fy, "end_fy": end_fy}},
        "categories": [],
        "measures": [],
    }


def build_plan_workbook(document: dict, *, priority_areas: list[str]) -> Workbook:
    """The workbook of a plan document (a blank one from blank_document); priority_areas for the drop-down."""
    workbook = Workbook()
    sheets = {cols.GUIDE: workbook.active}
    sheets[cols.GUIDE].title = cols.GUIDE
    for name in (
        cols.PLAN,
        cols.REVISIONS,
        cols.DEPARTMENTS,
        cols.CATEGORIES,
        cols.MEASURES,
        cols.KPIS,
        cols.MARKS,
        cols.CHOICES,
    ):
        sheets[name] = workbook.create_sheet(name)
    plan = document["plan"]
    marks = symbols(plan)
    categories = list(category_rows(document.get("categories", [])))
    departments = sorted(
        {d["name"] for d in document.get("departments", [])}
        | {name for m in document.get("measures", []) for name in m.get("departments", [])}
    )
    lists = write_choices(
        sheets[cols.CHOICES],
        {
            "categories": ("分類番号", [path for path, _ in categories]),
            "departments": ("担当課", departments),
            "tags": ("国の重点取組事項", priority_areas),
            "marks": ("評価の記号", list(dict.fromkeys(marks.values()))),
            "cases": ("評価できない場合", [label for _, label in cols.NOT_EVALUABLE_CASES]),
        },
    )
    write_guide(sheets[cols.GUIDE], document)
    write_plan_sheet(sheets[cols.PLAN], document, lists)
    write_table(
        sheets[cols.REVISIONS],
        cols.REVISION_COLUMNS,
        [
            [r["key"], r["date"], label_of(cols.REVISION_KINDS, r["kind"]), r.get("title", ""), r.get("summary", "")]
            + [fy_text(r.get("period_end_fy")), *source_cells(r)]
            for r in document.get("revisions", [])
        ],
        lists,
    )
    write_table(
        sheets[cols.DEPARTMENTS],
        cols.DEPARTMENT_COLUMNS,
        [[d["name"], d.get("parent") or ""] for d in document.get("departments", [])],
        lists,
    )
    write_table(
        sheets[cols.CATEGORIES],
        cols.CATEGORY_COLUMNS,
        [
            [path, c["name"], c.get("level_name", ""), c.get("description", ""), *source_cells(c)]
            for path, c in categories
        ],
        lists,
    )
    schedule_years = value_years(document, kind="schedule")
    write_table(
        sheets[cols.MEASURES],
        cols.MEASURE_COLUMNS + [(year_header("schedule", fy), 16) for fy in schedule_years],
        [row for measure in document.get("measures", []) for row in measure_rows(measure, schedule_years)],
        lists,
    )
    years = value_years(document, kind="values")
    year_columns = [(year_header(kind, fy), 11) for fy in years for kind in ("target", "actual")]
    kpis = list(all_kpis(document))
    write_table(
        sheets[cols.KPIS], cols.KPI_COLUMNS + year_columns, [kpi_row(owner, kpi, years) for owner, kpi in kpis], lists
    )
    rows = [
        [measure["key"], "", "", fy_text(entry["fy"]), marks.get(entry["mark"], entry["mark"])]
        + [entry.get("override_reason", ""), "", "", "", ""]
        for measure in document.get("measures", [])
        for entry in measure.get("marks", [])
        if entry.get("mark") and entry.get("mark") != entry.get("computed")
    ]
    rows += [row for owner, kpi in kpis for row in mark_rows(owner, kpi, marks)]
    write_table(sheets[cols.MARKS], cols.MARK_COLUMNS, rows, lists)
    sheets[cols.CHOICES].sheet_state = "hidden"
    return workbook


def write_choices(ws, named_lists: dict[str, tuple[str, list[str]]]) -> dict[str, str]:
    """One column per list on the 選択肢 sheet; returns {list name: its range} for the drop-downs."""
    ranges = {}
    for index, (name, (header, items)) in enumerate(named_lists.items(), 1):
        letter = get_column_letter(index)
        put(ws, 1, index, header, header=True)
        ws.column_dimensions[letter].width = 30
        for row, item in enumerate(items, 2):
            put(ws, row, index, item)
        ranges[name] = f"{cols.CHOICES}!${letter}$2:${letter}${max(len(items), 1) + 1}"
    return ranges


GUIDE_TEXT = [
    "計画のワークブック（DX進捗ポータル）",
    "計画を Excel で書き、ポータルの「計画の取込」（または manage.py import_plan ファイル名.xlsx）で取り込みます。",
    "取込の前にすべてのシートを確かめ、問題があればシート・行・列の名前を添えてまとめて知らせます（何も書き込みません）。",
    "色の付いた見出しは必須の列です。選択肢のある列はセルの ▼ から選びます。数値は全角でも半角でも構いません。",
    "年度は 令和6年度・R6・2024 のどれでも書けます。年度の列（目標（令和6年度）など）は足したり消したりできます。",
    "1つのセルに複数の値（分類・担当課・国の重点取組事項・関連計画）を書くときは、セルの中で改行して1行に1つ書きます。",
    f"スケジュールのセル: 前年度から続く矢印は「{cols.CONTINUES}」、節目の印は「{cols.MILESTONE}」を先頭に付けます。"
    "同じ取組のスケジュールが複数行あるときは、取組キーだけを書いた行を取組の行のすぐ下に足します。",
    "目標・実績は計画書の表記のまま書きます（例: ５２回、75.4％、－）。数値の指標で表記から数値が読めないときは、"
    f"評価シートの「目標の数値」「実績の数値」に数値を書きます（数値がないときは「{cols.NO_NUMBER}」）。",
    "評価シートは任意です。計算と違う評価を公表しているときだけ、その評価と理由を書きます。",
    "数式・セルの結合・このブックにないシートは使えません（値だけを書いてください）。",
]


def write_guide(ws, document: dict) -> None:
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 8
    ws.column_dimensions["D"].width = 70
    for row, text in enumerate(GUIDE_TEXT, 1):
        put(ws, row, 1, text, header=row == 1)
    row = len(GUIDE_TEXT) + 2
    for index, header in enumerate(("シート", "列・項目", "必須", "書き方"), 1):
        put(ws, row, index, header, header=True)
    sheets = [
        (cols.PLAN, cols.PLAN_ITEMS + cols.LEGEND_COLUMNS + cols.SCHEME_COLUMNS + cols.STAGE_COLUMNS),
        (cols.REVISIONS, cols.REVISION_COLUMNS),
        (cols.DEPARTMENTS, cols.DEPARTMENT_COLUMNS),
        (cols.CATEGORIES, cols.CATEGORY_COLUMNS),
        (cols.MEASURES, cols.MEASURE_COLUMNS + [Column("", "スケジュール（令和6年度）", note="年度ごとの予定")]),
        (
            cols.KPIS,
            cols.KPI_COLUMNS
            + [Column("", "目標（令和6年度）・実績（令和6年度）", note="年度ごとに計画書の表記のまま")],
        ),
        (cols.MARKS, cols.MARK_COLUMNS),
    ]
    for sheet, columns in sheets:
        for column in columns:
            row += 1
            note = column.note + (f"（{cols.choice_list(column.choices)}）" if column.choices else "")
            put(ws, row, 1, sheet)
            put(ws, row, 2, column.header)
            put(ws, row, 3, cols.YES if column.required else "")
            put(ws, row, 4, note)
