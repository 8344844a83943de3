"""Problems of a plan document in the staff's words: one line each, Japanese by default, English on request.

kpis.interchange.validation reports (JSON path, message) pairs such as
``$.measures[12].kpis[0].values[0].mark: 'B' is not valid under any of the given schemas``. Here each pair
becomes a line that names the place in words from the document itself (取組 3-2 の指標『研修受講者数』の
令和6年度の目標), says what was found and what is allowed, without JSON-Schema wording. A document read
from a plan workbook also carries where each part came from (kpis.sheets.plan_reader: "指標シート 14行目"),
which leads the line.
"""

import json
import re

import jsonschema
from jsonschema.exceptions import best_match

from kpis.interchange.validation import schema
from plans.fiscal import english, wareki
from plans.localgov import check_digit
from plans.models import FY_MAX, FY_MIN

FISCAL_YEARS = range(FY_MIN, FY_MAX + 1)  # only a year in range is named by its era
CODED = re.compile(r"^(取組|分類|改定) ")  # words ending in a printed code: 取組 1-(1)-① の…
PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
# Keys of the document in words (Japanese, English); lists name their items from the document itself.
KEY_WORDS = {
    "format": ("形式（format）", "format"),
    "municipality": ("団体", "municipality"),
    "plan": ("計画", "plan"),
    "code": ("コード", "code"),
    "name": ("名称", "name"),
    "name_en": ("英語名", "English name"),
    "prefecture": ("都道府県", "prefecture"),
    "slug": ("スラッグ", "slug"),
    "title": ("計画名", "title"),
    "edition": ("版", "edition"),
    "status": ("状態", "status"),
    "published_on": ("公表日", "publication date"),
    "period": ("計画期間", "period"),
    "start_fy": ("開始年度", "first fiscal year"),
    "end_fy": ("終了年度", "last fiscal year"),
    "replaces": ("前計画", "plan replaced"),
    "scoring_policy": ("取組の評価の方法", "scoring policy"),
    "mark_legend": ("評価の凡例", "mark legend"),
    "stage_legend": ("段階の凡例", "stage legend"),
    "evaluation": ("評価の方式", "evaluation scheme"),
    "related_plans": ("関連計画", "related plans"),
    "published_years": ("公表済みの年度", "published years"),
    "description": ("説明", "description"),
    "source": ("出典", "source"),
    "document": ("資料", "document"),
    "lines": ("行", "lines"),
    "uncertain": ("読み取りの疑義", "doubts"),
    "departments": ("担当課", "departments"),
    "parent": ("上位", "parent"),
    "revisions": ("改定", "revisions"),
    "key": ("キー", "key"),
    "date": ("日付", "date"),
    "kind": ("種別", "kind"),
    "summary": ("概要", "summary"),
    "period_end_fy": ("変更後の終了年度", "new last fiscal year"),
    "categories": ("分類", "categories"),
    "label": ("番号", "label"),
    "level_name": ("階層名", "level name"),
    "children": ("下位の分類", "sub-categories"),
    "indicators": ("指標", "indicators"),
    "measures": ("取組", "measures"),
    "category_labels": ("分類", "categories"),
    "is_new": ("新規", "new"),
    "is_managed": ("管理対象", "managed"),
    "stages": ("段階", "stages"),
    "sdgs": ("SDGs", "SDGs"),
    "overview": ("概要", "overview"),
    "background": ("現状と課題", "background"),
    "started_fy": ("開始年度", "start year"),
    "target_state": ("目指す姿", "target state"),
    "direction": ("方向", "direction"),
    "expected_effects": ("期待される効果", "expected effects"),
    "national_policies": ("関連する国の施策", "national policies"),
    "tags": ("国の重点取組事項", "national priority areas"),
    "departments_open_ended": ("担当課「等」", "departments open-ended"),
    "departments_text": ("担当課（表記）", "departments as printed"),
    "schedule": ("スケジュール", "schedule"),
    "row": ("行", "row"),
    "fy": ("年度", "fiscal year"),
    "text": ("表記", "text"),
    "value": ("数値", "number"),
    "continues": ("継続", "continues"),
    "milestone": ("節目", "milestone"),
    "kpis": ("指標", "KPIs"),
    "unit": ("単位", "unit"),
    "cumulative": ("累計", "cumulative"),
    "baseline": ("基準値", "baseline"),
    "definition": ("定義", "definition"),
    "introduced_in": ("追加した改定", "introduced in"),
    "retired_in": ("廃止した改定", "retired in"),
    "also_listed_under": ("再掲先の取組", "also listed under"),
    "number": ("目標番号", "printed number"),
    "target_after_period": ("計画期間後の目標", "target after the plan period"),
    "continues_in": ("継続先", "continues in"),
    "measure_level_name": ("取組の呼び方", "name of its measures"),
    "kpi_level_name": ("指標の呼び方", "name of its KPIs"),
    "values": ("年度の値", "yearly values"),
    "target": ("目標", "target"),
    "actual": ("実績", "actual"),
    "mark": ("評価", "mark"),
    "computed": ("計算した評価", "computed mark"),
    "override_reason": ("評価の理由", "reason for the mark"),
    "achievement_text": ("達成度", "achievement"),
    "note": ("備考", "note"),
    "marks": ("評価", "marks"),
    "notes": ("備考", "notes"),
    "levels": ("段階", "levels"),
    "not_evaluable": ("評価できない", "not evaluable"),
    "min_ratio": ("下限", "lower bound"),
    "symbol": ("記号", "symbol"),
    "summary_counts": ("集計", "summary"),
}
TYPE_WORDS = {
    "string": ('文字列（"…"）', "a string"),
    "integer": ("整数", "an integer"),
    "number": ("数値", "a number"),
    "boolean": ("true か false", "true or false"),
    "object": ("{…} のオブジェクト", "an object {…}"),
    "array": ("[…] の一覧", "a list […]"),
    "null": ("null", "null"),
}
PATTERN_WORDS = {
    "^[a-z0-9]+(?:-[a-z0-9]+)*$": (
        "英小文字・数字とハイフンで書いてください（例: dx-plan-2024）",
        "lowercase letters, digits and hyphens (e.g. dx-plan-2024)",
    ),
    "^[0-9]{6}$": (
        "6桁の数字で書いてください（全国地方公共団体コード、例: 052027）",
        "six digits (the local government code, e.g. 052027)",
    ),
    "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$": (
        "2024-03 か 2024-03-31 の形で書いてください",
        "a date as 2024-03 or 2024-03-31",
    ),
    "^[0-9]+(-[0-9]+)?$": ("行番号で書いてください（例: 690-745）", "line numbers (e.g. 690-745)"),
    "^[^/?#]+$": ("/ ? # は使えません", "no / ? or #"),
    "^[^/]+$": ("/ は使えません（上位の分類は children で表します）", "no / (sub-categories go under children)"),
    "^[a-z][a-z0-9_]{0,15}$": (
        "凡例のコード（英小文字で始まる16文字まで、例: exceeded）で書いてください",
        "a legend code (lowercase, up to 16 characters, e.g. exceeded)",
    ),
}
DUPLICATE_WHAT = {
    "key": ("キー", "key"),
    "name": ("名称", "name"),
    "fy": ("年度", "fiscal year"),
    "row/fy": ("行と年度", "row and fiscal year"),
}


