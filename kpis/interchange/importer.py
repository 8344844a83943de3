"""Write a validated plan document into the database: create or update in place, in one transaction.

Records are matched by their natural keys (municipality code, plan slug, category path, measure key,
indicator name + introducing revision, fiscal year), so importing the same document twice changes
nothing and re-importing an edited one updates rows in place. Rows the document no longer holds are
deleted, within what kpis.interchange.guards allows: a locked year changes only as a correction, what
staff entered in the portal goes only when asked, a municipality is renamed only when asked. A year is
published only when the document lists it in ``plan.published_years``.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kpis import audit
from kpis.interchange import guards
from kpis.interchange.bounds import parse_partial_date
from kpis.interchange.validation import category_paths, validate_document
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
from plans.generations import bump_after_commit
from plans.models import Category, Department, Municipality, Plan, PlanRevision

PUBLISHED_MARK_REASON = "公表された計画書の評価による（{source}）"


@dataclass
class ImportResult:
    plan: Plan
    created: int = 0
    updated: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)  # the municipality's name, prefecture or slug changed
    # (where, what) per change to a locked year made as a correction, and per entered value removed.
    corrections: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def decimal_or_none(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def provenance(item: dict) -> dict:
    source = item.get("source") or {}
    return {
        "source_document": source.get("document", ""),
        "source_lines": source.get("lines", ""),
        "uncertain": item.get("uncertain", ""),
    }


def continuation(item: dict) -> dict:
    """継続先 of a measure or KPI: as printed and the successor plan's slug ('' when the document has none)."""
    continues_in = item.get("continues_in") or {}
    return {"continues_in": continues_in.get("text") or "", "continues_in_plan": continues_in.get("plan") or ""}


class Writer:
    """Upserts one kind of row at a time, counting what actually changed."""

    def __init__(self, result: ImportResult):
        self.result = result
        self.category_indicators: list[tuple[dict, dict]] = []
        self.value_marks: list[tuple[int, dict]] = []
        # Rows this import created: their children cannot exist yet, so they are not read back (a new
        # plan's import reads nothing per measure, KPI or value; Noshiro's 4,032 queries become about 2,900).
        self.created: set[tuple[type, int]] = set()

    def is_new(self, obj) -> bool:
        return (type(obj), obj.pk) in self.created

    def upsert(self, existing, model, lookup: dict, values: dict):
        """existing: the current row or None. Saves only fields whose value differs."""
        if existing is None:
            obj = audit.record(model(**lookup, **values), user=None, source="plan_import")
            obj.save(force_insert=True)
            self.created.add((model, obj.pk))
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
def import_plan(
    document: dict, *, correction_reason: str = "", delete_missing: bool = False, rename_municipality: bool = False
) -> ImportResult:
    """Validate the whole document, then write it; raise PlanDocumentError and write nothing if invalid.

    After writing, the plan is compared with what it was (kpis.interchange.guards): a change to a locked
    year needs ``correction_reason`` (recorded and shown publicly as 訂正), removing an actual, note,
    evidence or override entered in the portal needs ``delete_missing``; renaming the municipality of the
    document's code needs ``rename_municipality``. Without them PlanDocumentError lists what the document
    would change, and the transaction leaves nothing written.
    """
    validate_document(document)
    correction_reason = correction_reason.strip()
    renamed = guards.municipality_changes(document["municipality"], rename=rename_municipality)
    code, slug = document["municipality"]["code"], document["plan"]["slug"]
    plan = Plan.objects.filter(municipality__code=code, slug=slug).first()
    locked = guards.locked_years(plan)
    before = guards.plan_state(plan)
    since = guards.history_marks() if locked and correction_reason else None
    owners = guards.owned_ids(plan) if since else None
    municipality = upsert_municipality(document["municipality"])
    result = ImportResult(plan=plan, updated=len(renamed), changes=list(renamed), renamed=renamed)
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
    after = guards.plan_state(plan)
    result.corrections, result.removed = guards.account_for(
        before, after, locked=locked, correction_reason=correction_reason, delete_missing=delete_missing
    )
    if result.corrections:
        now = guards.owned_ids(plan)
        ids = (owners[0] | now[0], owners[1] | now[1])
        guards.tag_corrections(locked, since, correction_reason, ids)
    publish_listed_years(writer, plan, document)
    bump_after_commit(municipality)
    return result


