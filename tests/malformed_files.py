"""Generators of bad plan documents for tests/test_malformed_inputs.py (actuals files: malformed_sheets.py).

Each ``Bad`` is one file, the part of the message that must name what is wrong, and the settings it is
tried under (a small limit stands in for a large file). Nothing is read from disk: the plan documents
are the mini plan of tests/conftest.py broken one way each.
"""

import copy
import json
from dataclasses import dataclass, field

from tests.conftest import MINI_PLAN
from tests.personas import roles_document

FY = 2025


@dataclass
class Bad:
    name: str
    data: bytes
    expected: str
    filename: str = "bad.json"
    settings: dict = field(default_factory=dict)
    admin_expected: str = ""  # when the admin's upload form words it otherwise

    @property
    def expected_in_admin(self) -> str:
        return self.admin_expected or self.expected


# Plan documents


def document() -> dict:
    return roles_document(copy.deepcopy(MINI_PLAN))


def as_json(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=True).encode("utf-8")  # \ud800 stays an escape, as an attacker writes it


def changed(name: str, expected: str, change) -> Bad:
    doc = document()
    change(doc)
    return Bad(name, as_json(doc), expected)


def nested_categories(levels: int, label: str = "1") -> list[dict]:
    top = {"label": label, "name": "深い分類"}
    node = top
    for _ in range(levels - 1):
        child = {"label": label, "name": "深い分類"}
        node["children"] = [child]
        node = child
    return [top]


def value_of(doc) -> dict:
    return doc["measures"][0]["kpis"][0]["values"][1]  # 出張申請窓口の開催回数, FY2023


def set_text(path: list, length: int):
    """A change setting doc[path...] to a text of ``length`` characters."""

    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "あ" * length

    return change


LONG_TEXTS = [  # (what, path in the document, the column's length + 1, the column's length)
    ("municipality-name", ["municipality", "name"], 101, 100),
    ("municipality-prefecture", ["municipality", "prefecture"], 11, 10),
    ("plan-title", ["plan", "title"], 301, 300),
    ("plan-edition", ["plan", "edition"], 101, 100),
    ("category-label", ["categories", 1, "label"], 31, 30),
    ("category-name", ["categories", 0, "name"], 301, 300),
    ("category-level-name", ["categories", 0, "level_name"], 51, 50),
    ("measure-name", ["measures", 0, "name"], 301, 300),
    ("measure-code", ["measures", 0, "code"], 61, 60),
    ("measure-key", ["measures", 1, "key"], 61, 60),
    ("measure-departments-text", ["measures", 0, "departments_text"], 301, 300),
    ("measure-department", ["measures", 0, "departments", 0], 201, 200),
    ("indicator-name", ["measures", 0, "kpis", 0, "name"], 301, 300),
    ("indicator-unit", ["measures", 0, "kpis", 0, "unit"], 51, 50),
    ("target-text", ["measures", 0, "kpis", 0, "values", 1, "target", "text"], 201, 200),
    ("actual-text", ["measures", 0, "kpis", 0, "values", 1, "actual", "text"], 201, 200),
    ("baseline-text", ["categories", 0, "indicators", 0, "baseline", "text"], 101, 100),
    ("revision-title", ["revisions", 0, "title"], 301, 300),
    ("source-document", ["measures", 0, "source", "document"], 201, 200),
]

NUMBERS = [  # (what, where, the value as JSON text, the message)
    ("actual-1e20", ("actual", "value"), "1e20", "は大きすぎます（整数部分は14桁まで）"),
    ("actual-23-digits", ("actual", "value"), "99999999999999999999999", "は大きすぎます（整数部分は14桁まで）"),
    ("target-15-digits", ("target", "value"), "-123456789012345", "は大きすぎます（整数部分は14桁まで）"),
    ("actual-six-decimals", ("actual", "value"), "0.000001", "小数点以下の桁数が多すぎます（4桁まで"),
    ("target-five-decimals", ("target", "value"), "12.34567", "小数点以下の桁数が多すぎます（4桁まで"),
    ("actual-1e400", ("actual", "value"), "1e400", "NaN・無限大は数値として使えません"),
]


