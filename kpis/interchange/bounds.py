"""Bounds of a plan document: what its JSON may hold, so that every bad file ends in a message.

- ``parse_document``: uploaded bytes to a document, or ``DocumentInputError`` saying what is wrong (too
  big, not UTF-8, not JSON, NaN or Infinity, nested too deep).
- ``input_errors``: before the schema is checked, nesting beyond PLAN_DOCUMENT_MAX_DEPTH, and text no
  database column takes (NUL, unpaired surrogates), NaN and infinities in a document built in Python.
- ``stored_field_errors``: after the schema, every text against the length of the column it goes into,
  every number against its DecimalField's digits (no silent rounding), every partial date, the published
  years and the length of category paths.

Each problem is a (JSON path, message) pair, like the rest of kpis.interchange.validation.
"""

import datetime
import json
import math
from decimal import Decimal

from django.conf import settings

from kpis.limits import decimal_problem, file_size_problem, text_problem
from kpis.models import Indicator, IndicatorValue
from measures.models import Measure
from plans.models import Category, DatePrecision, Department, Municipality, Plan, PlanRevision

MAX_ERRORS = 100  # of one kind: a file with a NUL in every string need not list them all
PROVENANCE = {"source.document": "source_document", "source.lines": "source_lines"}


class DocumentInputError(ValueError):
    """Bytes that are not a plan document at all; the message says why."""


class NotANumber(ValueError):
    pass


def refuse_constant(name: str):
    raise NotANumber(name)


def max_depth() -> int:
    return int(settings.PLAN_DOCUMENT_MAX_DEPTH)


def parse_document(data: bytes):
    """The JSON value in ``data``; raise DocumentInputError when it is too big or not JSON."""
    too_large = file_size_problem(len(data))
    if too_large:
        raise DocumentInputError(too_large)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentInputError(f"not a JSON document (UTF-8 として読めません: {error.start + 1}バイト目)") from None
    try:
        return json.loads(text, parse_constant=refuse_constant)
    except NotANumber as error:
        raise DocumentInputError(f"「{error}」は JSON の数値ではありません（NaN・Infinity は使えません）") from None
    except RecursionError:
        raise DocumentInputError(f"入れ子が深すぎます（{max_depth()}段まで）") from None
    except json.JSONDecodeError as error:
        raise DocumentInputError(f"not a JSON document ({error})") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise DocumentInputError("桁数の多すぎる数値があります（数値は整数部分14桁・小数部分4桁まで）") from None


def input_errors(document) -> list[tuple[str, str]]:
    """Nesting, characters and numbers no column can hold, in document order (at most MAX_ERRORS)."""
    limit, errors = max_depth(), []
    stack = [(document, "$", 1)]
    while stack and len(errors) < MAX_ERRORS:
        node, at, depth = stack.pop()
        if depth > limit:
            return [(at, f"入れ子が深すぎます（{limit}段まで）")]
        if isinstance(node, dict):
            for key in node:
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    errors.append((at, f"キー: {problem}"))
            stack += [(value, f"{at}.{key}", depth + 1) for key, value in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(value, f"{at}[{i}]", depth + 1) for i, value in reversed(list(enumerate(node)))]
        elif isinstance(node, str):
            problem = text_problem(node)
            if problem:
                errors.append((at, problem))
        elif isinstance(node, float) and not math.isfinite(node):
            errors.append((at, "NaN・無限大は数値として使えません"))
    return errors


def parse_partial_date(text: str | None) -> tuple[datetime.date | None, str]:
    """'2024-03-15' or '2024-03' (the document gives only the month); raise ValueError for a wrong date."""
    if not text:
        return None, DatePrecision.DAY
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 2:
        return datetime.date(parts[0], parts[1], 1), DatePrecision.MONTH
    return datetime.date(*parts), DatePrecision.DAY


