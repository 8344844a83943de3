"""Reading the plan workbook, part 2: the cell readers every sheet shares, the 指標 and 評価 sheets.

``PlanSheetReader`` is the base of kpis.sheets.plan_reader.DocumentReader: choices, fiscal years (令和6年度,
R6, 2024, full-width digits), dates, lists in a cell, provenance, and the KPIs with their yearly values and
the marks, notes and numbers the 評価 sheet adds to them. Every problem names the sheet, row and column
header, the measure key and KPI name, the value found and what is allowed.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from kpis.sheets import plan_columns as cols
from kpis.sheets.plan_columns import document_number, normalize, read_number
from kpis.sheets.plan_grid import Found, Problems, Table, TableRow, formula_problems, read_table, sheet_rows
from plans.fiscal import wareki
from plans.models import FY_MAX, FY_MIN

FY = re.compile(r"^(?:(令和|平成|R|H)(元|\d+)|(?:FY)?(\d{4}))(?:年度?)?$", re.IGNORECASE)
DATE = re.compile(r"^(?:(令和|平成)(元|\d+)|(\d{4}))[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?$")
SEPARATORS = re.compile(r"[,、，]")
SYNONYMS = {"○": True, "〇": True, "✓": True, "×": False}


def parse_fy(text: str) -> int | None:
    """2024 for 令和6年度, R6, 2024, 2024年度, ２０２４; None when it is no fiscal year in range."""
    match = FY.match(normalize(text))
    if not match:
        return None
    era, number, western = match.groups()
    if western:
        year = int(western)
    else:
        year = (1 if number == "元" else int(number)) + (2018 if era.upper() in ("令和", "R") else 1988)
    return year if FY_MIN <= year <= FY_MAX else None


def explicit_number(text: str) -> tuple[bool, float | int | None]:
    """(ok, value) of a 数値 column: a number, or なし for a printed text without one."""
    plain = normalize(text).replace(",", "")
    if plain == cols.NO_NUMBER:
        return True, None
    try:
        return True, document_number(Decimal(plain))
    except InvalidOperation:
        return False, None


def read_continuation(item: dict, row) -> None:
    """継続先 and 継続先の計画 of a measure's or KPI's row, as ``continues_in`` (left out when both are empty)."""
    continues_in = {key: row.text(f"continues_in.{key}") for key in ("text", "plan") if row.text(f"continues_in.{key}")}
    if continues_in:
        item["continues_in"] = continues_in


class PlanSheetReader:
    def __init__(self, problems: Problems):
        self.problems = problems
        self.locator: dict[str, str] = {}
        self.item_headers: dict[str, str] = {}
        self.symbols: dict[str, str] = {}  # symbol or code as written → code
        self.mark_symbols: list[str] = []  # the legend's symbols, for messages
        self.plan_period = (0, 0)
        self.revision_keys: set[str] = set()
        self.department_names: set[str] = set()
        self.categories: dict[str, dict] = {}
        self.category_at: dict[str, str] = {}
        self.measures: dict[str, dict] = {}
        self.measure_rows: dict[str, int] = {}
        self.measure_index: dict[str, int] = {}

    @staticmethod
    def where(sheet: str, row: int) -> str:
        return f"{sheet}シート {row}行目"

    def problem(self, table: Table, row: TableRow, key: str, message: str) -> None:
        self.problems.add(table.sheet, row.number, table.header(key), message)

    # The 計画 sheet: items (項目 | 値) and the ■ tables under them.

    def plan_rows(self, ws):
        return sheet_rows(ws, self.problems)

    def table_header(self, table: Table, columns: list, title: str, number: int, cells: list[Found]) -> dict:
        """{cell index: column key} from the row under a ■ title; unknown headers are problems."""
        by_header = {normalize(c.header): c for c in columns}
        positions = {}
        for index, cell in enumerate(cells):
            column = by_header.get(normalize(cell.text))
            if column is not None:
                positions[index] = column.key
                table.headers[column.key] = column.header
            elif cell.text.strip():
                self.problems.add(cols.PLAN, number, cell.text.strip(), f"{title[1:]}の表の列ではありません")
        return positions

    def table_row(self, table: Table, positions: dict, number: int, cells: list[Found]) -> None:
        row = TableRow(number, {positions[i]: cell for i, cell in enumerate(cells) if i in positions})
        formula_problems(table, row, "", self.problems)
        table.rows.append(row)

    def item_text(self, items: dict, key: str) -> str:
        return items.get(key, (None, ""))[1]

    def item_problem(self, items: dict, key: str, message: str) -> None:
        self.problems.add(cols.PLAN, items.get(key, (None, ""))[0], self.item_headers.get(key, key), message)

    def item_choice(self, items: dict, key: str, choices: tuple, default):
        text = self.item_text(items, key)
        if not text:
            return default
        code = self.choice_code(text, choices)
        if code is None:
            self.item_problem(items, key, f"「{text}」は選べません（{cols.choice_list(choices)} から選んでください）")
            return default
        return code

    def item_fy(self, items: dict, key: str, *, required: bool) -> int | None:
        text = self.item_text(items, key)
        if not text:
            if required:
                self.item_problem(items, key, "必須です。年度を書いてください（例: 令和6年度、2024）")
            return None
        fiscal_year = parse_fy(text)
        if fiscal_year is None:
            self.item_problem(items, key, self.fy_message(self.item_headers.get(key, key), text))
        return fiscal_year

    # Cells of every sheet.

    @staticmethod
    def choice_code(text: str, choices: tuple):
        plain = normalize(text)
        if plain in SYNONYMS and any(code is True for code, _ in choices):
            return SYNONYMS[plain]
        for code, label in choices:
            if plain == normalize(label) or plain.lower() == str(code).lower():
                return code
        return None

    def choice(self, table: Table, row: TableRow, key: str, choices: tuple, what: str, default):
        text = row.text(key)
        if not text:
            return default
        code = self.choice_code(text, choices)
        if code is None:
            self.problem(
                table, row, key, f"{what}「{text}」は選べません（{cols.choice_list(choices)} から選んでください）"
            )
            return default
        return code

    @staticmethod
    def fy_message(what: str, text: str) -> str:
        return f"{what}「{text}」を年度として読めません（例: 令和6年度、R6、2024。{FY_MIN}～{FY_MAX}年度）"

    def fy_cell(self, table: Table, row: TableRow, key: str, subject: str) -> int | None:
        text = row.text(key)
        if not text:
            return None
        fiscal_year = parse_fy(text)
        if fiscal_year is None:
            self.problem(table, row, key, subject + self.fy_message(table.header(key), text))
        return fiscal_year

    def check_period(self, table: Table, row: TableRow, key: str, fiscal_year: int, what: str) -> None:
        start, end = self.plan_period
        if start and end and not start - 1 <= fiscal_year <= end:
            self.problem(
                table,
                row,
                key,
                f"{what}の{wareki(fiscal_year)}は計画期間（{wareki(start)}～{wareki(end)}）と"
                f"その前年度（基準年度）の外です",
            )

    @staticmethod
    def partial_date(text: str, report) -> str:
        """2024-03 or 2024-03-31 from 2024-03, 2024/3/31, 令和6年3月 …; reports anything else."""
        match = DATE.match(normalize(text))
        if match:
            era, number, western, month, day = match.groups()
            year = (
                int(western) if western else (1 if number == "元" else int(number)) + (2018 if era == "令和" else 1988)
            )
            try:
                datetime.date(year, int(month), int(day or 1))
            except ValueError:
                pass
            else:
                return f"{year:04d}-{int(month):02d}" + (f"-{int(day):02d}" if day else "")
        report(f"「{text}」を日付として読めません（例: 2024-03、2024-03-31、令和6年3月）")
        return text

    @staticmethod
    def split_lines(text: str, *, commas: bool = False) -> list[str]:
        parts = text.splitlines()
        if commas:
            parts = [p for part in parts for p in SEPARATORS.split(part)]
        return [p.strip() for p in parts if p.strip()]

    @staticmethod
    def source_of(document: str, lines: str, report) -> dict | None:
        if lines and not document:
            report("出典の行だけでは書けません（出典資料も書いてください）")
        if not document:
            return None
        return {"document": document, **({"lines": lines} if lines else {})}

    def provenance(self, item: dict, table: Table, row: TableRow) -> None:
        source = self.source_of(
            row.text("source_document"), row.text("source_lines"), lambda m: self.problem(table, row, "source_lines", m)
        )
        if source:
            item["source"] = source
        if row.text("uncertain"):
            item["uncertain"] = row.text("uncertain")

    def sdgs(self, table: Table, row: TableRow, subject: str) -> list[int]:
        goals: list[int] = []
        for part in re.split(r"[^0-9]+", normalize(row.text("sdgs"))):
            if not part:
                continue
            goal = int(part)
            if not 1 <= goal <= 17 or goal in goals:
                what = "重複しています" if goal in goals else "1～17 ではありません"
                self.problem(table, row, "sdgs", f"{subject}SDGs のゴール「{part}」が{what}（例: 4, 9, 17）")
                continue
            goals.append(goal)
        return goals

    def stages(self, table: Table, row: TableRow, subject: str) -> list[dict]:
        entries = []
        for line in self.split_lines(row.text("stages")):
            fy_text, _, numbers = normalize(line).rpartition(":")
            fiscal_year = parse_fy(fy_text) if fy_text else None
            stages = [int(n) for n in re.split(r"[^0-9]+", numbers) if n]
            if (fy_text and fiscal_year is None) or not stages or not all(1 <= s <= 9 for s in stages):
                self.problem(
                    table, row, "stages", f"{subject}段階「{line}」が読めません（例: 3 または 3,4、令和6年度:1,2）"
                )
                continue
            entries.append({"fy": fiscal_year, "stages": stages})
        return entries

    # 評価 and 指標.

    def read_marks(self, ws) -> dict:
        """{(owner, KPI name or None, fy): what the 評価 row says}; owner is ("measure", key) or ("category", path)."""
        table = read_table(ws, cols.MARK_COLUMNS, self.problems)
        marks: dict = {}
        for row in table.rows:
            owner, subject = self.owner(table, row, "kpi")
            fiscal_year = self.fy_cell(table, row, "fy", subject)
            formula_problems(table, row, subject, self.problems)
            if row.text("fy") == "":
                self.problem(table, row, "fy", f"{subject}年度がありません")
            if owner is None or fiscal_year is None:
                continue
            owner_subject, subject = subject, subject + f"{wareki(fiscal_year)}の"
            entry = {"table": table, "row": row, "subject": subject, "owner_subject": owner_subject}
            mark_text = row.text("mark")
            if mark_text:
                entry["mark"] = self.symbols.get(normalize(mark_text))
                if entry["mark"] is None:
                    allowed = "、".join(self.mark_symbols)
                    self.problem(
                        table, row, "mark", f"{subject}評価「{mark_text}」は凡例にありません（使える記号: {allowed}）"
                    )
            elif row.text("override_reason"):
                self.problem(table, row, "override_reason", f"{subject}評価の理由がありますが評価がありません")
            for key in ("override_reason", "achievement_text", "note"):
                entry[key] = row.text(key)
            for key in ("target_value", "actual_value"):
                if row.text(key):
                    ok, entry[key] = explicit_number(row.text(key))
                    if not ok:
                        self.problem(
                            table, row, key, f"{subject}「{row.text(key)}」を数値として読めません（数値か「なし」）"
                        )
            name = row.text("kpi") or None
            if name is None:
                if owner[0] != "measure" or not mark_text:
                    self.problem(
                        table, row, "kpi", f"{subject}指標名がありません（取組の評価なら取組キーと評価を書きます）"
                    )
                elif row.filled(["achievement_text", "note", "target_value", "actual_value"]):
                    self.problem(
                        table, row, "kpi", f"{subject}達成度・備考・数値は指標ごとに書きます（指標名を書いてください）"
                    )
            key = (owner, name, fiscal_year)
            if key in marks:
                self.problem(table, row, "fy", f"{subject}評価が{marks[key]['row'].number}行目と重複しています")
                continue
            marks[key] = entry
        return marks

    def owner(self, table: Table, row: TableRow, name_key: str) -> tuple[tuple | None, str]:
        """(("measure", key) or ("category", path), subject words) of a 指標 or 評価 row; problems named."""
        key, path = row.text("measure"), "/".join(p.strip() for p in row.text("category").split("/") if p.strip())
        name = row.text(name_key)
        kpi = f"の指標『{name}』の" if name else "の"
        if key and path:
            self.problem(table, row, "category", f"取組 {key} {kpi}取組キーと分類番号は、どちらか一方だけを書きます")
            return None, f"取組 {key} {kpi}"
        if key:
            if key not in self.measures:
                self.problem(table, row, "measure", f"取組キー「{key}」が取組シートにありません")
                return None, f"取組 {key} {kpi}"
            return ("measure", key), f"取組 {key} {kpi}"
        if path:
            if path not in self.categories:
                self.problem(table, row, "category", f"分類番号「{path}」が分類シートにありません")
                return None, f"分類 {path} {kpi}"
            return ("category", path), f"分類 {path} {kpi}"
        self.problem(
            table, row, "measure", f"{'指標『' + name + '』の' if name else ''}取組キーか分類番号を書いてください"
        )
        return None, ""

    def read_kpis(self, ws, marks: dict) -> None:
        table = read_table(ws, cols.KPI_COLUMNS, self.problems, year_kinds=("target", "actual"))
        seen: dict = {}
        for row in table.rows:
            owner, subject = self.owner(table, row, "name")
            formula_problems(table, row, subject, self.problems)
            name = row.text("name")
            if not name:
                self.problem(table, row, "name", f"{subject}指標名がありません")
            if owner is None or not name:
                continue
            if (owner, name) in seen:
                self.problem(table, row, "name", f"{subject[:-1]}が{seen[(owner, name)]}行目と重複しています")
                continue
            seen[(owner, name)] = row.number
            kpi = self.kpi(table, row, subject)
            kpi["values"] = self.values(table, row, kpi, owner, marks, subject)
            container = (
                self.measures[owner[1]]["kpis"] if owner[0] == "measure" else self.categories[owner[1]]["indicators"]
            )
            at = (
                f"$.measures[{self.measure_index[owner[1]]}].kpis"
                if owner[0] == "measure"
                else f"{self.category_at[owner[1]]}.indicators"
            )
            self.locator[f"{at}[{len(container)}]"] = self.where(table.sheet, row.number)
            container.append(kpi)

    def kpi(self, table: Table, row: TableRow, subject: str) -> dict:
        kpi = {"name": row.text("name"), "unit": row.text("unit"), "definition": row.text("definition")}
        for key in ("number", "target_after_period"):
            if row.text(key):
                kpi[key] = row.text(key)
        if row.text("also_listed_under"):
            kpi["also_listed_under"] = self.split_lines(row.text("also_listed_under"))
        read_continuation(kpi, row)
        kpi["kind"] = self.choice(table, row, "kind", cols.KPI_KINDS, subject + "種類", None)
        if not row.text("kind"):
            self.problem(table, row, "kind", f"{subject}種類がありません（{cols.choice_list(cols.KPI_KINDS)}）")
        kpi["direction"] = self.choice(table, row, "direction", cols.DIRECTIONS, subject + "方向", "higher")
        kpi["cumulative"] = self.choice(table, row, "cumulative", cols.BOOLEAN, subject + "累計", False)
        for key in ("introduced_in", "retired_in"):
            kpi[key] = row.text(key) or None
            if kpi[key] and kpi[key] not in self.revision_keys:
                self.problem(table, row, key, f"{subject}改定のキー「{kpi[key]}」が改定シートにありません")
        text, fiscal_year = row.text("baseline.text"), self.fy_cell(table, row, "baseline.fy", subject)
        explicit = None
        if row.text("baseline.value"):
            ok, value = explicit_number(row.text("baseline.value"))
            explicit = (value,) if ok else None
            if not ok:
                self.problem(
                    table,
                    row,
                    "baseline.value",
                    f"{subject}基準値の数値「{row.text('baseline.value')}」を数値として読めません",
                )
        if text:
            report = lambda m: self.problem(table, row, "baseline.text", m)  # noqa: E731
            value = self.number(text, explicit, kpi, subject + "基準値", "指標シートの「基準値の数値」", report)
            kpi["baseline"] = {"text": text, "value": value, "fy": fiscal_year}
        elif explicit or fiscal_year:
            self.problem(
                table,
                row,
                "baseline.text",
                f"{subject}基準値の表記がありません（基準値の数値・基準年度だけでは書けません）",
            )
        self.provenance(kpi, table, row)
        return kpi

    def values(self, table: Table, row: TableRow, kpi: dict, owner, marks: dict, subject: str) -> list[dict]:
        years = {fy for kind in ("target", "actual") for fy in table.years.get(kind, {})}
        years |= {fy for (o, name, fy) in marks if o == owner and name == kpi["name"]}
        values = []
        for fiscal_year in sorted(years):
            extra = marks.pop((owner, kpi["name"], fiscal_year), None)
            value: dict = {"fy": fiscal_year}
            for kind, words in (("target", "目標"), ("actual", "実績")):
                key = table.years.get(kind, {}).get(fiscal_year)
                text = row.text(key) if key else ""
                if not text:
                    continue
                explicit = (extra[f"{kind}_value"],) if extra and f"{kind}_value" in extra else None
                report = lambda m, k=key: self.problem(table, row, k, m)  # noqa: E731
                hint = f"評価シートの「{words}の数値」"
                number = self.number(text, explicit, kpi, f"{subject}{words}", hint, report)
                value[kind] = {"text": text, "value": number}
                self.check_period(table, row, key, fiscal_year, f"{subject}{words}")
            if extra is None and len(value) == 1:
                continue
            if extra:
                if extra.get("mark"):
                    value["mark"] = extra["mark"]
                for key in ("override_reason", "achievement_text", "note"):
                    if extra[key]:
                        value[key] = extra[key]
            values.append(value)
        return values

    def number(self, text: str, explicit, kpi: dict, what: str, hint: str, report):
        """The number of a printed value: the 数値 column's when given, else read from the text."""
        if explicit is not None:
            return explicit[0]
        derived, ok = read_number(text, kpi.get("unit", ""))
        if not ok and kpi.get("kind") == "numeric":
            unit = f"数値と単位「{kpi['unit']}」" if kpi.get("unit") else "数値だけ"
            report(
                f"{what}『{text}』を数値として読めません（{unit}か「－」で書きます。表記を残すときは{hint}に数値を）"
            )
        return document_number(derived) if ok else None

    def attach_marks(self, marks: dict) -> None:
        for (owner, name, fiscal_year), entry in sorted(marks.items(), key=lambda item: item[0][2]):
            table, row = entry["table"], entry["row"]
            if name is not None:
                self.problem(table, row, "kpi", f"{entry['owner_subject'][:-1]}が指標シートにありません")
                continue
            if owner[0] == "measure" and entry.get("mark"):
                mark = {"fy": fiscal_year, "mark": entry["mark"]}
                if entry["override_reason"]:
                    mark["override_reason"] = entry["override_reason"]
                self.measures[owner[1]]["marks"].append(mark)
