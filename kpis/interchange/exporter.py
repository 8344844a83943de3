"""Build the interchange document of a plan from the database, in a fixed number of queries."""

from collections import defaultdict
from decimal import Decimal

from kpis import visibility
from kpis.interchange import FORMAT
from kpis.models import Indicator, IndicatorValue, PlanYear
from kpis.summary import plan_summary
from kpis.visibility import mask
from measures.models import Measure, MeasureDepartment, MeasureListing, MeasureMark, MeasureStage, ScheduleEntry
from plans.models import DatePrecision


def number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def partial_date(date, precision) -> str | None:
    if date is None:
        return None
    return date.strftime("%Y-%m") if precision == DatePrecision.MONTH else date.isoformat()


def with_provenance(data: dict, obj) -> dict:
    if obj.source_document:
        data["source"] = {"document": obj.source_document}
        if obj.source_lines:
            data["source"]["lines"] = obj.source_lines
    if obj.uncertain:
        data["uncertain"] = obj.uncertain
    return data


def continuation(obj) -> dict:
    """``continues_in`` of a measure or KPI that says it goes on in a successor plan; {} otherwise, so that a
    document without it exports as it was."""
    continues_in = {
        **({"text": obj.continues_in} if obj.continues_in else {}),
        **({"plan": obj.continues_in_plan} if obj.continues_in_plan else {}),
    }
    return {"continues_in": continues_in} if continues_in else {}


def printed(obj, *names: str) -> dict:
    """The named text fields that are not empty (keys a document leaves out when it has nothing to say)."""
    return {name: getattr(obj, name) for name in names if getattr(obj, name)}


def cell(text: str, value) -> dict | None:
    return {"text": text, "value": number(value)} if text else None


def export_plan(plan, *, public_only: bool = False) -> dict:
    """The plan's interchange document; everything by default (staff export, round-trips).

    ``public_only`` (the public plan.json) leaves out the actuals and marks of years residents may not
    see yet (kpis.visibility); targets stay, as they are printed in the plan.
    """
    municipality = plan.municipality
    revisions = list(plan.revisions.all())
    categories = list(plan.categories.all())
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .select_related("introduced_in", "retired_in")
        .prefetch_related("also_listed_under")
    )
    values = defaultdict(list)
    value_rows = IndicatorValue.objects.filter(indicator__plan=plan)
    if public_only:
        value_rows = value_rows.with_publication()
    for value in value_rows.order_by("fiscal_year"):
        values[value.indicator_id].append(mask(value) if public_only else value)
    measure_ids = Measure.objects.filter(plan=plan).values("pk")
    children = {
        name: group(model.objects.filter(measure__in=measure_ids).select_related(*related))
        for name, model, related in [
            ("listings", MeasureListing, ["category"]),
            ("ownerships", MeasureDepartment, ["department"]),
            ("stages", MeasureStage, []),
            ("schedule", ScheduleEntry, []),
        ]
    }
    children["marks"] = group(
        (visibility.public_marks() if public_only else MeasureMark.objects).filter(measure__in=measure_ids)
    )
    measures = list(Measure.objects.filter(plan=plan).prefetch_related("sdgs", "tags"))
    kpis_of = defaultdict(list)
    indicators_of_category = defaultdict(list)
    for indicator in indicators:
        data = export_indicator(indicator, values[indicator.pk])
        if indicator.measure_id:
            kpis_of[indicator.measure_id].append(data)
        else:
            indicators_of_category[indicator.category_id].append(data)

    departments = sorted(
        {o.department for rows in children["ownerships"].values() for o in rows}
        | set(municipality.departments.filter(children__isnull=False).distinct()),
        key=lambda d: d.name,
    )
    parents = {d.pk: d.name for d in municipality.departments.filter(pk__in=[d.parent_id for d in departments])}
    return {
        "format": FORMAT,
        "municipality": {
            "code": municipality.code,
            "name": municipality.name,
            "name_en": municipality.name_en,
            "prefecture": municipality.prefecture,
            "slug": municipality.slug,
        },
        "departments": [{"name": d.name, "parent": parents.get(d.parent_id)} for d in departments],
        # Staff exports say which years were published, so that importing one elsewhere publishes them too.
        "plan": export_plan_header(plan) | ({} if public_only else {"published_years": published_years(plan)}),
        "revisions": [export_revision(r) for r in revisions],
        "categories": export_tree(categories, indicators_of_category),
        "measures": [export_measure(m, children, kpis_of[m.pk]) for m in measures],
        "summary": [row.as_dict() for row in plan_summary(plan, public_only=public_only)],
    }


def published_years(plan) -> list[int]:
    years = PlanYear.objects.filter(plan=plan, status__in=visibility.PUBLIC_YEAR_STATUSES).order_by("fiscal_year")
    return list(years.values_list("fiscal_year", flat=True))


def group(queryset) -> dict[int, list]:
    result = defaultdict(list)
    for row in queryset:
        result[row.measure_id].append(row)
    return result


