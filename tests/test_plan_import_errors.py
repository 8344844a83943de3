"""Broken plan workbooks and broken plan documents: each refused with a Japanese line naming what is wrong, and where.

Every case starts from the mini plan (tests/conftest.py) as its staff export: the workbook written by
export_plan_workbook, or the JSON written by export_plan. Each is broken one way and given to
``manage.py import_plan``; the database must be left as it was (a dump of every table before and after).
"""

import copy
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from kpis.interchange.exporter import export_plan
from kpis.sheets.plan_workbook import plan_workbook
from tests.database import database_dump

pytestmark = pytest.mark.django_db

NUMERIC_KPI = "出張申請窓口の開催回数"


@dataclass
class Case:
    name: str
    change: Callable  # changes the workbook (or the document) in place; may return replacement bytes
    expected: str  # the line (or, when it starts with "…", the end of a line) the refusal must hold


def row_of(ws, first: str, column: int = 1) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value == first)


def column_of(ws, header: str) -> int:
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == header)


def set_cell(sheet: str, first: str, header: str, value, *, by_column: int = 1):
    def change(workbook):
        ws = workbook[sheet]
        ws.cell(row_of(ws, first, by_column), column_of(ws, header)).value = value

    return change


def set_kpi(header: str, value, name: str = NUMERIC_KPI):
    return set_cell("指標", name, header, value, by_column=3)


def set_item(header: str, value):
    def change(workbook):
        ws = workbook["計画"]
        ws.cell(row_of(ws, header), 2).value = value

    return change


def rename_item(header: str, new: str):
    def change(workbook):
        ws = workbook["計画"]
        ws.cell(row_of(ws, header), 1).value = new

    return change


def add_row(sheet: str, values: dict):
    def change(workbook):
        ws = workbook[sheet]
        row = ws.max_row + 1
        for header, value in values.items():
            ws.cell(row, column_of(ws, header)).value = value

    return change


def bytes_of(data: bytes):
    return lambda workbook: data


def with_sheet(workbook):
    workbook.create_sheet("メモ")["A1"] = "打合せの記録"


def without_kpis(workbook):
    del workbook["指標"]


def merged(workbook):
    workbook["取組"].merge_cells("O2:O3")


def rename_header(sheet: str, header: str, new: str):
    def change(workbook):
        ws = workbook[sheet]
        ws.cell(1, column_of(ws, header)).value = new

    return change


def zip_without_workbook() -> bytes:
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        archive.writestr("plan.txt", "計画")
    return handle.getvalue()


