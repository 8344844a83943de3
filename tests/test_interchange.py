"""import_plan / export_plan: validation, idempotence, round trip, all-or-nothing."""

import json

import pytest
from django.core.management import CommandError, call_command

from kpis.interchange.exporter import export_plan
from kpis.interchange.importer import import_plan
from kpis.interchange.validation import PlanDocumentError
from kpis.models import Indicator, IndicatorValue
from measures.models import Measure, MeasureListing, MeasureMark
from plans.models import Category, Plan

pytestmark = pytest.mark.django_db


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Plan, Category, Measure, MeasureListing, MeasureMark, Indicator, IndicatorValue)
    }


def test_import_creates_the_plan(mini_plan):
    assert mini_plan.title == "テスト計画"
    measure = Measure.objects.get(plan=mini_plan, key="1-(1)-①")
    assert [listing.category.path for listing in measure.listings.all()] == ["1/(1)", "2"]
    assert [listing.is_primary for listing in measure.listings.all()] == [True, False]
    assert sorted(measure.sdgs.values_list("number", flat=True)) == [10, 11, 16]
    assert list(measure.departments.values_list("name", flat=True)) == ["地域情報課"]
    assert measure.departments.get().parent.name == "企画部"


def test_importing_the_same_document_twice_changes_nothing(mini_document):
    import_plan(mini_document)
    before = table_counts()
    result = import_plan(mini_document)
    assert not result.changed, result.changes
    assert table_counts() == before


def test_reimport_of_an_edited_document_updates_in_place(mini_document):
    plan = import_plan(mini_document).plan
    measure_pk = Measure.objects.get(plan=plan, key="1-(1)-①").pk
    mini_document["measures"][0]["name"] = "マイナンバーカードの取得促進"
    mini_document["measures"][0]["kpis"][0]["values"][1]["actual"] = {"text": "１２回", "value": 12}
    result = import_plan(mini_document)
    assert result.updated >= 2
    measure = Measure.objects.get(plan=plan, key="1-(1)-①")
    assert measure.pk == measure_pk
    assert measure.name == "マイナンバーカードの取得促進"
    value = IndicatorValue.objects.get(
        indicator__measure=measure, indicator__name="出張申請窓口の開催回数", fiscal_year=2023
    )
    assert value.actual_value == 12
    assert value.computed == "exceeded"


def test_rows_missing_from_the_document_are_deleted(mini_document):
    plan = import_plan(mini_document).plan
    del mini_document["measures"][1]
    result = import_plan(mini_document)
    assert result.deleted == 1
    assert list(plan.measures.values_list("key", flat=True)) == ["1-(1)-①"]


def test_export_import_export_round_trips(mini_plan):
    first = export_plan(mini_plan)
    result = import_plan(json.loads(json.dumps(first)))
    assert not result.changed, result.changes
    assert export_plan(Plan.objects.get(pk=mini_plan.pk)) == first


def test_null_dash_and_zero_stay_distinct(mini_plan):
    values = {
        v.fiscal_year: v
        for v in IndicatorValue.objects.filter(indicator__name="出張申請窓口の開催回数", indicator__plan=mini_plan)
    }
    assert values[2022].target_text == "" and values[2022].target_value is None  # not entered
    assert values[2023].actual_text == "０回" and values[2023].actual_value == 0  # a real zero
    assert values[2024].target_text == "－" and values[2024].target_not_applicable  # not applicable
    exported = export_plan(mini_plan)["measures"][0]["kpis"][0]["values"]
    assert exported[0]["target"] is None
    assert exported[1]["actual"] == {"text": "０回", "value": 0}
    assert exported[2]["target"] == {"text": "－", "value": None}


def test_published_marks_that_differ_from_the_engine_become_overrides(mini_document):
    mini_document["measures"][0]["marks"][0] = {"fy": 2023, "mark": "achieved", "override_reason": "推進本部の判断"}
    plan = import_plan(mini_document).plan
    mark = MeasureMark.objects.get(measure__plan=plan, measure__key="1-(1)-①", fiscal_year=2023)
    assert (mark.computed, mark.override, mark.mark) == ("not_achieved", "achieved", "achieved")
    assert mark.override_reason == "推進本部の判断"
    assert mark.explanation == "実績 ０回 が目標 １０回 を下回った"


