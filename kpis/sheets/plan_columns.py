"""The plan workbook's sheets and columns, shared by its writer and its reader.

A municipal DX office keeps its plan in Excel; this workbook is the plan document (kpis.interchange) in a
form it can fill in. ``export_plan_workbook`` writes a blank template or an existing plan; the reader
(kpis.sheets.plan_reader) turns a filled one back into the interchange document, so both routes share
one validation and one writer (kpis.interchange.importer).

Sheets (説明 describes each column): 計画 (one value per row, then the legends), 改定, 担当課, 分類 (the
category tree as paths, any depth), 取組 (one row per measure; more rows with the same key hold further
rows of the schedule), 指標 (one row per KPI, target and actual per fiscal year as printed), 評価 (optional:
published marks that differ from the computed ones, their reasons, and per-year notes), 選択肢 (the lists
the drop-downs offer). The column definitions below are shared by the writer and the reader.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from kpis.engine import NOT_APPLICABLE_TEXTS
from plans.fiscal import wareki

GUIDE, PLAN, REVISIONS, DEPARTMENTS, CATEGORIES, MEASURES, KPIS, MARKS, CHOICES = (
    "説明",
    "計画",
    "改定",
    "担当課",
    "分類",
    "取組",
    "指標",
    "評価",
    "選択肢",
)
SHEETS = (GUIDE, PLAN, REVISIONS, DEPARTMENTS, CATEGORIES, MEASURES, KPIS, MARKS, CHOICES)
REQUIRED_SHEETS = (PLAN, CATEGORIES, MEASURES, KPIS)
YES, NO = "はい", "いいえ"
LIST_SEPARATOR = "\n"  # lists in one cell: one item per line (Alt+Enter)
CONTINUES = "［継続］"  # schedule cell prefix: the activity continues from the previous year (⇒)
MILESTONE = "［節目］"  # schedule cell prefix: a milestone mark rather than an activity
NO_NUMBER = "なし"  # in a 数値 column: the printed text has no number
ROWS_WITH_CHOICES = 2000  # how far down the drop-downs reach

STATUS = (("draft", "下書き"), ("published", "公開"))
SCORING = (("net", "差引き"), ("worst", "最も低い指標"))
REVISION_KINDS = (("established", "策定"), ("revised", "改定"), ("changed", "変更"), ("extended", "延長"))
KPI_KINDS = (("numeric", "数値"), ("qualitative", "定性"), ("placeholder", "目標未設定"))
DIRECTIONS = (("higher", "大きいほど良い"), ("lower", "小さいほど良い"))
BOOLEAN = ((True, YES), (False, NO))
UNITS = (("measure", "取組"), ("kpi", "指標"))
INTERIM = (("none", "判定しない"), ("pro_rata", "按分"), ("final", "最終目標"))
COMBINE = (("net", "差引き"), ("worst", "最も低い指標"))
OUTCOME_KINDS = (("level", "段階"), ("not_evaluable", "評価できない"))
NOT_EVALUABLE_CASES = (
    ("target_missing", "目標なし"),
    ("target_dash", "目標が－"),
    ("actual_dash", "実績が－"),
    ("actual_not_numeric", "実績が数値でない"),
)
PROVENANCE_NOTE = "計画書から読み取ったときの出典（任意）"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float = 14
    choices: tuple = ()  # (code, label) pairs: a drop-down that refuses anything else
    suggest: str = ""  # a list on the 選択肢 sheet offered, not enforced (cells may hold several lines)
    required: bool = False
    note: str = ""


def provenance_columns() -> list[Column]:
    return [
        Column("source_document", "出典資料", 18, note=PROVENANCE_NOTE),
        Column("source_lines", "出典の行", 10, note="例: 690-745"),
        Column("uncertain", "読み取りの疑義", 30, note="読み取りに迷った点（任意）"),
    ]


# 計画: one item per row (項目 | 値). Keys are the document's, dotted below plan.
PLAN_ITEMS = [
    Column("municipality.code", "団体コード", required=True, note="全国地方公共団体コード6桁（例: 052027）"),
    Column("municipality.name", "団体名", note="空なら登録済みの団体名"),
    Column("municipality.name_en", "団体名（英語）"),
    Column("municipality.prefecture", "都道府県", note="空なら登録済みの都道府県"),
    Column("municipality.slug", "団体のスラッグ", note="空なら登録済みのスラッグ"),
    Column("plan.slug", "計画のスラッグ", required=True, note="英小文字・数字とハイフン（例: dx-plan-2024）"),
    Column("plan.title", "計画名", required=True),
    Column("plan.edition", "版"),
    Column("plan.status", "状態", choices=STATUS, note="空なら下書き。公開にすると取込後すぐに公開ページに出ます"),
    Column("plan.published_on", "公表日", note="2024-03 または 2024-03-31"),
    Column("plan.period.start_fy", "計画期間（開始年度）", required=True, note="令和6年度 または 2024"),
    Column("plan.period.end_fy", "計画期間（終了年度）", required=True),
    Column("plan.replaces", "前計画のスラッグ"),
    Column("plan.scoring_policy", "取組の評価の方法", choices=SCORING, note="指標の評価から取組の評価を決める方法"),
    Column("plan.related_plans", "関連計画", note="1行に1つ"),
    Column("plan.published_years", "公表済みの年度", note="実績を公表済みの年度。1行に1つ（令和5年度 または 2023）"),
    Column("plan.description", "説明"),
    Column("plan.measure_level_name", "取組の呼び方", note="計画書での呼び方（例: 取組項目）。空なら「取組」"),
    Column("plan.kpi_level_name", "指標の呼び方", note="計画書での呼び方（例: 目標）。空なら「指標」"),
    *[Column(f"plan.{c.key}", c.header, note=c.note) for c in provenance_columns()],
    Column("evaluation.unit", "評価の単位", choices=UNITS, note="独自の評価の方式のとき: 取組ごと・指標ごと"),
    Column("evaluation.cumulative_interim", "累計指標の途中年度", choices=INTERIM),
    Column("evaluation.combine", "評価の合算", choices=COMBINE),
]
# Tables below the items on the 計画 sheet, each under a title row.
LEGEND_TITLE, SCHEME_TITLE, STAGE_TITLE = "■評価の凡例", "■評価の方式", "■段階の凡例"
LEGEND_COLUMNS = [Column("code", "コード"), Column("symbol", "記号"), Column("label", "説明", 30)]
SCHEME_COLUMNS = [
    Column("kind", "区分", choices=OUTCOME_KINDS),
    Column("code", "コード"),
    Column("symbol", "記号"),
    Column("label", "説明", 30),
    Column("min_ratio", "下限（実績÷目標）"),
    Column("exclusive", "下限を含まない", choices=BOOLEAN),
    Column("cases", "評価できない場合", suggest="cases"),
]
STAGE_COLUMNS = [Column("stage", "段階"), Column("label", "説明", 30)]

REVISION_COLUMNS = [
    Column("key", "キー", required=True, note="英小文字・数字とハイフン（例: established）"),
    Column("date", "日付", required=True, note="2024-03 または 2024-03-31"),
    Column("kind", "種別", required=True, choices=REVISION_KINDS),
    Column("title", "名称", 24),
    Column("summary", "概要", 40),
    Column("period_end_fy", "変更後の終了年度"),
    *provenance_columns(),
]
DEPARTMENT_COLUMNS = [
    Column("name", "部署名", 24, required=True),
    Column("parent", "上位の部署", 24, suggest="departments", note="課が属する部など"),
]
CATEGORY_COLUMNS = [
    Column("path", "分類番号", 14, required=True, note="上位からの番号を / でつなぐ（例: 1、1/(2)、1/(2)/ア）"),
    Column("name", "名称", 36, required=True),
    Column("level_name", "階層名", note="施策の柱、基本方針 など"),
    Column("description", "説明", 36),
    *provenance_columns(),
]
MEASURE_COLUMNS = [
    Column("key", "取組キー", 12, required=True, note="計画の中で重複しない名前。通常は取組番号と同じ"),
    Column("code", "取組番号", 12),
    Column("name", "取組名", 30, required=True),
    Column("category_labels", "分類", 12, required=True, suggest="categories", note="分類番号。再掲は2行目以降に"),
    Column("departments", "担当課", 16, suggest="departments", note="1行に1つ"),
    Column("departments_text", "担当課（表記）", 16, note="計画書の表記のまま"),
    Column("departments_open_ended", "担当課「等」", 8, choices=BOOLEAN, note="表記が「等」「ほか」で終わる"),
    Column("sdgs", "SDGs", 10, note="ゴールの番号（例: 4, 9, 17）"),
    Column("tags", "国の重点取組事項", 24, suggest="tags", note="1行に1つ"),
    Column("related_plans", "関連計画", 14, note="計画シートの関連計画の名前。1行に1つ"),
    Column("is_new", "新規", 6, choices=BOOLEAN),
    Column("is_managed", "管理対象", 8, choices=BOOLEAN, note="空なら「はい」"),
    Column("stages", "段階", 8, note="例: 3 または 3,4（年度ごとなら 令和6年度:1,2 を1行に1つ）"),
    Column("started_fy", "開始年度", 10),
    Column("overview", "概要", 40),
    Column("background", "現状と課題", 30),
    Column("target_state", "目指す姿", 30),
    Column("direction", "取組の方向性", 30),
    Column("expected_effects", "期待される効果", 30),
    Column("national_policies", "関連する国の施策", 30),
    Column("notes", "備考", 24),
    Column("continues_in.text", "継続先", 24, note="後継計画での扱い（記載どおり）"),
    Column("continues_in.plan", "継続先の計画", 14, note="後継計画のスラッグ（任意）"),
    *provenance_columns(),
]
KPI_COLUMNS = [
    Column("measure", "取組キー", 12, note="取組の指標のとき"),
    Column("category", "分類番号", 10, note="分類（施策の柱など）全体の指標のとき"),
    Column("name", "指標名", 30, required=True),
    Column("unit", "単位", 8),
    Column("kind", "種類", 10, required=True, choices=KPI_KINDS),
    Column("direction", "方向", 12, choices=DIRECTIONS, note="空なら「大きいほど良い」"),
    Column("cumulative", "累計", 6, choices=BOOLEAN),
    Column("baseline.text", "基準値", 12, note="計画書の表記のまま"),
    Column("baseline.value", "基準値の数値", 10, note="表記から数値が読めないときだけ"),
    Column("baseline.fy", "基準年度", 10),
    Column("definition", "定義・出典", 24),
    Column("introduced_in", "追加した改定", 12, note="改定シートのキー"),
    Column("retired_in", "廃止した改定", 12, note="改定シートのキー"),
    Column("number", "目標番号", 8, note="計画書の番号（例: 目標1）"),
    Column("also_listed_under", "再掲先の取組", 12, note="再掲する取組の取組キー。1行に1つ"),
    Column("target_after_period", "計画期間後の目標", 16, note="計画期間より後の目標（例: 100人（2028年度末））"),
    Column("continues_in.text", "継続先", 20, note="後継計画での扱い（記載どおり）"),
    Column("continues_in.plan", "継続先の計画", 14, note="後継計画のスラッグ（任意）"),
    *provenance_columns(),
]
MARK_COLUMNS = [
    Column("measure", "取組キー", 12),
    Column("category", "分類番号", 10),
    Column("kpi", "指標名", 30, note="空なら取組の評価"),
    Column("fy", "年度", 12, required=True),
    Column("mark", "評価", 8, suggest="marks", note="凡例の記号（↗ など）またはコード"),
    Column("override_reason", "評価の理由", 30, note="計算と違う評価にした理由"),
    Column("achievement_text", "達成度（表記）", 12),
    Column("note", "備考", 24),
    Column("target_value", "目標の数値", 10, note="目標の表記から数値が読めないときだけ"),
    Column("actual_value", "実績の数値", 10, note="実績の表記から数値が読めないときだけ"),
]
YEAR_KINDS = {"target": "目標", "actual": "実績", "schedule": "スケジュール"}
YEAR_HEADER = re.compile(r"^(目標|実績|スケジュール)\((?:(令和|平成|R|H)(元|\d+)|(\d{4}))年?度?\)$")
UNIT_SPLIT = re.compile(r"[/・]")
NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)(.*)$")


def normalize(text: str) -> str:
    """As compared: full-width digits and letters to ASCII (ＮＦＫＣ), spaces removed."""
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("\u3000", "").strip()


def year_header(kind: str, fiscal_year: int) -> str:
    return f"{YEAR_KINDS[kind]}（{wareki(fiscal_year)}）"


def parse_year_header(text: str) -> tuple[str, int] | None:
    """('target', 2024) for 目標（令和6年度）, 目標（2024年度）, 目標(R6); None for any other header."""
    match = YEAR_HEADER.match(normalize(text))
    if not match:
        return None
    label, era, number, western = match.groups()
    kind = next(k for k, v in YEAR_KINDS.items() if v == label)
    if western:
        return kind, int(western)
    n = 1 if number == "元" else int(number)
    return kind, n + (2018 if era in ("令和", "R") else 1988)


def read_number(text: str, unit: str = "") -> tuple[Decimal | None, bool]:
    """(number, ok) in a printed value: 85, ８５％, 1,234件; (None, True) for empty and －.

    After the number only the KPI's unit may follow (or a part of it: 回 for 年／回); anything else is
    not a number the portal can compare (ok False).
    """
    stripped = (text or "").strip()
    if not stripped or stripped in NOT_APPLICABLE_TEXTS:
        return None, True
    match = NUMBER.match(unicodedata.normalize("NFKC", stripped).replace(",", ""))
    if match is None:
        return None, False
    rest, plain_unit = match.group(2).strip(), unicodedata.normalize("NFKC", unit or "")
    if rest and not (plain_unit.startswith(rest) or rest in UNIT_SPLIT.split(plain_unit)):
        return None, False
    try:
        return Decimal(match.group(1)), True
    except InvalidOperation:  # pragma: no cover - the pattern lets only decimals through
        return None, False


def document_number(value: Decimal | None):
    """As the interchange document holds numbers (kpis.interchange.exporter.number)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def label_of(choices: tuple, code) -> str:
    return next((label for value, label in choices if value == code), "" if code is None else str(code))


def choice_list(choices: tuple) -> str:
    return "、".join(label for _, label in choices)