def upsert_municipality(data: dict) -> Municipality:
    """The municipality of the document's code, created or updated (guards.municipality_changes has allowed
    a rename); an English name the document leaves out stays."""
    values = {
        "name": data["name"],
        "prefecture": data["prefecture"],
        "slug": data["slug"],
        **({"name_en": data["name_en"]} if "name_en" in data else {}),
    }
    municipality, created = Municipality.objects.get_or_create(code=data["code"], defaults=values)
    changed = [k for k, v in values.items() if getattr(municipality, k) != v]
    if changed and not created:
        for k in changed:
            setattr(municipality, k, values[k])
        municipality.save(update_fields=changed)
        if "slug" in changed:  # the pages under the old URL are cached too: invalidate everything
            bump_after_commit()
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
        "evaluation": data.get("evaluation") or None,
        "stage_legend": data.get("stage_legend", []),
        "related_plans": data.get("related_plans", []),
        "measure_level_name": data.get("measure_level_name", ""),
        "kpi_level_name": data.get("kpi_level_name", ""),
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
    by_key = {}
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
            **continuation(data),
            **provenance(data),
        }
        measure = writer.upsert(existing.get(data["key"]), Measure, {"plan": plan, "key": data["key"]}, values)
        kept.append(measure.pk)
        by_key[data["key"]] = measure
        sync_measure_children(writer, measure, data, categories, departments, tags)
        indicator_rows += [({"measure": measure}, kpi) for kpi in data.get("kpis", [])]
    writer.delete_missing(plan.measures.all(), kept)
    sync_indicators(writer, plan, indicator_rows, revisions, by_key)
    writer.delete_missing(plan.revisions.all(), [r.pk for r in revisions.values()])


def sync_set(writer: Writer, queryset, rows: dict, model, owner: dict) -> None:
    """Make the rows of queryset equal `rows` ({natural key tuple: field values}); owner: the parent row."""
    key_fields = list(next(iter(rows.values()))["__key__"].keys()) if rows else []
    new_parent = all(writer.is_new(parent) for parent in owner.values())
    existing = {}
    for obj in queryset.none() if new_parent else queryset:
        existing[tuple(getattr(obj, f) for f in key_fields)] = obj
    kept = []
    for key, values in rows.items():
        lookup = dict(values.pop("__key__"))
        obj = writer.upsert(existing.get(key), model, {**owner, **lookup}, values)
        kept.append(obj.pk)
    if not new_parent:
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
    new = writer.is_new(measure)
    if not new:
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
    current_sdgs = set() if new else set(measure.sdgs.values_list("number", flat=True))
    if wanted_sdgs != current_sdgs:
        measure.sdgs.set(sorted(wanted_sdgs))
        writer.result.updated += 1
    wanted_tags = {tags[name].pk for name in data.get("tags", [])}
    if wanted_tags != (set() if new else set(measure.tags.values_list("pk", flat=True))):
        measure.tags.set(sorted(wanted_tags))
        writer.result.updated += 1


def sync_indicators(writer: Writer, plan, rows: list[tuple[dict, dict]], revisions, measures: dict) -> None:
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
            "number": data.get("number", ""),
            "target_after_period": data.get("target_after_period", ""),
            **continuation(data),
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
        relisted = {measures[other].pk for other in data.get("also_listed_under", [])}
        current = set() if writer.is_new(indicator) else set(indicator.also_listed_under.values_list("pk", flat=True))
        if relisted != current:
            indicator.also_listed_under.set(sorted(relisted))
            writer.result.updated += 1
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


def publish_listed_years(writer: Writer, plan, document: dict) -> None:
    """The years the document lists as published by the municipality (``plan.published_years``).

    Any other year stays as it is: an import never publishes a year on its own (a printed actual of
    the current year still goes through the departments' reports and HQ's review), and never moves a
    published or locked year back.
    """
    now = timezone.now()
    for fy in sorted(set(document["plan"].get("published_years", []))):
        year = PlanYear.objects.filter(plan=plan, fiscal_year=fy).first() or PlanYear(plan=plan, fiscal_year=fy)
        if year.status == PlanYear.Status.OPEN:
            year.status, year.published_at = PlanYear.Status.PUBLISHED, now
            audit.record(year, user=None, source="plan_import", reason="計画書で公表済みの年度")
            year.save()
            writer.result.updated += 1
            writer.result.changes.append(f"PlanYear {fy}: published")