def test_summary_section_counts_primary_listings_only(mini_plan):
    summary = export_plan(mini_plan)["summary"]
    row = next(r for r in summary if r["category"] == "1" and r["fy"] == 2023)
    assert row["counts"] == {"exceeded": 0, "achieved": 0, "not_achieved": 1, "not_applicable": 0, "total": 1}
    assert next(r for r in summary if r["category"] == "2" and r["fy"] == 2023)["counts"]["total"] == 0


def bad(document, mutate):
    mutate(document)
    return document


BAD_DOCUMENTS = [
    (lambda d: d["plan"].update(status="final"), "$.plan.status", "'final' is not one of ['draft', 'published']"),
    (lambda d: d["municipality"].update(code="052028"), "$.municipality.code", "'052028' has a wrong check digit"),
    (
        lambda d: d["municipality"].update(slug="pref"),
        "$.municipality.slug",
        "'pref' is a path of the portal itself; choose another slug",
    ),
    (
        lambda d: d["measures"][0].update(category_labels=["9/(9)"]),
        "$.measures[0].category_labels[0]",
        "no category with path '9/(9)'",
    ),
    (lambda d: d["measures"][1].update(key="1-(1)-①"), "$.measures[1].key", "duplicate key '1-(1)-①'"),
    (
        lambda d: d["measures"][0]["kpis"][0]["values"][1].update(fy=2030),
        "$.measures[0].kpis[0].values[1].fy",
        "2030 is outside the plan period 2023–2025",
    ),
    (
        lambda d: d["measures"][0]["kpis"][0]["values"][1].update(fy=2022),
        "$.measures[0].kpis[0].values[1].fy",
        "duplicate fy 2022",
    ),
    (lambda d: d["measures"][0].update(sdgs=[18]), "$.measures[0].sdgs[0]", "18 is greater than the maximum of 17"),
    (
        lambda d: d["measures"][0]["kpis"][0].update(kind="number"),
        "$.measures[0].kpis[0].kind",
        "'number' is not one of",
    ),
    (
        lambda d: d["measures"][0].update(tags=["ペーパーレス"]),
        "$.measures[0].tags[0]",
        "'ペーパーレス' is not a national priority area",
    ),
    (lambda d: d.pop("categories"), "$", "'categories' is a required property"),
]


@pytest.mark.parametrize(("mutate", "where", "message"), BAD_DOCUMENTS)
def test_a_bad_document_names_the_place_and_leaves_the_database_untouched(
    mini_plan, mini_document, mutate, where, message
):
    before = table_counts()
    exported_before = export_plan(mini_plan)
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(bad(mini_document, mutate))
    assert any(path == where and message in text for path, text in raised.value.errors), raised.value.errors
    assert table_counts() == before
    assert export_plan(Plan.objects.get(pk=mini_plan.pk)) == exported_before


def test_all_errors_are_reported_at_once(db, mini_document):
    mini_document["measures"][0]["category_labels"] = ["x"]
    mini_document["measures"][1]["category_labels"] = ["y"]
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(mini_document)
    assert [path for path, _ in raised.value.errors] == [
        "$.measures[0].category_labels[0]",
        "$.measures[1].category_labels[0]",
    ]


def test_import_command_reports_path_and_writes_nothing(db, tmp_path, mini_document):
    mini_document["plan"]["period"] = {"start_fy": 2025, "end_fy": 2023}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(mini_document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_plan", str(path))
    assert f"{path}: 計画の計画期間: 開始年度（令和7年度）が終了年度（令和5年度）より後です" in str(raised.value)
    assert Plan.objects.count() == 0


def test_import_command_rejects_a_file_that_is_not_json(db, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="JSON として読めません"):
        call_command("import_plan", str(path))


def test_export_command_writes_the_document(mini_plan, tmp_path):
    out = tmp_path / "out.json"
    call_command("export_plan", "noshiro", "mini", "-o", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["plan"]["slug"] == "mini"
    assert document["municipality"]["code"] == "052027"
    with pytest.raises(CommandError, match="no plan 'nope' of municipality 'noshiro'"):
        call_command("export_plan", "noshiro", "nope")
