"""Write a validated plan document into the database: create or update in place, in one transaction.

Records are matched by their natural keys (municipality code, plan slug, category path, measure key,
indicator name + introducing revision, fiscal year), so importing the same document twice changes
nothing and re-importing an edited one updates rows in place. Rows the document no longer holds are
deleted.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kpis import audit
from kpis.interchange.validation import PlanDocumentError, category_paths, validate_document
from kpis.models import Indicator, IndicatorValue, PlanYear
from kpis.services import recompute_plan_marks
from measures.models import (
    Measure,
    MeasureDepartment,
    MeasureListing,
    MeasureMark,
    MeasureStage,
    PriorityArea,
    ScheduleEntry,
)
from plans.generations import bump_generation
from plans.models import Category, DatePrecision, Department, Municipality, Plan, PlanRevision

PUBLISHED_MARK_REASON = "公表された計画書の評価による（{source}）"


@dataclass
class ImportResult:
    plan: Plan
    created: int = 0
    updated: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def parse_partial_date(text: str | None) -> tuple[datetime.date | None, str]:
    if not text:
        return None, DatePrecision.DAY
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 2:
        return datetime.date(parts[0], parts[1], 1), DatePrecision.MONTH
    return datetime.date(*parts), DatePrecision.DAY


def decimal_or_none(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def provenance(item: dict) -> dict:
    source = item.get("source") or {}
    return {
        "source_document": source.get("document", ""),
        "source_lines": source.get("lines", ""),
        "uncertain": item.get("uncertain", ""),
    }


class Writer:
    """Upserts one kind of row at a time, counting what actually changed."""

    def __init__(self, result: ImportResult):
        self.result = result
        self.category_indicators: list[tuple[dict, dict]] = []
        self.value_marks: list[tuple[int, dict]] = []

    def upsert(self, existing, model, lookup: dict, values: dict):
        """existing: the current row or None. Saves only fields whose value differs."""
        if existing is None:
            obj = audit.record(model(**lookup, **values), user=None, source="plan_import")
            obj.save(force_insert=True)
            self.result.created += 1
            return obj
        changed = [name for name, value in values.items() if getattr(existing, name) != value]
        if changed:
            for name in changed:
                setattr(existing, name, values[name])
            audit.record(existing, user=None, source="plan_import")
            existing.save(update_fields=changed)
            self.result.updated += 1
            self.result.changes.append(f"{model.__name__} {existing.pk}: {', '.join(changed)}")
        return existing

    def delete_missing(self, queryset, keep_pks):
        stale = queryset.exclude(pk__in=keep_pks)
        count = stale.count()
        if count:
            stale.delete()
            self.result.deleted += count


@transaction.atomic
def import_plan(document: dict) -> ImportResult:
    """Validate the whole document, then write it; raise PlanDocumentError and write nothing if invalid."""
    validate_document(document)
    municipality = upsert_municipality(document["municipality"])
    plan = Plan.objects.filter(municipality=municipality, slug=document["plan"]["slug"]).first()
    if plan is not None:
        refuse_locked_changes(plan, document)
    result = ImportResult(plan=plan)
    writer = Writer(result)
    departments = sync_departments(writer, municipality, document)
    plan = result.plan = sync_plan(writer, municipality, plan, document["plan"])
    revisions = sync_revisions(writer, plan, document.get("revisions", []))
    categories = sync_categories(writer, plan, document["categories"], revisions)
    sync_measures(writer, plan, document["measures"], categories, departments, revisions)
    # Indicator marks feed measure marks, so their overrides go in before the measures are scored.
    recompute_plan_marks(plan)
    apply_indicator_marks(writer, plan)
    recompute_plan_marks(plan)
    apply_measure_marks(writer, plan, document["measures"])
    publish_printed_years(plan, document)
    bump_generation(municipality)
    return result


def upsert_municipality(data: dict) -> Municipality:
    values = {
        "name": data["name"],
        "name_en": data.get("name_en", ""),
        "prefecture": data["prefecture"],
        "slug": data["slug"],
    }
    municipality, created = Municipality.objects.get_or_create(code=data["code"], defaults=values)
    changed = [k for k, v in values.items() if getattr(municipality, k) != v]
    if changed and not created:
        for k in changed:
            setattr(municipality, k, values[k])
        municipality.save(update_fields=changed)
        if "slug" in changed:  # the pages under the old URL are cached too: invalidate everything
            bump_generation()
    return municipality


def sync_departments(writer: Writer, municipality, document) -> dict[str, Department]:
    existing = {d.name: d for d in municipality.departments.all()}
    listed = {d["name"]: d.get("parent") for d in document.get("departments", [])}
    for measure in document["measures"]:
        for name in measure.get("departments", []):
            listed.setdefault(name, None)
    for name in listed:
        if name not in existing:
            existing[name] = writer.upsert(None, Department, {"municipality": municipality, "name": name}, {})
    for name, parent in listed.items():
        parent_obj = existing[parent] if parent else None
        if existing[name].parent_id != (parent_obj.pk if parent_obj else None):
            writer.upsert(existing[name], Department, {}, {"parent": parent_obj})
    return existing


def sync_plan(writer: Writer, municipality, plan, data: dict) -> Plan:
    published_on, precision = parse_partial_date(data.get("published_on"))
    replaces = None
    if data.get("replaces"):
        replaces = Plan.objects.get(municipality=municipality, slug=data["replaces"])
    values = {
        "title": data["title"],
        "edition": data.get("edition", ""),
        "status": data["status"],
        "published_on": published_on,
        "published_on_precision": precision,
        "period_start_fy": data["period"]["start_fy"],
        "period_end_fy": data["period"]["end_fy"],
        "replaces": replaces,
        "scoring_policy": data.get("scoring_policy", Plan.ScoringPolicy.NET),
        "mark_legend": data.get("mark_legend", []),
        "stage_legend": data.get("stage_legend", []),
        "related_plans": data.get("related_plans", []),
        "description": data.get("description", ""),
        **provenance(data),
    }
    return writer.upsert(plan, Plan, {"municipality": municipality, "slug": data["slug"]}, values)


def sync_revisions(writer: Writer, plan, revisions: list[dict]) -> dict[str, PlanRevision]:
    existing = {r.key: r for r in plan.revisions.all()}
    result = {}
    for data in revisions:
        date, precision = parse_partial_date(data["date"])
        values = {
            "date": date,
            "date_precision": precision,
            "kind": data["kind"],
            "title": data.get("title", ""),
            "summary": data.get("summary", ""),
            "period_end_fy": data.get("period_end_fy"),
            **provenance(data),
        }
        result[data["key"]] = writer.upsert(
            existing.get(data["key"]), PlanRevision, {"plan": plan, "key": data["key"]}, values
        )
    # Indicators point at revisions with PROTECT: stale revisions go at the end of sync_measures,
    # after the indicators that may point at them.
    return result


def sync_categories(writer: Writer, plan, tree: list[dict], revisions) -> dict[str, Category]:
    existing = {c.path: c for c in plan.categories.all()}
    result: dict[str, Category] = {}
    for position, (path, _, data) in enumerate(category_paths(tree)):
        parent_path = path.rpartition("/")[0]
        values = {
            "parent": result[parent_path] if parent_path else None,
            "label": data["label"],
            "depth": path.count("/"),
            "name": data["name"],
            "level_name": data.get("level_name", ""),
            "description": data.get("description", ""),
            "position": position,
            **provenance(data),
        }
        result[path] = writer.upsert(existing.get(path), Category, {"plan": plan, "path": path}, values)
    indicator_rows = []
    for path, _, data in category_paths(tree):
        indicator_rows += [({"category": result[path]}, kpi) for kpi in data.get("indicators", [])]
    writer.category_indicators = indicator_rows
    writer.delete_missing(plan.categories.all(), [c.pk for c in result.values()])
    return result


def sync_measures(writer: Writer, plan, measures: list[dict], categories, departments, revisions) -> None:
    existing = {m.key: m for m in plan.measures.all()}
    tags = {t.name: t for t in PriorityArea.objects.all()}
    kept = []
    indicator_rows = list(writer.category_indicators)
    for position, data in enumerate(measures):
        values = {
            "code": data.get("code", ""),
            "name": data["name"],
            "position": position,
            "is_new": data.get("is_new", False),
            "is_managed": data.get("is_managed", True),
            "overview": data.get("overview", ""),
            "background": data.get("background", ""),
            "started_fy": data.get("started_fy"),
            "target_state": data.get("target_state", ""),
            "direction": data.get("direction", ""),
            "expected_effects": data.get("expected_effects", ""),
            "national_policies": data.get("national_policies", ""),
            "related_plans": data.get("related_plans", []),
            "notes": data.get("notes", ""),
            "departments_open_ended": data.get("departments_open_ended", False),
            "departments_text": data.get("departments_text", ""),
            **provenance(data),
        }
        measure = writer.upsert(existing.get(data["key"]), Measure, {"plan": plan, "key": data["key"]}, values)
        kept.append(measure.pk)
        sync_measure_children(writer, measure, data, categories, departments, tags)
        indicator_rows += [({"measure": measure}, kpi) for kpi in data.get("kpis", [])]
    writer.delete_missing(plan.measures.all(), kept)
    sync_indicators(writer, plan, indicator_rows, revisions)
    writer.delete_missing(plan.revisions.all(), [r.pk for r in revisions.values()])


def sync_set(writer: Writer, queryset, rows: dict, model, owner: dict) -> None:
    """Make the rows of queryset equal `rows` ({natural key tuple: field values})."""
    key_fields = list(next(iter(rows.values()))["__key__"].keys()) if rows else []
    existing = {}
    for obj in queryset:
        existing[tuple(getattr(obj, f) for f in key_fields)] = obj
    kept = []
    for key, values in rows.items():
        lookup = dict(values.pop("__key__"))
        obj = writer.upsert(existing.get(key), model, {**owner, **lookup}, values)
        kept.append(obj.pk)
    writer.delete_missing(queryset, kept)


def sync_measure_children(writer: Writer, measure, data, categories, departments, tags) -> None:
    listings = {}
    for position, path in enumerate(data["category_labels"]):
        category = categories[path]
        listings[(category.pk,)] = {
            "__key__": {"category_id": category.pk},
            "is_primary": position == 0,
            "position": position,
        }
    # Clear a moved primary flag first so the one-primary constraint holds during the update.
    primary = categories[data["category_labels"][0]].pk
    measure.listings.filter(is_primary=True).exclude(category_id=primary).update(is_primary=False)
    sync_set(writer, measure.listings.all(), listings, MeasureListing, {"measure": measure})

    owners = {}
    for position, name in enumerate(data.get("departments", [])):
        department = departments[name]
        owners[(department.pk,)] = {"__key__": {"department_id": department.pk}, "position": position}
    sync_set(writer, measure.ownerships.all(), owners, MeasureDepartment, {"measure": measure})

    stages = {}
    for entry in data.get("stages", []):
        for stage in entry["stages"]:
            stages[(entry.get("fy"), stage)] = {"__key__": {"fiscal_year": entry.get("fy"), "stage": stage}}
    sync_set(writer, measure.stages.all(), stages, MeasureStage, {"measure": measure})

    schedule = {}
    for entry in data.get("schedule", []):
        row = entry.get("row", 0)
        schedule[(row, entry["fy"])] = {
            "__key__": {"row": row, "fiscal_year": entry["fy"]},
            "text": entry.get("text", ""),
            "continues": entry.get("continues", False),
            "milestone": entry.get("milestone", False),
        }
    sync_set(writer, measure.schedule.all(), schedule, ScheduleEntry, {"measure": measure})

    wanted_sdgs = set(data.get("sdgs", []))
    current_sdgs = set(measure.sdgs.values_list("number", flat=True))
    if wanted_sdgs != current_sdgs:
        measure.sdgs.set(sorted(wanted_sdgs))
        writer.result.updated += 1
    wanted_tags = {tags[name].pk for name in data.get("tags", [])}
    if wanted_tags != set(measure.tags.values_list("pk", flat=True)):
        measure.tags.set(sorted(wanted_tags))
        writer.result.updated += 1


def sync_indicators(writer: Writer, plan, rows: list[tuple[dict, dict]], revisions) -> None:
    existing = {}
    for indicator in plan.indicators.select_related("introduced_in"):
        owner = ("measure", indicator.measure_id) if indicator.measure_id else ("category", indicator.category_id)
        introduced = indicator.introduced_in.key if indicator.introduced_in else None
        existing[(owner, indicator.name, introduced)] = indicator
    kept = []
    for position, (owner, data) in enumerate(rows):
        ((owner_field, owner_obj),) = owner.items()
        baseline = data.get("baseline") or {}
        values = {
            "unit": data.get("unit", ""),
            "kind": data["kind"],
            "direction": data.get("direction", Indicator.Direction.HIGHER),
            "cumulative": data.get("cumulative", False),
            "baseline_text": baseline.get("text", ""),
            "baseline_value": decimal_or_none(baseline.get("value")),
            "baseline_fy": baseline.get("fy"),
            "definition": data.get("definition", ""),
            "retired_in": revisions[data["retired_in"]] if data.get("retired_in") else None,
            "position": position,
            **provenance(data),
        }
        introduced = data.get("introduced_in")
        key = ((owner_field, owner_obj.pk), data["name"], introduced)
        lookup = {
            "plan": plan,
            owner_field: owner_obj,
            "name": data["name"],
            "introduced_in": revisions[introduced] if introduced else None,
        }
        indicator = writer.upsert(existing.get(key), Indicator, lookup, values)
        kept.append(indicator.pk)
        sync_values(writer, indicator, data.get("values", []))
    writer.delete_missing(plan.indicators.all(), kept)


def sync_values(writer: Writer, indicator, values: list[dict]) -> None:
    rows = {}
    for data in values:
        target, actual = data.get("target") or {}, data.get("actual") or {}
        rows[(data["fy"],)] = {
            "__key__": {"fiscal_year": data["fy"]},
            "target_text": target.get("text", ""),
            "target_value": decimal_or_none(target.get("value")),
            "actual_text": actual.get("text", ""),
            "actual_value": decimal_or_none(actual.get("value")),
            "achievement_text": data.get("achievement_text", ""),
            "note": data.get("note", ""),
        }
    sync_set(writer, indicator.values.all(), rows, IndicatorValue, {"indicator": indicator})
    writer.value_marks += [(indicator.pk, data) for data in values if "mark" in data]


def override_for(published: str | None, computed: str, reason: str, source: str) -> tuple[str, str]:
    """The override that makes the final mark equal the published one ('' when they agree)."""
    published = published or ""
    if published == computed:
        return "", ""
    if not published:
        # The document prints no mark where the engine computes one: keep the engine's mark.
        return "", ""
    return published, reason or PUBLISHED_MARK_REASON.format(source=source)


def apply_indicator_marks(writer: Writer, plan) -> None:
    values = {(v.indicator_id, v.fiscal_year): v for v in IndicatorValue.objects.filter(indicator__plan=plan)}
    for indicator_id, data in writer.value_marks:
        value = values[(indicator_id, data["fy"])]
        override, reason = override_for(data["mark"], value.computed, data.get("override_reason", ""), "資料")
        writer.upsert(value, IndicatorValue, {}, {"override": override, "override_reason": reason})


def apply_measure_marks(writer: Writer, plan, measures: list[dict]) -> None:
    """Record the document's marks: where they differ from the computed ones they become overrides."""
    marks = {
        (m.measure.key, m.fiscal_year): m
        for m in MeasureMark.objects.filter(measure__plan=plan).select_related("measure")
    }
    keys = {m.key: m for m in plan.measures.all()}
    kept = set()
    for data in measures:
        source = (data.get("source") or {}).get("document", "資料")
        for entry in data.get("marks", []):
            mark = marks.get((data["key"], entry["fy"]))
            override, reason = override_for(
                entry["mark"], mark.computed if mark else "", entry.get("override_reason", ""), source
            )
            lookup = {"measure": keys[data["key"]], "fiscal_year": entry["fy"]}
            mark = writer.upsert(mark, MeasureMark, lookup, {"override": override, "override_reason": reason})
            kept.add(mark.pk)
    # Overrides the document no longer holds are dropped.
    for mark in marks.values():
        if mark.pk not in kept and mark.override:
            writer.upsert(mark, MeasureMark, {}, {"override": "", "override_reason": ""})


