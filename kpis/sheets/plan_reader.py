"""Reading a filled plan workbook into the interchange document that kpis.interchange.importer takes.

``read_plan_workbook(data)`` returns a ``WorkbookReading``: the document, every problem found (in Japanese,
each naming the sheet, the row, the column header, the measure key and KPI name, the value found and what
is allowed), and where in the workbook each part of the document came from (``locator``: JSON path →
"取組シート 5行目"), so that the document validation's own findings name the sheet and row too
(kpis.interchange.messages). Nothing is read from the database but the municipality of the code, the
registered local-government list and the national priority areas, against which names are checked.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from kpis.interchange import FORMAT
from kpis.interchange.bounds import DocumentInputError, parse_document
from kpis.interchange.messages import semantic_message
from kpis.sheets import plan_columns as cols
from kpis.sheets.plan_columns import normalize
from kpis.sheets.plan_grid import (
    OLD_EXCEL,
    Problems,
    Table,
    TableRow,
    check_sheets,
    formula_problems,
    open_workbook,
    read_table,
)
from kpis.sheets.plan_values import PlanSheetReader, parse_fy, read_continuation
from kpis.sheets.reader import XLSX_MAGIC
from measures.models import PriorityArea
from plans.evaluation import scheme_errors
from plans.localgov import LocalGovernmentError, free_slug, lookup
from plans.marks import DEFAULT_LEGEND
from plans.models import Municipality


@dataclass
class WorkbookReading:
    document: dict | None
    problems: list[str] = field(default_factory=list)
    locator: dict[str, str] = field(default_factory=dict)  # JSON path → "指標シート 14行目"


def read_plan_file(filename: str, data: bytes, *, lang: str = "ja") -> WorkbookReading:
    """The plan document in an upload: a plan workbook (.xlsx) read here, or an interchange document (.json).

    Either way the document then goes through the same validation and writer (import_plan).
    """
    if not data:
        return WorkbookReading(None, ["ファイルが空です（0バイト）" if lang != "en" else "the file is empty"])
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")) or data.startswith((XLSX_MAGIC, OLD_EXCEL)):
        return read_plan_workbook(data)
    try:
        return WorkbookReading(parse_document(data))
    except DocumentInputError as error:
        return WorkbookReading(None, [semantic_message(str(error), None, lang)])


def read_plan_workbook(data: bytes) -> WorkbookReading:
    problems = Problems()
    workbook = open_workbook(data, problems)
    if workbook is None:
        return WorkbookReading(None, problems.lines)
    try:
        check_sheets(workbook, cols.REQUIRED_SHEETS, problems)
        if any(name not in workbook.sheetnames for name in cols.REQUIRED_SHEETS):
            return WorkbookReading(None, problems.lines)
        reader = DocumentReader(problems)
        document = reader.read(workbook)
    finally:
        workbook.close()
    return WorkbookReading(None if problems.lines else document, problems.lines, reader.locator)


class DocumentReader(PlanSheetReader):
    """Builds the document sheet by sheet; problems are collected, never raised."""

    def read(self, workbook) -> dict:
        sheets = set(workbook.sheetnames)
        plan_sheet = workbook[cols.PLAN]
        municipality, plan = self.read_plan(plan_sheet)
        self.symbols, self.mark_symbols = cols_symbols(plan)
        document = {"format": FORMAT, "municipality": municipality, "plan": plan}
        document["revisions"] = self.read_revisions(workbook[cols.REVISIONS]) if cols.REVISIONS in sheets else []
        self.revision_keys = {r["key"] for r in document["revisions"]}
        document["departments"] = (
            self.read_departments(workbook[cols.DEPARTMENTS]) if cols.DEPARTMENTS in sheets else []
        )
        document["categories"] = self.read_categories(workbook[cols.CATEGORIES])
        document["measures"] = self.read_measures(workbook[cols.MEASURES], plan)
        marks = self.read_marks(workbook[cols.MARKS]) if cols.MARKS in sheets else {}
        self.read_kpis(workbook[cols.KPIS], marks)
        self.attach_marks(marks)
        return document

    # 計画 ----------------------------------------------------------------------------------------------

    def read_plan(self, ws) -> tuple[dict, dict]:
        items, tables = self.plan_sheet_parts(ws)
        code_row = items.get("municipality.code")
        municipality = self.read_municipality(items)
        plan: dict = {"period": {}}
        for key in ("plan.slug", "plan.title"):
            text = self.item_text(items, key)
            if not text:
                self.item_problem(items, key, "必須です。書いてください")
            plan[key.split(".")[1]] = text
        for key in ("edition", "description", "uncertain", "measure_level_name", "kpi_level_name"):
            if self.item_text(items, f"plan.{key}"):
                plan[key] = self.item_text(items, f"plan.{key}")
        plan["status"] = self.item_choice(items, "plan.status", cols.STATUS, "draft")
        plan["scoring_policy"] = self.item_choice(items, "plan.scoring_policy", cols.SCORING, "net")
        published_on = self.item_text(items, "plan.published_on")
        if published_on:
            plan["published_on"] = self.partial_date(
                published_on, lambda m: self.item_problem(items, "plan.published_on", m)
            )
        for key in ("start_fy", "end_fy"):
            plan["period"][key] = self.item_fy(items, f"plan.period.{key}", required=True)
        start, end = plan["period"]["start_fy"], plan["period"]["end_fy"]
        if start and end and start > end:
            self.item_problem(items, "plan.period.end_fy", f"終了年度（{end}年度）が開始年度（{start}年度）より前です")
        # Years are checked against the period only when it is one (else its own problem says enough).
        self.plan_period = (start, end) if start and end and start <= end else (0, 0)
        if self.item_text(items, "plan.replaces"):
            plan["replaces"] = self.item_text(items, "plan.replaces")
        plan["related_plans"] = self.split_lines(self.item_text(items, "plan.related_plans"))
        plan["published_years"] = []
        for text in self.split_lines(self.item_text(items, "plan.published_years"), commas=True):
            fiscal_year = parse_fy(text)
            if fiscal_year is None:
                self.item_problem(items, "plan.published_years", self.fy_message("公表済みの年度", text))
            else:
                plan["published_years"].append(fiscal_year)
        source = self.source_of(
            self.item_text(items, "plan.source_document"),
            self.item_text(items, "plan.source_lines"),
            lambda m: self.item_problem(items, "plan.source_lines", m),
        )
        if source:
            plan["source"] = source
        self.read_legends(plan, items, tables)
        if code_row:
            self.locator["$.municipality"] = self.where(cols.PLAN, code_row[0])
        return municipality, plan

    def plan_sheet_parts(self, ws):
        """{item key: (row, text)} of the 項目 rows, and {table title: Table} of the ■ tables below them."""
        items: dict[str, tuple[int, str]] = {}
        self.item_headers = {item.key: item.header for item in cols.PLAN_ITEMS}
        by_header = {normalize(item.header): item.key for item in cols.PLAN_ITEMS}
        tables: dict[str, Table] = {}
        table_columns = {
            cols.LEGEND_TITLE: cols.LEGEND_COLUMNS,
            cols.SCHEME_TITLE: cols.SCHEME_COLUMNS,
            cols.STAGE_TITLE: cols.STAGE_COLUMNS,
        }
        title, positions = None, None
        for number, cells in self.plan_rows(ws):
            first = cells[0].text.strip() if cells else ""
            if first.startswith("■"):
                title = next((t for t in table_columns if normalize(t) == normalize(first)), None)
                if title is None:
                    self.problems.add(cols.PLAN, number, first, f"表の名前が違います（{'、'.join(table_columns)}）")
                    title = ""
                else:
                    tables[title] = Table(cols.PLAN)
                positions = None
                continue
            if title == "":
                continue  # rows of a table with a wrong name: reported once, above
            if title:
                if positions is None:  # the first row under the title names the columns
                    positions = self.table_header(tables[title], table_columns[title], title, number, cells)
                else:
                    self.table_row(tables[title], positions, number, cells)
                continue
            if normalize(first) in ("項目", ""):
                continue
            key = by_header.get(normalize(first))
            if key is None:
                self.problems.add(
                    cols.PLAN, number, first, "計画シートの項目ではありません（項目の一覧は説明シートにあります）"
                )
                continue
            value = cells[1] if len(cells) > 1 else None
            if value is not None and value.formula:
                self.problems.add(
                    cols.PLAN, number, first, f"数式「{value.text[:40]}」は使えません。値を書いてください"
                )
            items[key] = (number, "" if value is None or value.formula else value.text.strip())
        for item in cols.PLAN_ITEMS:
            if item.required and item.key not in items:
                self.problems.add(cols.PLAN, None, "", f"項目「{item.header}」の行がありません")
        return items, tables

    def read_municipality(self, items) -> dict:
        code = normalize(self.item_text(items, "municipality.code"))
        texts = {key: self.item_text(items, f"municipality.{key}") for key in ("name", "name_en", "prefecture", "slug")}
        registered = Municipality.objects.filter(code=code).first() if code else None
        if not code:
            self.item_problem(items, "municipality.code", "必須です。全国地方公共団体コード（6桁）を書いてください")
        elif registered is not None:
            for key, text in texts.items():
                texts[key] = text or getattr(registered, key)
        else:
            try:
                entry = lookup(code)
            except LocalGovernmentError as error:
                self.item_problem(items, "municipality.code", str(error))
            else:
                texts["name"] = texts["name"] or entry.name
                texts["prefecture"] = texts["prefecture"] or entry.prefecture
                texts["slug"] = texts["slug"] or free_slug(entry)
        return {"code": code, **texts}

    def read_legends(self, plan: dict, items, tables: dict[str, Table]) -> None:
        legend = tables.get(cols.LEGEND_TITLE)
        if legend is not None:
            plan["mark_legend"] = [
                {"code": r.text("code"), "symbol": r.text("symbol"), "label": r.text("label")} for r in legend.rows
            ]
        stages = tables.get(cols.STAGE_TITLE)
        if stages is not None:
            plan["stage_legend"] = []
            for row in stages.rows:
                stage = parse_fy_free_int(row.text("stage"))
                if stage is None or not 1 <= stage <= 9:
                    self.problems.add(
                        cols.PLAN, row.number, "段階", f"段階「{row.text('stage')}」は 1～9 の数で書いてください"
                    )
                plan["stage_legend"].append({"stage": stage, "label": row.text("label")})
        evaluation: dict = {}
        for key, choices in (("unit", cols.UNITS), ("cumulative_interim", cols.INTERIM), ("combine", cols.COMBINE)):
            value = self.item_choice(items, f"evaluation.{key}", choices, None)
            if value is not None:
                evaluation[key] = value
        scheme = tables.get(cols.SCHEME_TITLE)
        rows: dict[str, int] = {}
        if scheme is not None and scheme.rows:
            evaluation["levels"] = []
            for row in scheme.rows:
                kind = self.choice(scheme, row, "kind", cols.OUTCOME_KINDS, "区分", "level")
                entry = {key: row.text(key) for key in ("code", "symbol", "label")}
                if kind == "not_evaluable":
                    cases = [self.case_code(scheme, row, text) for text in self.split_lines(row.text("cases"))]
                    if cases:
                        entry["cases"] = cases
                    evaluation["not_evaluable"] = entry
                    rows["not_evaluable"] = row.number
                    continue
                if row.text("min_ratio"):
                    entry["min_ratio"] = self.ratio(scheme, row)
                if self.choice(scheme, row, "exclusive", cols.BOOLEAN, "下限を含まない", False):
                    entry["exclusive"] = True
                rows[f"levels[{len(evaluation['levels'])}]"] = row.number
                evaluation["levels"].append(entry)
        if evaluation:
            plan["evaluation"] = evaluation
            for key, message in scheme_errors(evaluation):
                part = key.removeprefix("evaluation.").split(".")[0]
                number = rows.get(part) or (items.get(f"evaluation.{part}") or (None,))[0]
                self.problems.add(cols.PLAN, number, "評価の方式", message)

    def case_code(self, table, row, text) -> str:
        for code, label in cols.NOT_EVALUABLE_CASES:
            if normalize(text) in (normalize(label), code):
                return code
        self.problem(table, row, "cases", f"「{text}」は選べません（{cols.choice_list(cols.NOT_EVALUABLE_CASES)}）")
        return text

    def ratio(self, table, row):
        text = normalize(row.text("min_ratio"))
        percent = text.endswith("%")
        try:
            number = Decimal(text.rstrip("%")) / (100 if percent else 1)
        except InvalidOperation:
            self.problem(
                table, row, "min_ratio", f"下限「{row.text('min_ratio')}」を数値として読めません（例: 1.1、110%）"
            )
            return None
        return cols.document_number(number)

    # 改定・担当課・分類 ----------------------------------------------------------------------------------

    def read_revisions(self, ws) -> list[dict]:
        table = read_table(ws, cols.REVISION_COLUMNS, self.problems)
        revisions, seen = [], {}
        for row in table.rows:
            key = row.text("key")
            subject = f"改定 {key} の" if key else ""
            formula_problems(table, row, subject, self.problems)
            if not key:
                self.problem(table, row, "key", "キーがありません")
            elif key in seen:
                self.problem(table, row, "key", f"キー「{key}」が{seen[key]}行目と重複しています")
            seen.setdefault(key, row.number)
            revision = {"key": key, "summary": row.text("summary")}
            if row.text("date"):
                report = lambda m, r=row, s=subject: self.problem(table, r, "date", s + m)  # noqa: E731
                revision["date"] = self.partial_date(row.text("date"), report)
            else:
                self.problem(table, row, "date", f"{subject}日付がありません（例: 2024-03、2024-03-31）")
                revision["date"] = ""
            revision["kind"] = self.choice(table, row, "kind", cols.REVISION_KINDS, subject + "種別", None)
            if revision["kind"] is None and not row.text("kind"):
                self.problem(
                    table, row, "kind", f"{subject}種別がありません（{cols.choice_list(cols.REVISION_KINDS)}）"
                )
            if row.text("title"):
                revision["title"] = row.text("title")
            revision["period_end_fy"] = self.fy_cell(table, row, "period_end_fy", subject)
            self.provenance(revision, table, row)
            self.locator[f"$.revisions[{len(revisions)}]"] = self.where(table.sheet, row.number)
            revisions.append(revision)
        return revisions

    def read_departments(self, ws) -> list[dict]:
        table = read_table(ws, cols.DEPARTMENT_COLUMNS, self.problems)
        names = {}
        for row in table.rows:
            formula_problems(table, row, "", self.problems)
            name = row.text("name")
            if not name:
                self.problem(table, row, "name", "部署名がありません")
            elif name in names:
                self.problem(table, row, "name", f"部署「{name}」が{names[name]}行目と重複しています")
            names.setdefault(name, row.number)
        departments = []
        for row in table.rows:
            parent = row.text("parent")
            if parent and parent not in names:
                self.problem(
                    table,
                    row,
                    "parent",
                    f"部署「{row.text('name')}」の上位の部署「{parent}」が担当課シートの部署名にありません",
                )
            self.locator[f"$.departments[{len(departments)}]"] = self.where(table.sheet, row.number)
            departments.append({"name": row.text("name"), "parent": parent or None})
        self.department_names = set(names)
        return departments

    def read_categories(self, ws) -> list[dict]:
        table = read_table(ws, cols.CATEGORY_COLUMNS, self.problems)
        roots: list[dict] = []
        self.categories: dict[str, dict] = {}
        rows: dict[str, int] = {}
        for row in table.rows:
            path = row.text("path")
            subject = f"分類 {path} の" if path else ""
            formula_problems(table, row, subject, self.problems)
            labels = [label.strip() for label in path.split("/")]
            if not path or not all(labels):
                self.problem(table, row, "path", f"分類番号「{path}」が書けていません（例: 1、1/(2)）")
                continue
            path = "/".join(labels)
            if path in self.categories:
                self.problem(table, row, "path", f"分類番号「{path}」が{rows[path]}行目と重複しています")
                continue
            parent_path = "/".join(labels[:-1])
            if parent_path and parent_path not in self.categories:
                self.problem(
                    table, row, "path", f"分類「{path}」の上位の分類「{parent_path}」がこれより上の行にありません"
                )
                continue
            if not row.text("name"):
                self.problem(table, row, "name", f"{subject}名称がありません")
            node = {"label": labels[-1], "name": row.text("name"), "children": [], "indicators": []}
            for key in ("level_name", "description"):
                if row.text(key):
                    node[key] = row.text(key)
            self.provenance(node, table, row)
            siblings = self.categories[parent_path]["children"] if parent_path else roots
            at = (self.category_at[parent_path] + ".children" if parent_path else "$.categories") + f"[{len(siblings)}]"
            self.category_at[path], self.categories[path], rows[path] = at, node, row.number
            self.locator[at] = self.where(table.sheet, row.number)
            siblings.append(node)
        return roots

    # 取組 ----------------------------------------------------------------------------------------------

    def read_measures(self, ws, plan: dict) -> list[dict]:
        table = read_table(ws, cols.MEASURE_COLUMNS, self.problems, year_kinds=("schedule",))
        self.measures: dict[str, dict] = {}
        measures: list[dict] = []
        previous_key, schedule_row = None, 0
        known_tags = set(PriorityArea.objects.values_list("name", flat=True))
        related = set(plan.get("related_plans", []))
        other_keys = [c.key for c in cols.MEASURE_COLUMNS if c.key != "key"]
        for row in table.rows:
            key = row.text("key")
            subject = f"取組 {key} の" if key else ""
            formula_problems(table, row, subject, self.problems)
            if key and key == previous_key and not row.filled(other_keys):
                schedule_row += 1  # a further row of the same measure's schedule
                self.schedule(table, row, self.measures[key], schedule_row, subject)
                continue
            if not key:
                self.problem(table, row, "key", "取組キーがありません（計画の中で重複しない名前。通常は取組番号）")
                continue
            if key in self.measures:
                self.problem(
                    table,
                    row,
                    "key",
                    f"取組キー「{key}」が{self.measure_rows[key]}行目と重複しています"
                    "（同じ取組のスケジュールの続きなら、すぐ下の行に取組キーとスケジュールだけを書きます）",
                )
                continue
            previous_key, schedule_row = key, 0
            measure = self.measure(table, row, subject, known_tags, related)
            self.measures[key], self.measure_rows[key] = measure, row.number
            self.locator[f"$.measures[{len(measures)}]"] = self.where(table.sheet, row.number)
            self.measure_index[key] = len(measures)
            measures.append(measure)
            self.schedule(table, row, measure, 0, subject)
        return measures

    def measure(self, table, row, subject, known_tags, related) -> dict:
        measure: dict = {"key": row.text("key"), "name": row.text("name"), "schedule": [], "kpis": [], "marks": []}
        if not measure["name"]:
            self.problem(table, row, "name", f"{subject}取組名がありません")
        measure["category_labels"] = [
            "/".join(p.strip() for p in t.split("/")) for t in self.split_lines(row.text("category_labels"))
        ]
        if not measure["category_labels"]:
            self.problem(table, row, "category_labels", f"{subject}分類がありません（分類シートの分類番号を書きます）")
        for path in measure["category_labels"]:
            if path not in self.categories:
                self.problem(table, row, "category_labels", f"{subject}分類「{path}」が分類シートにありません")
        for key in ("code", "departments_text", "overview", "background", "target_state", "direction"):
            measure[key] = row.text(key)
        for key in ("expected_effects", "national_policies", "notes"):
            measure[key] = row.text(key)
        measure["departments"] = self.split_lines(row.text("departments"))
        measure["tags"] = self.split_lines(row.text("tags"))
        for tag in measure["tags"]:
            if tag not in known_tags:
                self.problem(
                    table, row, "tags", f"{subject}「{tag}」は国の重点取組事項にありません（一覧は選択肢シート）"
                )
        measure["related_plans"] = self.split_lines(row.text("related_plans"))
        for name in measure["related_plans"]:
            if name not in related:
                self.problem(
                    table, row, "related_plans", f"{subject}関連計画「{name}」が計画シートの関連計画にありません"
                )
        measure["sdgs"] = self.sdgs(table, row, subject)
        for key, default in (("is_new", False), ("is_managed", True), ("departments_open_ended", False)):
            measure[key] = self.choice(table, row, key, cols.BOOLEAN, subject + table.header(key), default)
        measure["stages"] = self.stages(table, row, subject)
        measure["started_fy"] = self.fy_cell(table, row, "started_fy", subject)
        read_continuation(measure, row)
        self.provenance(measure, table, row)
        return measure

    def schedule(self, table, row: TableRow, measure: dict, schedule_row: int, subject: str) -> None:
        for fiscal_year, key in sorted(table.years.get("schedule", {}).items()):
            text = row.text(key)
            if not text:
                continue
            entry = {"row": schedule_row, "fy": fiscal_year, "continues": False, "milestone": False}
            for flag, prefix in (("continues", cols.CONTINUES), ("milestone", cols.MILESTONE)):
                for written in (prefix, normalize(prefix)):
                    if text.startswith(written):
                        entry[flag], text = True, text[len(written) :]
            entry["text"] = text
            self.check_period(table, row, key, fiscal_year, subject + "スケジュール")
            measure["schedule"].append(entry)


def cols_symbols(plan: dict) -> tuple[dict[str, str], list[str]]:
    """({symbol or code as written: code}, [symbols]) of the plan's marks: its scheme's, legend's or the default."""
    evaluation = plan.get("evaluation") or {}
    outcomes = [
        *evaluation.get("levels", []),
        *([evaluation["not_evaluable"]] if evaluation.get("not_evaluable") else []),
    ]
    legend = outcomes or plan.get("mark_legend") or DEFAULT_LEGEND
    from_written = {}
    for entry in legend:
        for written in (entry.get("symbol"), entry.get("code")):
            if written:
                from_written[normalize(written)] = entry.get("code")
    return from_written, [entry.get("symbol") or entry.get("code") for entry in legend]


def parse_fy_free_int(text: str) -> int | None:
    match = re.fullmatch(r"\d+", normalize(text))
    return int(match.group()) if match else None