def plan_cases() -> list[Bad]:
    cases = [
        Bad("empty", b"", "ファイルが空です（0バイト）"),
        Bad(
            "truncated",
            as_json(document())[:200],
            'JSON として読めません（1行目 199文字目: 文字列の " が閉じていません）',
        ),
        Bad("latin-1", '{"format": "é"}'.encode("latin-1"), "UTF-8 として読めません"),
        Bad("utf-16", json.dumps(document()).encode("utf-16"), "UTF-8 として読めません"),
        Bad("top-level-array", b"[]", "ファイル全体: {…} のオブジェクトで書いてください（[…] と書かれています）"),
        Bad(
            "top-level-string", b'"plan"', 'ファイル全体: {…} のオブジェクトで書いてください（"plan" と書かれています）'
        ),
        Bad("deep-arrays", b"[" * 100_000 + b"]" * 100_000, "入れ子が深すぎます（40段まで）"),
        Bad("deep-objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "入れ子が深すぎます（40段まで）"),
        Bad("integer-of-5000-digits", b'{"format": ' + b"9" * 5000 + b"}", "桁数の多すぎる数値があります"),
        Bad("too-large", as_json(document()), "ファイルが大きすぎます", settings={"IMPORT_MAX_FILE_BYTES": 1000}),
        changed("categories-nested-30-levels", "入れ子が深すぎます（40段まで）", nested_tree(30)),
        changed("nul-in-a-name", "NUL文字", lambda d: d["measures"][0].update(name="取組\x00名")),
        changed("nul-in-a-key", "キー: NUL文字", lambda d: d["measures"][0].update({"no\x00te": "x"})),
        changed("surrogate-in-a-name", "対になっていないサロゲート", lambda d: d["measures"][0].update(name="\ud800")),
        changed(
            "surrogate-in-a-label", "対になっていないサロゲート", lambda d: d["categories"][0].update(label="\udfff")
        ),
        changed("category-path-218", "文字あります（200文字まで）", long_path),
        changed("published-on-30-february", "「2023-02-30」は日付として正しくありません", published_on("2023-02-30")),
        changed("published-on-month-13", "「2023-13」は日付として正しくありません", published_on("2023-13")),
        changed("revision-on-day-0", "「2023-04-00」は日付として正しくありません", revision_date("2023-04-00")),
        changed(
            "schedule-row-40000",
            "スケジュール（令和5年度）の行: 0～32767 にしてください（40000 と書かれています）",
            schedule_row(40000),
        ),
        changed("published-year-1990", "1990 は計画期間（2022〜2025）の年度ではありません", published_years([1990])),
        changed(
            "fy-2200",
            "の年度: 1989～2100 にしてください（2200 と書かれています）",
            lambda d: value_of(d).update(fy=2200),
        ),
        changed(
            "fy-as-text",
            'の年度: 整数で書いてください（"2023" と書かれています）',
            lambda d: value_of(d).update(fy="2023"),
        ),
        changed(
            "value-true",
            "令和5年度の実績の数値: 数値 または null で書いてください（true と書かれています）",
            lambda d: value_of(d)["actual"].update(value=True),
        ),
        changed(
            "sdg-18",
            "SDGsの1番目: 1～17 にしてください（18 と書かれています）",
            lambda d: d["measures"][0].update(sdgs=[18]),
        ),
        changed("stage-10", "段階の1番目: 1～9 にしてください（10 と書かれています）", stage(10)),
        changed(
            "wrong-check-digit",
            "団体コード「052028」の検査数字（6桁目）が違います（05202 なら 052027）",
            lambda d: d["municipality"].update(code="052028"),
        ),
        changed("renames-the-municipality", "団体コード 052027 は「秋田県能代市」", rename("乗っ取り市")),
    ]
    for constant in ("NaN", "Infinity", "-Infinity"):
        text = as_json(document()).replace(b'"value": 10}', b'"value": ' + constant.encode() + b"}", 1)
        cases.append(Bad(f"{constant}", text, f"「{constant}」は JSON の数値ではありません"))
    for what, path, length, limit in LONG_TEXTS:
        cases.append(changed(f"long-{what}", f"{length:,}文字あります（{limit:,}文字まで）", set_text(path, length)))
    for what, (cell, key), number, message in NUMBERS:
        marker = "★"
        doc = document()
        value_of(doc)[cell] = {"text": "数値", key: marker}
        text = as_json(doc).replace(b'"\\u2605"', number.encode())
        cases.append(Bad(what, text, message))
    baseline = document()
    baseline["categories"][0]["indicators"][0]["baseline"]["value"] = 1e300
    cases.append(Bad("baseline-1e300", as_json(baseline), "1e+300 は大きすぎます"))
    return cases


def nested_tree(levels: int):
    def change(doc):
        doc["categories"] = nested_categories(levels) + doc["categories"]
        for measure in doc["measures"]:
            measure["category_labels"] = ["2"]

    return change


def long_path(doc):
    label = "ラ" * 30
    doc["categories"].append({"label": "9", "name": "長い", "children": nested_categories(7, label)})


def published_on(text: str):
    return lambda doc: doc["plan"].update(published_on=text)


def revision_date(text: str):
    return lambda doc: doc["revisions"][0].update(date=text)


def schedule_row(row: int):
    return lambda doc: doc["measures"][0]["schedule"][0].update(row=row)


def published_years(years: list[int]):
    return lambda doc: doc["plan"].update(published_years=years)


def stage(number: int):
    return lambda doc: doc["measures"][0].update(stages=[{"fy": 2024, "stages": [number]}])


def rename(name: str):
    return lambda doc: doc["municipality"].update(name=name)