WORKBOOK_CASES = [
    Case("empty-file", bytes_of(b""), "ファイルが空です（0バイト）"),
    Case(
        "a-text-file",
        bytes_of("計画名,能代市\n".encode()),
        "Excel のブック（.xlsx）として読めません。計画のワークブック（export_plan_workbook で出力したもの）に"
        "書いて .xlsx 形式で保存してください",
    ),
    Case("a-zip-without-a-workbook", bytes_of(zip_without_workbook()), "…Excel のブック（.xlsx）として読めません。"),
    Case(
        "excel-97",
        bytes_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504),
        "Excel 97-2003 形式（.xls）のファイルは読み込めません。.xlsx 形式で保存し直してください",
    ),
    Case(
        "an-extra-sheet",
        with_sheet,
        "シート「メモ」は計画のワークブックのシートではありません（使えるシート: 説明、計画、改定、担当課、分類、取組、"
        "指標、評価、選択肢）。消すか、内容を決まったシートに移してください",
    ),
    Case("no-kpi-sheet", without_kpis, "シート「指標」がありません（計画のワークブックに必ず必要なシートです）"),
    Case(
        "merged-cells",
        merged,
        "取組シート: セル O2:O3 が結合されています。結合を解除して、値をそれぞれのセルに書いてください",
    ),
    Case(
        "a-formula",
        set_kpi("目標（令和6年度）", "=B2*2"),
        "指標シート 3行目『目標（令和6年度）』: 取組 1-(1)-① の指標『出張申請窓口の開催回数』の数式「=B2*2」は"
        "使えません。計算した結果の値を書いてください",
    ),
    Case(
        "text-in-a-numeric-cell",
        set_kpi("目標（令和6年度）", "１０回？"),
        "指標シート 3行目『目標（令和6年度）』: 取組 1-(1)-① の指標『出張申請窓口の開催回数』の目標『１０回？』を"
        "数値として読めません（数値と単位「回/年」か「－」で書きます。表記を残すときは評価シートの「目標の数値」に数値を）",
    ),
    Case(
        "an-unknown-kind",
        set_kpi("種類", "割合"),
        "指標シート 3行目『種類』: 取組 1-(1)-① の指標『出張申請窓口の開催回数』の種類「割合」は選べません"
        "（数値、定性、目標未設定 から選んでください）",
    ),
    Case(
        "an-unknown-direction",
        set_kpi("方向", "上向き"),
        "…の方向「上向き」は選べません（大きいほど良い、小さいほど良い から選んでください）",
    ),
    Case(
        "cumulative-maybe",
        set_kpi("累計", "たぶん"),
        "…の累計「たぶん」は選べません（はい、いいえ から選んでください）",
    ),
    Case(
        "no-kind",
        set_kpi("種類", None),
        "…の指標『出張申請窓口の開催回数』の種類がありません（数値、定性、目標未設定）",
    ),
    Case(
        "duplicate-measure-key",
        add_row("取組", {"取組キー": "1-(1)-①", "取組名": "別の取組", "分類": "1"}),
        "取組シート 4行目『取組キー』: 取組キー「1-(1)-①」が2行目と重複しています"
        "（同じ取組のスケジュールの続きなら、すぐ下の行に取組キーとスケジュールだけを書きます）",
    ),
    Case(
        "measure-without-name",
        set_cell("取組", "2-(1)-①", "取組名", None),
        "取組シート 3行目『取組名』: 取組 2-(1)-① の取組名がありません",
    ),
    Case(
        "unknown-category",
        set_cell("取組", "2-(1)-①", "分類", "9"),
        "取組シート 3行目『分類』: 取組 2-(1)-① の分類「9」が分類シートにありません",
    ),
    Case(
        "category-without-its-parent",
        add_row("分類", {"分類番号": "3/(1)", "名称": "上位のない分類"}),
        "分類シート 5行目『分類番号』: 分類「3/(1)」の上位の分類「3」がこれより上の行にありません",
    ),
    Case(
        "duplicate-category",
        add_row("分類", {"分類番号": "2", "名称": "重複"}),
        "分類シート 5行目『分類番号』: 分類番号「2」が4行目と重複しています",
    ),
    Case(
        "kpi-of-an-unknown-measure",
        set_kpi("取組キー", "9-(9)-⑨"),
        "指標シート 3行目『取組キー』: 取組キー「9-(9)-⑨」が取組シートにありません",
    ),
    Case(
        "kpi-of-a-measure-and-a-category",
        set_kpi("分類番号", "1"),
        "指標シート 3行目『分類番号』: 取組 1-(1)-① の指標『出張申請窓口の開催回数』の取組キーと分類番号は、"
        "どちらか一方だけを書きます",
    ),
    Case(
        "kpi-of-nothing",
        set_kpi("取組キー", None),
        "指標シート 3行目『取組キー』: 指標『出張申請窓口の開催回数』の取組キーか分類番号を書いてください",
    ),
    Case(
        "duplicate-kpi",
        set_kpi("指標名", NUMERIC_KPI, name="手法の検討"),
        "指標シート 4行目『指標名』: 取組 1-(1)-① の指標『出張申請窓口の開催回数』が3行目と重複しています",
    ),
    Case(
        "unknown-priority-area",
        set_cell("取組", "1-(1)-①", "国の重点取組事項", "マイナンバー"),
        "取組シート 2行目『国の重点取組事項』: 取組 1-(1)-① の「マイナンバー」は国の重点取組事項にありません（一覧は選択肢シート）",
    ),
    Case(
        "sdg-18",
        set_cell("取組", "1-(1)-①", "SDGs", "10, 18"),
        "…取組 1-(1)-① のSDGs のゴール「18」が1～17 ではありません（例: 4, 9, 17）",
    ),
    Case(
        "bad-stage",
        set_cell("取組", "1-(1)-①", "段階", "第二期"),
        "…取組 1-(1)-① の段階「第二期」が読めません（例: 3 または 3,4、令和6年度:1,2）",
    ),
    Case(
        "period-in-words",
        set_item("計画期間（開始年度）", "来年度"),
        "計画シート 12行目『計画期間（開始年度）』: 計画期間（開始年度）「来年度」を年度として読めません"
        "（例: 令和6年度、R6、2024。1989～2100年度）",
    ),
    Case(
        "period-backwards",
        set_item("計画期間（終了年度）", "令和4年度"),
        "計画シート 13行目『計画期間（終了年度）』: 終了年度（2022年度）が開始年度（2023年度）より前です",
    ),
    Case(
        "wrong-check-digit",
        set_item("団体コード", "052028"),
        "計画シート 2行目『団体コード』: 団体コード「052028」の検査数字（6桁目）が違います（05202 なら 052027）",
    ),
    Case(
        "unknown-code",
        set_item("団体コード", "999997"),
        "…団体コード「999997」は全国地方公共団体コードの一覧にありません（plans/data/README.md の一覧）",
    ),
    Case(
        "published-in-words",
        set_item("公表日", "三月ごろ"),
        "…『公表日』: 「三月ごろ」を日付として読めません（例: 2024-03、2024-03-31、令和6年3月）",
    ),
    Case(
        "unknown-status",
        set_item("状態", "確定"),
        "計画シート 10行目『状態』: 「確定」は選べません（下書き、公開 から選んでください）",
    ),
    Case("no-title", set_item("計画名", None), "計画シート 8行目『計画名』: 必須です。書いてください"),
    Case(
        "unknown-mark",
        add_row("評価", {"取組キー": "1-(1)-①", "年度": "令和6年度", "評価": "B"}),
        "評価シート 2行目『評価』: 取組 1-(1)-① の令和6年度の評価「B」は凡例にありません（使える記号: ↗、→、↘、－）",
    ),
    Case(
        "reason-without-mark",
        add_row("評価", {"取組キー": "1-(1)-①", "年度": "令和6年度", "評価の理由": "公表資料による"}),
        "…取組 1-(1)-① の令和6年度の評価の理由がありますが評価がありません",
    ),
    Case(
        "mark-of-an-unknown-kpi",
        add_row("評価", {"取組キー": "1-(1)-①", "指標名": "来庁者数", "年度": "令和6年度", "評価": "↗"}),
        "評価シート 2行目『指標名』: 取組 1-(1)-① の指標『来庁者数』が指標シートにありません",
    ),
    Case(
        "number-in-words",
        add_row("評価", {"取組キー": "1-(1)-①", "指標名": NUMERIC_KPI, "年度": "令和6年度", "目標の数値": "たくさん"}),
        "…の令和6年度の「たくさん」を数値として読めません（数値か「なし」）",
    ),
    Case(
        "unknown-column",
        rename_header("取組", "備考", "担当者メモ"),
        "取組シート 1行目『担当者メモ』: このシートの列ではありません（列の一覧は説明シートにあります）",
    ),
    Case("no-name-column", rename_header("取組", "取組名", None), "取組シート 1行目: 必須の列「取組名」がありません"),
    Case(
        "a-year-outside-the-period",
        rename_header("指標", "目標（令和6年度）", "目標（令和20年度）"),
        "…取組 1-(1)-① の指標『出張申請窓口の開催回数』の目標の令和20年度は計画期間（令和5年度～令和7年度）と"
        "その前年度（基準年度）の外です",
    ),
    Case(
        "unknown-revision",
        set_kpi("追加した改定", "r8"),
        "…取組 1-(1)-① の指標『出張申請窓口の開催回数』の改定のキー「r8」が改定シートにありません",
    ),
    Case(
        "unknown-parent-department",
        set_cell("担当課", "地域情報課", "上位の部署", "総務部"),
        "担当課シート 3行目『上位の部署』: 部署「地域情報課」の上位の部署「総務部」が担当課シートの部署名にありません",
    ),
    Case(
        "unknown-revision-kind",
        set_cell("改定", "established", "種別", "新設"),
        "…改定 established の種別「新設」は選べません（策定、改定、変更、延長 から選んでください）",
    ),
    Case(
        "unknown-related-plan",
        set_cell("取組", "1-(1)-①", "関連計画", "総合戦略"),
        "取組シート 2行目『関連計画』: 取組 1-(1)-① の関連計画「総合戦略」が計画シートの関連計画にありません",
    ),
    Case(
        "unknown-plan-item",
        rename_item("版", "担当者"),
        "計画シート 9行目『担当者』: 計画シートの項目ではありません（項目の一覧は説明シートにあります）",
    ),
]