def lang_index(lang: str) -> int:
    return 1 if lang == "en" else 0


def found_text(value) -> str:
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list):
        return "[…]"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + '…"'


def tokens(path: str) -> list[str | int]:
    return [key if key else int(index) for key, index in PATH_TOKEN.findall(path.removeprefix("$"))]


def place(path: str, document, lang: str = "ja") -> str:
    """The place of a JSON path in words, named from the document: 取組 3-2 の指標『研修受講者数』の令和6年度の目標."""
    if not path.startswith("$"):
        return path  # already words (e.g. the importer's "measure 3-2 / KPI / 2024")
    en = lang == "en"
    parts: list[str] = []
    category_path: list[str] = []
    node, list_key = document, None
    steps = tokens(path)
    for position, token in enumerate(steps):
        if isinstance(token, int):
            node = node[token] if isinstance(node, list) and token < len(node) else None
            if list_key == "children" and parts:
                parts.pop()  # the sub-category's words name its whole path
            parts.append(item_words(list_key, token, node, category_path, en))
            continue
        node = node.get(token) if isinstance(node, dict) else None
        list_key = token
        followed_by_index = position + 1 < len(steps) and isinstance(steps[position + 1], int)
        if not followed_by_index:  # an item of a list is named by item_words instead
            parts.append(KEY_WORDS.get(token, (token, token))[lang_index(lang)])
    if not parts:
        return "document" if en else "ファイル全体"
    return ", ".join(parts) if en else join_japanese(parts)


