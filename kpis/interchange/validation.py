"""Validate a whole plan document before anything is written.

Every problem is reported with its JSON path ($.measures[3].kpis[0].values[1].fy) and what is wrong;
all problems are collected, not just the first.
"""

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
from django.core.exceptions import ValidationError

from kpis.interchange.bounds import input_errors, stored_field_errors
from measures.models import PriorityArea
from plans.evaluation import legend_errors, parse_scheme, scheme_errors
from plans.localgov import check_digit_ok
from plans.models import Municipality, Plan
from plans.validators import validate_municipality_slug

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "plan.schema.json"


class PlanDocumentError(Exception):
    """A plan document that cannot be imported; .errors lists (path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("\n".join(f"{path}: {message}" for path, message in errors))


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def category_paths(categories: list[dict], prefix: str = "", at: str = "$.categories"):
    """Yield (path, json_path, category) for the whole tree, depth first in document order."""
    for i, category in enumerate(categories):
        path = f"{prefix}/{category['label']}" if prefix else category["label"]
        yield path, f"{at}[{i}]", category
        yield from category_paths(category.get("children", []), path, f"{at}[{i}].children")


def schema_errors(document) -> list[tuple[str, str]]:
    validator = jsonschema.Draft202012Validator(schema())
    errors = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        errors.append((error.json_path, error.message))
    return errors


def validate_document(document) -> None:
    """Raise PlanDocumentError listing every problem; return None when the document can be imported."""
    errors = input_errors(document)  # first: the schema check would recurse as deep as the nesting goes
    if errors:
        raise PlanDocumentError(errors)
    errors = schema_errors(document)
    if errors:
        raise PlanDocumentError(errors)
    errors = list(semantic_errors(document)) + list(stored_field_errors(document))
    if errors:
        raise PlanDocumentError(errors)


def semantic_errors(doc: dict):
    municipality, plan = doc["municipality"], doc["plan"]
    if not check_digit_ok(municipality["code"]):
        yield "$.municipality.code", f"'{municipality['code']}' has a wrong check digit (JIS X 0402)"
    try:
        validate_municipality_slug(municipality["slug"])
    except ValidationError as error:
        yield "$.municipality.slug", error.messages[0]
    other = Municipality.objects.filter(slug=municipality["slug"]).exclude(code=municipality["code"]).first()
    if other:
        yield "$.municipality.slug", f"'{municipality['slug']}' is already used by municipality {other.code}"
    start, end = plan["period"]["start_fy"], plan["period"]["end_fy"]
    if start > end:
        yield "$.plan.period", f"start_fy {start} is after end_fy {end}"
    if plan.get("replaces"):
        exists = Plan.objects.filter(municipality__code=municipality["code"], slug=plan["replaces"]).exists()
        if not exists:
            yield "$.plan.replaces", f"no plan '{plan['replaces']}' of municipality {municipality['code']} to replace"
    related_plans = set(plan.get("related_plans", []))
    yield from legend_errors(plan.get("mark_legend", []), "$.plan.mark_legend")
    evaluation_errors = scheme_errors(plan["evaluation"], "$.plan.evaluation") if plan.get("evaluation") else []
    yield from evaluation_errors
    # Marks are checked against the plan's legend only when the scheme itself is valid.
    scheme = None if evaluation_errors else parse_scheme(plan.get("evaluation"))

    department_names = [d["name"] for d in doc.get("departments", [])]
    yield from duplicates(department_names, "$.departments", "name")
    for i, department in enumerate(doc.get("departments", [])):
        if department.get("parent") and department["parent"] not in department_names:
            yield f"$.departments[{i}].parent", f"'{department['parent']}' is not in $.departments"

    revision_keys = [r["key"] for r in doc.get("revisions", [])]
    yield from duplicates(revision_keys, "$.revisions", "key")

    paths = {}
    for path, at, category in category_paths(doc["categories"]):
        if path in paths:
            yield f"{at}.label", f"label '{category['label']}' is used twice under the same parent ({path})"
        paths[path] = category
        yield from indicator_errors(category.get("indicators", []), f"{at}.indicators", revision_keys, start, end)

    known_tags = set(PriorityArea.objects.values_list("name", flat=True))
    keys = [m["key"] for m in doc["measures"]]
    yield from duplicates(keys, "$.measures", "key")
    for i, measure in enumerate(doc["measures"]):
        at = f"$.measures[{i}]"
        for j, label in enumerate(measure["category_labels"]):
            if label not in paths:
                yield f"{at}.category_labels[{j}]", f"no category with path '{label}'"
        yield from duplicates(measure["category_labels"], f"{at}.category_labels", None)
        for j, name in enumerate(measure.get("related_plans", [])):
            if name not in related_plans:
                yield f"{at}.related_plans[{j}]", f"'{name}' is not one of $.plan.related_plans"
        for j, tag in enumerate(measure.get("tags", [])):
            if tag not in known_tags:
                yield f"{at}.tags[{j}]", f"'{tag}' is not a national priority area (see docs/glossary.md)"
        yield from duplicates(measure.get("departments", []), f"{at}.departments", None)
        for j, entry in enumerate(measure.get("schedule", [])):
            if not start - 1 <= entry["fy"] <= end:
                yield f"{at}.schedule[{j}].fy", f"{entry['fy']} is outside the plan period {start}–{end}"
        cells = [(e.get("row", 0), e["fy"]) for e in measure.get("schedule", [])]
        yield from duplicates(cells, f"{at}.schedule", "row/fy")
        for j, entry in enumerate(measure.get("marks", [])):
            if not start <= entry["fy"] <= end:
                yield f"{at}.marks[{j}].fy", f"{entry['fy']} is outside the plan period {start}–{end}"
        yield from duplicates([e["fy"] for e in measure.get("marks", [])], f"{at}.marks", "fy")
        if scheme and scheme.unit == "kpi" and measure.get("marks"):
            yield (
                f"{at}.marks",
                '評価の単位が "kpi" の計画では取組に評価を付けません（指標の values[].mark に書いてください）',
            )
        elif scheme:
            for j, entry in enumerate(measure.get("marks", [])):
                yield from mark_errors(entry, f"{at}.marks[{j}]", scheme)
        yield from indicator_errors(measure.get("kpis", []), f"{at}.kpis", revision_keys, start, end)
        for k, kpi in enumerate(measure.get("kpis", [])):
            for j, other in enumerate(kpi.get("also_listed_under", [])):
                where = f"{at}.kpis[{k}].also_listed_under[{j}]"
                if other == measure["key"]:
                    yield where, f"再掲先「{other}」はこの指標の取組そのものです（ほかの取組のキーを書いてください）"
                elif other not in keys:
                    yield where, f"再掲先の取組「{other}」がありません（measures[].key のいずれか）"
    for _, at, category in category_paths(doc["categories"]):
        for i, indicator in enumerate(category.get("indicators", [])):
            if indicator.get("also_listed_under"):
                yield (
                    f"{at}.indicators[{i}].also_listed_under",
                    "分類の数値目標は再掲できません（取組の指標だけがほかの取組に再掲されます）",
                )
    successors = [(f"$.measures[{i}]", measure) for i, measure in enumerate(doc["measures"])]
    for at, item in successors + list(document_indicators(doc)):
        if (item.get("continues_in") or {}).get("plan") == plan["slug"]:
            yield (
                f"{at}.continues_in.plan",
                f"継続先の計画「{plan['slug']}」はこの計画そのものです（後継計画のスラッグを書きます）",
            )
    if scheme:
        for kpi_at, kpi in document_indicators(doc):
            for j, value in enumerate(kpi.get("values", [])):
                yield from mark_errors(value, f"{kpi_at}.values[{j}]", scheme)


def document_indicators(doc: dict):
    """(json path, indicator) for the categories' numeric targets, then the measures' KPIs."""
    for _, at, category in category_paths(doc["categories"]):
        for i, kpi in enumerate(category.get("indicators", [])):
            yield f"{at}.indicators[{i}]", kpi
    for m, measure in enumerate(doc["measures"]):
        for i, kpi in enumerate(measure.get("kpis", [])):
            yield f"$.measures[{m}].kpis[{i}]", kpi


def mark_errors(entry: dict, at: str, scheme):
    """A mark must be one of the plan's legend codes (the scheme's, or the default ones)."""
    mark = entry.get("mark")
    if mark and mark not in scheme.codes:
        codes = ", ".join(scheme.codes)
        yield f"{at}.mark", f"'{mark}' は凡例にない評価です（使える値: {codes}）"


def indicator_errors(indicators: list[dict], at: str, revision_keys: list[str], start: int, end: int):
    seen = set()
    for i, kpi in enumerate(indicators):
        identity = (kpi["name"], kpi.get("introduced_in"))
        if identity in seen:
            yield f"{at}[{i}].name", f"indicator '{kpi['name']}' appears twice"
        seen.add(identity)
        for field in ("introduced_in", "retired_in"):
            if kpi.get(field) and kpi[field] not in revision_keys:
                yield f"{at}[{i}].{field}", f"no revision with key '{kpi[field]}'"
        years = [v["fy"] for v in kpi.get("values", [])]
        yield from duplicates(years, f"{at}[{i}].values", "fy")
        for j, value in enumerate(kpi.get("values", [])):
            if not start - 1 <= value["fy"] <= end:
                yield (
                    f"{at}[{i}].values[{j}].fy",
                    f"{value['fy']} is outside the plan period {start}–{end} (or its baseline year {start - 1})",
                )
            if value.get("override_reason") and not value.get("mark"):
                yield f"{at}[{i}].values[{j}].override_reason", "an override reason needs a mark"


def duplicates(items: list, at: str, what: str | None):
    seen = set()
    for i, item in enumerate(items):
        if item in seen:
            where = f"{at}[{i}].{what}" if what and "/" not in what else f"{at}[{i}]"
            yield where, f"duplicate {what or 'entry'} {item!r}"
        seen.add(item)