def workbook_bytes(plan) -> bytes:
    handle = io.BytesIO()
    plan_workbook(plan).save(handle)
    return handle.getvalue()


def broken_workbook(base: bytes, case: Case) -> bytes:
    workbook = load_workbook(io.BytesIO(base))
    replaced = case.change(workbook)
    if replaced is not None:
        return replaced
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def refusal(path, *options) -> list[str] | None:
    """The lines of the command's refusal (without the file name), or None when it imported the file."""
    try:
        call_command("import_plan", str(path), *options, stdout=io.StringIO())
    except CommandError as error:
        heading, *lines = str(error).splitlines()
        assert heading in (
            "次のファイルは取り込んでいません（何も書き込んでいません）:",
            "nothing was written for these files:",
        )
        return [line.removeprefix(f"{path}: ") for line in lines]
    return None


def matches(lines: list[str] | None, expected: str) -> bool:
    if lines is None:
        return False
    if expected.startswith("…"):
        return any(expected[1:] in line for line in lines)
    return expected in lines


def test_broken_workbooks_are_refused_with_their_sheet_row_and_column(mini_plan, tmp_path):
    base = workbook_bytes(mini_plan)
    before = database_dump()
    failures = []
    for case in WORKBOOK_CASES:
        path = tmp_path / f"{case.name}.xlsx"
        path.write_bytes(broken_workbook(base, case))
        lines = refusal(path)
        if not matches(lines, case.expected):
            failures.append(f"{case.name}: {lines}")
    assert not failures, "\n".join(failures)
    assert database_dump() == before
    assert len(WORKBOOK_CASES) >= 30