def join_japanese(parts: list[str]) -> str:
    """取組 3-2 の指標『…』の令和6年度の目標: a space before の after a code or a number, as the plans print."""
    text = parts[0]
    for part in parts[1:]:
        spaced = text[-1:].isascii() or CODED.match(text.rpartition("の")[2] or text)
        text += (" の" if spaced else "の") + part
    return text


def item_words(list_key: str | None, index: int, item, category_path: list[str], en: bool) -> str | None:
    named = item if isinstance(item, dict) else {}
    number = f"#{index + 1}" if en else f"{index + 1}番目"
    if list_key == "measures":
        return (
            f"measure {named['key']}"
            if en and named.get("key")
            else (f"取組 {named['key']}" if named.get("key") else (f"measure {number}" if en else f"{number}の取組"))
        )
    if list_key in ("kpis", "indicators"):
        name = named.get("name")
        return (
            f"KPI '{name}'"
            if en and name
            else (f"指標『{name}』" if name else (f"KPI {number}" if en else f"{number}の指標"))
        )
    if list_key in ("categories", "children"):
        category_path.append(str(named.get("label", number)))
        return f"category {'/'.join(category_path)}" if en else f"分類 {'/'.join(category_path)}"
    if list_key in ("values", "marks", "schedule") and named.get("fy") in FISCAL_YEARS:
        year = english(named["fy"]) if en else wareki(named["fy"])
        return {
            "values": year,
            "marks": f"{year} mark" if en else f"{year}の評価",
            "schedule": f"schedule {year}" if en else f"スケジュール（{year}）",
        }[list_key]
    if list_key == "revisions" and named.get("key"):
        return f"revision {named['key']}" if en else f"改定 {named['key']}"
    if list_key == "departments" and isinstance(item, dict) and named.get("name"):
        return f"department {named['name']}" if en else f"担当課「{named['name']}」"
    words = KEY_WORDS.get(list_key or "", (list_key or "", list_key or ""))[1 if en else 0]
    return f"{words} {number}" if en else f"{words}の{number}"