def export_plan_header(plan) -> dict:
    return with_provenance(
        {
            "slug": plan.slug,
            "title": plan.title,
            "edition": plan.edition,
            "status": plan.status,
            "published_on": partial_date(plan.published_on, plan.published_on_precision),
            "period": {"start_fy": plan.period_start_fy, "end_fy": plan.period_end_fy},
            "replaces": plan.replaces.slug if plan.replaces_id else None,
            "scoring_policy": plan.scoring_policy,
            "mark_legend": plan.mark_legend,
            "stage_legend": plan.stage_legend,
            "related_plans": plan.related_plans,
            **printed(plan, "measure_level_name", "kpi_level_name"),
            "description": plan.description,
            # Only a plan with a scheme of its own carries one: without it, the default applies.
            **({"evaluation": plan.evaluation} if plan.evaluation else {}),
        },
        plan,
    )


def export_revision(revision) -> dict:
    return with_provenance(
        {
            "key": revision.key,
            "date": partial_date(revision.date, revision.date_precision),
            "kind": revision.kind,
            "title": revision.title,
            "summary": revision.summary,
            "period_end_fy": revision.period_end_fy,
        },
        revision,
    )


def export_tree(categories, indicators_of_category) -> list[dict]:
    nodes = {}
    roots = []
    for category in categories:  # ordered by position: parents come before their children
        node = with_provenance(
            {
                "label": category.label,
                "name": category.name,
                "level_name": category.level_name,
                "description": category.description,
                "indicators": indicators_of_category[category.pk],
                "children": [],
            },
            category,
        )
        nodes[category.pk] = node
        (nodes[category.parent_id]["children"] if category.parent_id else roots).append(node)
    return roots


def export_indicator(indicator, values) -> dict:
    relisted = [m.key for m in sorted(indicator.also_listed_under.all(), key=lambda m: (m.position, m.pk))]
    baseline = None
    if indicator.baseline_text:
        baseline = {
            "text": indicator.baseline_text,
            "value": number(indicator.baseline_value),
            "fy": indicator.baseline_fy,
        }
    return with_provenance(
        {
            "name": indicator.name,
            "unit": indicator.unit,
            "kind": indicator.kind,
            "direction": indicator.direction,
            "cumulative": indicator.cumulative,
            "baseline": baseline,
            "definition": indicator.definition,
            **printed(indicator, "number", "target_after_period"),
            **continuation(indicator),
            "introduced_in": indicator.introduced_in.key if indicator.introduced_in_id else None,
            "retired_in": indicator.retired_in.key if indicator.retired_in_id else None,
            # Only a KPI printed again under other measures carries the key (the seed exports stay as they were).
            **({"also_listed_under": relisted} if relisted else {}),
            "values": [export_value(v) for v in values],
        },
        indicator,
    )


def export_value(value) -> dict:
    data = {
        "fy": value.fiscal_year,
        "target": cell(value.target_text, value.target_value),
        "actual": cell(value.actual_text, value.actual_value),
        "mark": value.mark or None,
        "computed": value.computed or None,
        "override_reason": value.override_reason,
        "achievement_text": value.achievement_text,
        "note": value.note,
    }
    if value.explanation:
        data["explanation"] = value.explanation
    return data


def export_measure(measure, children, kpis) -> dict:
    stages = defaultdict(list)
    for stage in children["stages"][measure.pk]:
        stages[stage.fiscal_year].append(stage.stage)
    return with_provenance(
        {
            "key": measure.key,
            "code": measure.code,
            "name": measure.name,
            "category_labels": [listing.category.path for listing in children["listings"][measure.pk]],
            "is_new": measure.is_new,
            "is_managed": measure.is_managed,
            "stages": [{"fy": fy, "stages": s} for fy, s in stages.items()],
            "sdgs": [goal.number for goal in measure.sdgs.all()],
            "related_plans": measure.related_plans,
            "overview": measure.overview,
            "background": measure.background,
            "started_fy": measure.started_fy,
            "target_state": measure.target_state,
            "direction": measure.direction,
            "expected_effects": measure.expected_effects,
            "national_policies": measure.national_policies,
            "tags": [tag.name for tag in measure.tags.all()],
            "departments": [o.department.name for o in children["ownerships"][measure.pk]],
            "departments_open_ended": measure.departments_open_ended,
            "departments_text": measure.departments_text,
            "schedule": [
                {"row": e.row, "fy": e.fiscal_year, "text": e.text, "continues": e.continues, "milestone": e.milestone}
                for e in children["schedule"][measure.pk]
            ],
            "kpis": kpis,
            "marks": [
                {
                    "fy": m.fiscal_year,
                    "mark": m.mark or None,
                    "computed": m.computed or None,
                    "explanation": m.explanation,
                    "override_reason": m.override_reason,
                }
                for m in children["marks"][measure.pk]
            ],
            "notes": measure.notes,
            **continuation(measure),
        },
        measure,
    )