def test_every_problem_of_a_workbook_is_listed_at_once(mini_plan, tmp_path):
    workbook = load_workbook(io.BytesIO(workbook_bytes(mini_plan)))
    for name in ("text-in-a-numeric-cell", "unknown-category", "unknown-mark", "no-title"):
        next(case for case in WORKBOOK_CASES if case.name == name).change(workbook)
    path = tmp_path / "plan.xlsx"
    workbook.save(path)
    assert len(refusal(path)) == 4


def set_key(*keys, value):
    def change(document):
        node = document
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def delete_key(*keys):
    def change(document):
        node = document
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


def json_bytes(data: bytes):
    return lambda document: data


MEASURE = ("measures", 0)
KPI = (*MEASURE, "kpis", 0)
VALUE = (*KPI, "values", 1)  # 令和5年度 (2023)

JSON_CASES = [
    Case("empty", json_bytes(b""), "ファイルが空です（0バイト）"),
    Case("not-json", json_bytes(b"{plan: 1}"), 'JSON として読めません（1行目 2文字目: 項目名は "…" で囲みます）'),
    Case(
        "format",
        set_key("format", value="dxportal.plan/2"),
        '形式（format）: "dxportal.plan/1" と書いてください（"dxportal.plan/2" と書かれています）',
    ),
    Case(
        "status",
        set_key("plan", "status", value="done"),
        '計画の状態: "done" は使えません（使える値: "draft", "published"）',
    ),
    Case(
        "start-as-text",
        set_key("plan", "period", "start_fy", value="2023"),
        '計画の計画期間の開始年度: 整数で書いてください（"2023" と書かれています）',
    ),
    Case(
        "measure-without-name", delete_key(*MEASURE, "name"), "取組 1-(1)-① の名称: 書かれていません（必須の項目です）"
    ),
    Case(
        "unknown-field",
        set_key(*MEASURE, "担当", value="x"),
        "…取組 1-(1)-①: 「担当」は使えない項目です（使える項目: key, code, name,",
    ),
    Case("key-with-slash", set_key(*MEASURE, "key", value="1/1"), '取組 1/1 のキー: "1/1": / ? # は使えません'),
    Case("sdgs-twice", set_key(*MEASURE, "sdgs", value=[10, 10]), "取組 1-(1)-① のSDGs: 同じ値が重複しています（[…]）"),
    Case(
        "sdg-18",
        set_key(*MEASURE, "sdgs", value=[18]),
        "取組 1-(1)-① のSDGsの1番目: 1～17 にしてください（18 と書かれています）",
    ),
    Case(
        "text-as-a-number",
        set_key(*VALUE, "target", value={"text": "８５％？", "value": "８５％？"}),
        "取組 1-(1)-① の指標『出張申請窓口の開催回数』の令和5年度の目標の数値: 数値 または null で書いてください"
        '（"８５％？" と書かれています）',
    ),
    Case(
        "mark-b",
        set_key(*VALUE, "mark", value="B"),
        '…令和5年度の評価: "B": 凡例のコード（英小文字で始まる16文字まで、例: exceeded）で書いてください',
    ),
    Case(
        "unknown-category",
        set_key(*MEASURE, "category_labels", value=["9"]),
        "…取組 1-(1)-① の分類の1番目: 分類「9」がありません（分類の番号を上位から / でつないで書きます）",
    ),
    Case(
        "unknown-tag",
        set_key(*MEASURE, "tags", value=["マイナンバー"]),
        "取組 1-(1)-① の国の重点取組事項の1番目: 「マイナンバー」は国の重点取組事項にありません（一覧は docs/glossary.md）",
    ),
    Case(
        "duplicate-key",
        set_key("measures", 1, "key", value="1-(1)-①"),
        "取組 1-(1)-① のキー: キー「1-(1)-①」が重複しています",
    ),
    Case(
        "value-outside-the-period",
        set_key(*VALUE, "fy", value=2030),
        "取組 1-(1)-① の指標『出張申請窓口の開催回数』の令和12年度の年度: 令和12年度は計画期間（令和5年度～令和7年度）と"
        "その前年度（基準年度）の外です",
    ),
    Case(
        "schedule-outside-the-period",
        set_key(*MEASURE, "schedule", 0, "fy", value=2030),
        "…のスケジュール（令和12年度）の年度: 令和12年度は計画期間（令和5年度～令和7年度）の外です",
    ),
    Case(
        "duplicate-kpi",
        set_key(*MEASURE, "kpis", 1, "name", value=NUMERIC_KPI),
        "…指標「出張申請窓口の開催回数」が重複しています",
    ),
    Case(
        "unknown-revision",
        set_key(*KPI, "introduced_in", value="r8"),
        "…の追加した改定: 改定「r8」がありません（revisions のキー）",
    ),
    Case(
        "reason-without-mark",
        set_key(*VALUE, value={"fy": 2023, "override_reason": "公表資料による"}),
        "…令和5年度の評価の理由: 評価の理由がありますが評価（mark）がありません",
    ),
    Case(
        "unknown-parent",
        set_key("departments", 1, "parent", value="総務部"),
        "担当課「地域情報課」の上位: 部署「総務部」が担当課の一覧（departments）にありません",
    ),
    Case(
        "unknown-related-plan",
        set_key(*MEASURE, "related_plans", value=["総合戦略"]),
        "…関連計画「総合戦略」が計画の関連計画（plan.related_plans）にありません",
    ),
    Case(
        "wrong-check-digit",
        set_key("municipality", "code", value="052028"),
        "団体のコード: 団体コード「052028」の検査数字（6桁目）が違います（05202 なら 052027）",
    ),
    Case(
        "start-after-end",
        set_key("plan", "period", value={"start_fy": 2026, "end_fy": 2025}),
        "…計画の計画期間: 開始年度（令和8年度）が終了年度（令和7年度）より後です",
    ),
    Case(
        "unknown-predecessor",
        set_key("plan", "replaces", value="dx-plan-2019"),
        "計画の前計画: 前計画「dx-plan-2019」が団体 052027 の計画にありません",
    ),
    Case(
        "slug-with-capitals",
        set_key("plan", "slug", value="Mini Plan"),
        '計画のスラッグ: "Mini Plan": 英小文字・数字とハイフンで書いてください（例: dx-plan-2024）',
    ),
    Case(
        "published-with-slashes",
        set_key("plan", "published_on", value="2024/03"),
        '計画の公表日: "2024/03": 2024-03 か 2024-03-31 の形で書いてください',
    ),
    Case(
        "label-with-slash",
        set_key("categories", 1, "label", value="2/1"),
        '分類 2/1 の番号: "2/1": / は使えません（上位の分類は children で表します）',
    ),
    Case("empty-category-name", set_key("categories", 1, "name", value=""), "分類 2 の名称: 空にはできません"),
    Case(
        "kind-ratio",
        set_key(*KPI, "kind", value="ratio"),
        '…の種別: "ratio" は使えません（使える値: "numeric", "qualitative", "placeholder"）',
    ),
    Case(
        "direction-up",
        set_key(*KPI, "direction", value="up"),
        '…の方向: "up" は使えません（使える値: "higher", "lower"）',
    ),
    Case(
        "cumulative-yes",
        set_key(*KPI, "cumulative", value="yes"),
        '…の累計: true か false で書いてください（"yes" と書かれています）',
    ),
    Case(
        "revision-without-summary",
        delete_key("revisions", 0, "summary"),
        "改定 established の概要: 書かれていません（必須の項目です）",
    ),
    Case(
        "measures-not-a-list", set_key("measures", value={}), "取組: […] の一覧で書いてください（{…} と書かれています）"
    ),
    Case("no-category", set_key(*MEASURE, "category_labels", value=[]), "取組 1-(1)-① の分類: 空にはできません"),
    Case(
        "duplicate-label",
        set_key("categories", 1, "label", value="1"),
        "…番号「1」が同じ上位の分類の中で重複しています（1）",
    ),
]