def schema_message(error, lang: str = "ja") -> tuple[str, str]:
    """(JSON path, message) for one jsonschema error, in words: what was found and what is allowed."""
    en = lang == "en"
    i = lang_index(lang)
    validator, expected, instance = error.validator, error.validator_value, error.instance
    path = error.json_path
    if validator in ("oneOf", "anyOf") and error.context:
        relevant = [c for c in error.context if not (c.validator == "type" and c.validator_value == "null")]
        if relevant:
            return schema_message(best_match(relevant), lang)
        choices = " or ".join(TYPE_WORDS.get(s.get("type"), (s.get("type"),) * 2)[1] for s in expected if "type" in s)
        return (
            path,
            f"must be {choices} (found {found_text(instance)})"
            if en
            else f"書き方が違います（{found_text(instance)}）",
        )
    if validator == "required":
        missing = re.search(r"'(.+?)' is a required property", error.message)
        key = missing.group(1) if missing else "?"
        return f"{path}.{key}", "is missing (required)" if en else "書かれていません（必須の項目です）"
    if validator == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        extra = ", ".join(k for k in instance if k not in error.schema.get("properties", {}))
        return (
            path,
            f"'{extra}' is not a field here (fields: {allowed})"
            if en
            else f"「{extra}」は使えない項目です（使える項目: {allowed}）",
        )
    if validator == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        words = (" or " if en else " または ").join(TYPE_WORDS.get(k, (k, k))[i] for k in kinds)
        space = " " if words[-1:].isascii() else ""
        return (
            path,
            f"must be {words} (found {found_text(instance)})"
            if en
            else f"{words}{space}で書いてください（{found_text(instance)} と書かれています）",
        )
    if validator == "enum":
        allowed = ", ".join(found_text(v) for v in expected)
        return (
            path,
            f"{found_text(instance)} is not allowed (allowed: {allowed})"
            if en
            else f"{found_text(instance)} は使えません（使える値: {allowed}）",
        )
    if validator == "const":
        return (
            path,
            f"must be {found_text(expected)} (found {found_text(instance)})"
            if en
            else f"{found_text(expected)} と書いてください（{found_text(instance)} と書かれています）",
        )
    if validator == "pattern":
        words = PATTERN_WORDS.get(expected, (f"形式 {expected} に合いません", f"does not match {expected}"))[i]
        return path, f"{found_text(instance)}: {words}" if en else f"{found_text(instance)}: {words}"
    if validator in ("minimum", "maximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is not None and high is not None:
            return path, f"must be {low} to {high} (found {found_text(instance)})" if en else (
                f"{low}～{high} にしてください（{found_text(instance)} と書かれています）"
            )
        bound, words = ("at least", "以上") if validator == "minimum" else ("at most", "以下")
        return path, f"must be {bound} {expected} (found {found_text(instance)})" if en else (
            f"{expected} {words}にしてください（{found_text(instance)} と書かれています）"
        )
    if validator in ("minLength", "minItems"):
        return path, "must not be empty" if en else "空にはできません"
    if validator == "maxLength":
        return path, f"at most {expected} characters" if en else f"{expected}文字までです"
    if validator == "uniqueItems":
        return (
            path,
            f"has the same entry twice ({found_text(instance)})"
            if en
            else f"同じ値が重複しています（{found_text(instance)}）",
        )
    return path, error.message if en else f"書き方が違います（{found_text(instance)}）"


# The validation's own sentences (kpis.interchange.validation), in Japanese.
SEMANTIC = [
    (
        r"^'(\d{6})' has a wrong check digit \(JIS X 0402\)$",
        lambda m: (
            f"団体コード「{m[1]}」の検査数字（6桁目）が違います（{m[1][:5]} なら {m[1][:5]}{check_digit(m[1][:5])}）"
        ),
    ),
    (
        r"^'(.*)' is already used by municipality (\d+)$",
        lambda m: f"スラッグ「{m[1]}」は既に団体 {m[2]} が使っています",
    ),
    (
        r"^start_fy (\d+) is after end_fy (\d+)$",
        lambda m: f"開始年度（{wareki(int(m[1]))}）が終了年度（{wareki(int(m[2]))}）より後です",
    ),
    (
        r"^no plan '(.*)' of municipality (\d+) to replace$",
        lambda m: f"前計画「{m[1]}」が団体 {m[2]} の計画にありません",
    ),
    (r"^'(.*)' is not in \$\.departments$", lambda m: f"部署「{m[1]}」が担当課の一覧（departments）にありません"),
    (
        r"^label '(.*)' is used twice under the same parent \((.*)\)$",
        lambda m: f"番号「{m[1]}」が同じ上位の分類の中で重複しています（{m[2]}）",
    ),
    (
        r"^no category with path '(.*)'$",
        lambda m: f"分類「{m[1]}」がありません（分類の番号を上位から / でつないで書きます）",
    ),
    (
        r"^'(.*)' is not one of \$\.plan\.related_plans$",
        lambda m: f"関連計画「{m[1]}」が計画の関連計画（plan.related_plans）にありません",
    ),
    (
        r"^'(.*)' is not a national priority area \(see docs/glossary\.md\)$",
        lambda m: f"「{m[1]}」は国の重点取組事項にありません（一覧は docs/glossary.md）",
    ),
    (
        r"^(\d+) is outside the plan period (\d+)–(\d+) \(or its baseline year \d+\)$",
        lambda m: (
            f"{wareki(int(m[1]))}は計画期間（{wareki(int(m[2]))}～{wareki(int(m[3]))}）とその前年度（基準年度）の外です"
        ),
    ),
    (
        r"^(\d+) is outside the plan period (\d+)–(\d+)$",
        lambda m: f"{wareki(int(m[1]))}は計画期間（{wareki(int(m[2]))}～{wareki(int(m[3]))}）の外です",
    ),
    (r"^indicator '(.*)' appears twice$", lambda m: f"指標「{m[1]}」が重複しています"),
    (r"^no revision with key '(.*)'$", lambda m: f"改定「{m[1]}」がありません（revisions のキー）"),
    (r"^an override reason needs a mark$", lambda m: "評価の理由がありますが評価（mark）がありません"),
    (
        r"^duplicate (key|name|fy|row/fy|entry) (.*)$",
        lambda m: f"{DUPLICATE_WHAT.get(m[1], ('値', ''))[0]}「{m[2].strip(chr(39))}」が重複しています",
    ),
    (r"^file not found$", lambda m: "ファイルが見つかりません"),
    (
        r"^not a JSON document \((.*?): line (\d+) column (\d+) \(char \d+\)\)$",
        lambda m: f"JSON として読めません（{m[2]}行目 {m[3]}文字目: {JSON_SYNTAX.get(m[1], m[1])}）",
    ),
    (r"^not a JSON document \((.*)\)$", lambda m: f"JSON として読めません（{m[1]}）"),
]
JSON_SYNTAX = {  # json.JSONDecodeError's reasons
    "Expecting value": "値がありません",
    "Unterminated string starting at": '文字列の " が閉じていません',
    "Expecting ',' delimiter": "「,」がありません",
    "Expecting ':' delimiter": "「:」がありません",
    "Expecting property name enclosed in double quotes": '項目名は "…" で囲みます',
    "Extra data": "JSON の後に余分な文字があります",
    "Invalid control character at": "文字列の中に改行などの制御文字があります",
}
JSON_REFERENCE = re.compile(r"\$[.\w\[\]]+")


def semantic_message(message: str, document, lang: str = "ja") -> str:
    if lang != "en":
        for pattern, japanese in SEMANTIC:
            match = re.match(pattern, message)
            if match:
                return japanese(match)
        return message
    return JSON_REFERENCE.sub(lambda m: place(m.group(), document, "en"), message)


def describe_errors(
    errors: list[tuple[str, str]], document, *, lang: str = "ja", locator: dict | None = None
) -> list[str]:
    """One line per (JSON path, message) pair, in words; every schema error explained from its rule."""
    rich = {}
    try:  # the validation keeps only each schema error's text: find the rule behind it again
        for error in jsonschema.Draft202012Validator(schema()).iter_errors(document) if errors else ():
            rich[(error.json_path, error.message)] = error
    except RecursionError:  # nesting the validation refused before its schema check
        rich = {}
    lines = []
    for path, message in errors:
        error = rich.get((path, message))
        path, text = (
            schema_message(error, lang) if error is not None else (path, semantic_message(message, document, lang))
        )
        where = place(path, document, lang)
        origin = locate(path, locator or {})
        lines.append(f"{origin + ': ' if origin else ''}{where}: {text}")
    return lines


def locate(path: str, locator: dict[str, str]) -> str:
    """The workbook row a JSON path came from (the longest known prefix), or ''."""
    while path:
        if path in locator:
            return locator[path]
        path = path[: max(path.rfind("."), path.rfind("["))] if "." in path or "[" in path else ""
    return ""