def stored_field_errors(doc: dict):
    """(path, message) for each value the database would refuse, truncate or round (the schema has passed)."""
    yield from field_errors(
        doc["municipality"], "$.municipality", Municipality, ["name", "name_en", "prefecture", "slug"]
    )
    for i, department in enumerate(doc.get("departments", [])):
        yield from field_errors(department, f"$.departments[{i}]", Department, {"name": "name", "parent": "name"})
    plan = doc["plan"]
    yield from field_errors(
        plan,
        "$.plan",
        Plan,
        {
            "slug": "slug",
            "title": "title",
            "edition": "edition",
            "measure_level_name": "measure_level_name",
            "kpi_level_name": "kpi_level_name",
            **PROVENANCE,
        },
    )
    yield from date_errors(plan.get("published_on"), "$.plan.published_on")
    start, end = plan["period"]["start_fy"], plan["period"]["end_fy"]
    for i, fiscal_year in enumerate(plan.get("published_years", [])):
        if not start - 1 <= fiscal_year <= end:
            yield f"$.plan.published_years[{i}]", f"{fiscal_year} は計画期間（{start - 1}〜{end}）の年度ではありません"
    for i, revision in enumerate(doc.get("revisions", [])):
        at = f"$.revisions[{i}]"
        yield from field_errors(revision, at, PlanRevision, {"key": "key", "title": "title", **PROVENANCE})
        yield from date_errors(revision["date"], f"{at}.date")
    yield from category_errors(doc["categories"], "$.categories", "")
    for i, measure in enumerate(doc["measures"]):
        at = f"$.measures[{i}]"
        names = {"key": "key", "code": "code", "name": "name", "departments_text": "departments_text", **PROVENANCE}
        names |= {"continues_in.text": "continues_in", "continues_in.plan": "continues_in_plan"}
        yield from field_errors(measure, at, Measure, names)
        for j, name in enumerate(measure.get("departments", [])):
            yield from field_errors({"name": name}, f"{at}.departments[{j}]", Department, {"name": "name"})
        for j, kpi in enumerate(measure.get("kpis", [])):
            yield from indicator_field_errors(kpi, f"{at}.kpis[{j}]")


def category_errors(categories: list[dict], at: str, prefix: str):
    path_length = Category._meta.get_field("path").max_length
    for i, category in enumerate(categories):
        here = f"{at}[{i}]"
        path = f"{prefix}/{category['label']}" if prefix else category["label"]
        yield from field_errors(
            category, here, Category, {"label": "label", "name": "name", "level_name": "level_name"}
        )
        yield from field_errors(category, here, Category, PROVENANCE)
        if len(path) > path_length:
            yield f"{here}.label", f"分類のパス（{path[:40]}…）が{len(path):,}文字あります（{path_length:,}文字まで）"
        for j, kpi in enumerate(category.get("indicators", [])):
            yield from indicator_field_errors(kpi, f"{here}.indicators[{j}]")
        yield from category_errors(category.get("children", []), f"{here}.children", path)


def indicator_field_errors(kpi: dict, at: str):
    names = {"name": "name", "unit": "unit", "baseline.text": "baseline_text", "baseline.value": "baseline_value"}
    names |= {"number": "number", "target_after_period": "target_after_period"}
    names |= {"continues_in.text": "continues_in", "continues_in.plan": "continues_in_plan"}
    yield from field_errors(kpi, at, Indicator, {**names, **PROVENANCE})
    cells = {
        "target.text": "target_text",
        "target.value": "target_value",
        "actual.text": "actual_text",
        "actual.value": "actual_value",
        "achievement_text": "achievement_text",
    }
    for j, value in enumerate(kpi.get("values", [])):
        yield from field_errors(value, f"{at}.values[{j}]", IndicatorValue, cells)


def field_errors(data: dict, at: str, model, names):
    """Check data[key] (a dotted key reaches into an object) against the model field it is stored in.

    ``names``: {key: field name}, or a list of keys named like their fields.
    """
    for key, field_name in names.items() if isinstance(names, dict) else ((n, n) for n in names):
        value = lookup(data, key)
        if value is None:
            continue
        field = model._meta.get_field(field_name)
        if isinstance(value, str):
            if field.max_length and len(value) > field.max_length:
                yield f"{at}.{key}", f"{len(value):,}文字あります（{field.max_length:,}文字まで）"
        elif isinstance(value, int | float) and not isinstance(value, bool) and hasattr(field, "decimal_places"):
            problem = decimal_problem(Decimal(str(value)), field)
            if problem:
                yield f"{at}.{key}", f"{value!r} は{problem}"


def lookup(data: dict, key: str):
    for part in key.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def date_errors(text: str | None, at: str):
    try:
        parse_partial_date(text)
    except ValueError:
        yield at, f"「{text}」は日付として正しくありません"