def document_values(document: dict):
    """(owner kind, owner key, indicator name, fy, value data) for every value the document holds."""
    for path, _, category in category_paths(document["categories"]):
        for kpi in category.get("indicators", []):
            for data in kpi.get("values", []):
                yield ("category", path, kpi["name"], data["fy"], data)
    for measure in document["measures"]:
        for kpi in measure.get("kpis", []):
            for data in kpi.get("values", []):
                yield ("measure", measure["key"], kpi["name"], data["fy"], data)


def printed_actual_years(document: dict) -> set[int]:
    return {fy for *_, fy, data in document_values(document) if ((data.get("actual") or {}).get("text") or "").strip()}


def publish_printed_years(plan, document: dict) -> None:
    """Years whose actuals the document prints were made public by the municipality: mark them published.

    Years without printed actuals (the current and future years) get no row, so they stay open for
    the departments' entry. A year already published or locked in the portal is never moved back.
    """
    now = timezone.now()
    for fy in sorted(printed_actual_years(document)):
        if not plan.accepts_fiscal_year(fy):
            continue
        year = PlanYear.objects.filter(plan=plan, fiscal_year=fy).first()
        if year is None:
            year = PlanYear(plan=plan, fiscal_year=fy)
        if year.status == PlanYear.Status.OPEN:
            year.status, year.published_at = PlanYear.Status.PUBLISHED, now
            audit.record(year, user=None, source="plan_import", reason="計画書に実績が掲載された年度")
            year.save()


def refuse_locked_changes(plan, document: dict) -> None:
    """A locked year is read-only for imports too: refuse a document that changes one of its actuals."""
    locked = set(
        PlanYear.objects.filter(plan=plan, status=PlanYear.Status.LOCKED).values_list("fiscal_year", flat=True)
    )
    if not locked:
        return
    current = {}
    for value in IndicatorValue.objects.filter(indicator__plan=plan, fiscal_year__in=locked).select_related(
        "indicator__measure", "indicator__category"
    ):
        indicator = value.indicator
        owner = ("measure", indicator.measure.key) if indicator.measure_id else ("category", indicator.category.path)
        current[(*owner, indicator.name, value.fiscal_year)] = value.actual_text
    errors = []
    for kind, key, name, fy, data in document_values(document):
        if fy in locked:
            text = (data.get("actual") or {}).get("text", "")
            if current.get((kind, key, name, fy), "") != text:
                errors.append(
                    (
                        f"{kind} {key} / {name} / {fy}",
                        "確定（ロック）済みの年度の実績は取込で変更できません（訂正の手続きを使ってください）",
                    )
                )
    if errors:
        raise PlanDocumentError(errors)