def broken_document(base: dict, case: Case) -> bytes:
    document = copy.deepcopy(base)
    replaced = case.change(document)
    return replaced if replaced is not None else json.dumps(document, ensure_ascii=False).encode()


def test_broken_json_documents_are_refused_in_japanese(mini_plan, tmp_path):
    base = export_plan(mini_plan)
    before = database_dump()
    failures = []
    for case in JSON_CASES:
        path = tmp_path / f"{case.name}.json"
        path.write_bytes(broken_document(base, case))
        lines = refusal(path)
        if not matches(lines, case.expected):
            failures.append(f"{case.name}: {lines}")
        if any("$." in line or "is not valid under" in line or "is not of type" in line for line in lines or []):
            failures.append(f"{case.name}: JSON path or JSON-Schema wording: {lines}")
    assert not failures, "\n".join(failures)
    assert database_dump() == before
    assert len(JSON_CASES) >= 30


def test_english_on_request(mini_plan, tmp_path):
    document = export_plan(mini_plan)
    document["measures"][0]["kpis"][0]["values"][1]["target"] = {"text": "85%?", "value": "85%?"}
    document["measures"][0]["tags"] = ["マイナンバー"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert refusal(path, "--lang", "en") == [
        "measure 1-(1)-①, KPI '出張申請窓口の開催回数', FY2023, target, number: must be a number or null (found \"85%?\")"
    ]
