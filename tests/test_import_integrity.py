"""Imports change nothing behind the staff's back (issue 19): locked years (finding 2), publication (4),
another municipality (5), the admin's confirmation (8), a second `make run` (10); a failure in the middle
of writing leaves nothing, and staff of another municipality may not import."""

import io
import json
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.urls import reverse

from dxportal.staff.sheets import ALREADY_CONFIRMED
from kpis import workflow
from kpis.entry import ActualEntry, save_entries
from kpis.history import public_value_history
from kpis.interchange.guards import EnteredDataRemoval, LockedYearChanges
from kpis.interchange.importer import Writer, import_plan
from kpis.interchange.validation import PlanDocumentError, category_paths
from kpis.models import IndicatorValue, PendingUpload, PlanYear
from kpis.sheets.actuals import import_actuals
from measures.models import Measure
from plans.access import can_import
from plans.models import Department, Municipality, StaffMembership
from tests.conftest import FIXTURES, ROOT
from tests.database import database_dump
from tests.personas import kpi, make_user, roles_document
from tests.test_actuals_import import as_bytes, filled, upload

pytestmark = pytest.mark.django_db

VISITS = "取組 1-(1)-① / 出張申請窓口の開催回数"  # a KPI of measure 1-(1)-① with a printed FY2023 actual


def write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


# Finding 2: a locked year changes only as a correction


def test_a_reimport_cannot_change_a_locked_year_in_any_way(roles_plan, hq_x, mini_document):
    workflow.lock_year(hq_x, roles_plan, 2023)
    document = roles_document(mini_document)
    visits = document["measures"][0]["kpis"][0]
    visits["values"] = [v for v in visits["values"] if v["fy"] != 2023]  # the locked year's value left out
    pillar = document["categories"][0]["indicators"][0]["values"][0]
    pillar["target"] = {"text": "70.0％", "value": 70.0}  # a locked year's target rewritten
    document["measures"][0]["marks"][0] = {"fy": 2023, "mark": "achieved", "override_reason": "見直し"}
    before = database_dump()
    with pytest.raises(LockedYearChanges) as raised:
        import_plan(document)
    year = "令和5年度 (2023)"
    assert raised.value.errors[0][1].startswith("確定（ロック）済みの年度（令和5年度 (2023)）を変える変更が8件あります")
    assert raised.value.errors[1:] == [
        (f"分類 1 / マイナンバーカードの交付率 / {year}", "目標: 「67.4％」 → 「70.0％」"),
        (f"分類 1 / マイナンバーカードの交付率 / {year}", "目標値: 「67.4」 → 「70」"),
        (f"取組 1-(1)-① / {year}", "取組の評価の上書き: （空欄） → 「achieved」"),
        (f"取組 1-(1)-① / {year}", "取組の評価: 「not_achieved」 → 「achieved」"),
        (f"{VISITS} / {year}", "目標: 「１０回」 → （空欄）（行ごと削除）"),
        (f"{VISITS} / {year}", "目標値: 「10」 → （空欄）（行ごと削除）"),
        (f"{VISITS} / {year}", "実績: 「０回」 → （空欄）（行ごと削除）"),
        (f"{VISITS} / {year}", "評価: 「not_achieved」 → （空欄）（行ごと削除）"),
    ]
    assert database_dump() == before


def locked_visit_changed(roles_plan, hq_x, mini_document) -> dict:
    workflow.lock_year(hq_x, roles_plan, 2023)
    document = roles_document(mini_document)
    document["measures"][0]["kpis"][0]["values"][1]["actual"] = {"text": "２回", "value": 2}
    return document


def test_a_correction_reason_applies_them_as_corrections_shown_publicly(roles_plan, hq_x, mini_document):
    document = locked_visit_changed(roles_plan, hq_x, mini_document)
    result = import_plan(document, correction_reason="市の確定値に合わせた")
    year = "令和5年度 (2023)"
    assert result.corrections == [
        (f"{VISITS} / {year}", "実績: 「０回」 → 「２回」"),
        (f"{VISITS} / {year}", "実績値: 「0」 → 「2」"),
    ]
    value = IndicatorValue.objects.get(indicator=kpi(roles_plan, "出張申請窓口の開催回数"), fiscal_year=2023)
    assert (value.actual_text, value.history.first().history_change_reason) == ("２回", "訂正: 市の確定値に合わせた")
    history = public_value_history(Measure.objects.get(plan=roles_plan, key="1-(1)-①"))
    assert [(h.fiscal_year, h.field, h.old, h.new, h.reason, h.is_correction) for h in history] == [
        (2023, "実績", "０回", "２回", "市の確定値に合わせた", True)
    ]


def test_the_command_lists_each_locked_change_or_applies_it_with_a_reason(roles_plan, hq_x, mini_document, tmp_path):
    path = write(tmp_path, locked_visit_changed(roles_plan, hq_x, mini_document))
    with pytest.raises(CommandError) as raised:
        call_command("import_plan", str(path))
    assert f"{path}: {VISITS} / 令和5年度 (2023): 実績: 「０回」 → 「２回」" in str(raised.value)
    out = io.StringIO()
    call_command("import_plan", str(path), "--correction-reason", "市の確定値に合わせた", stdout=out)
    assert f"{path}: 訂正: {VISITS} / 令和5年度 (2023): 実績: 「０回」 → 「２回」\n" in out.getvalue()


# Finding 4: an import publishes only the years the document lists


def test_a_printed_actual_does_not_publish_its_year(db, mini_document):
    visits = mini_document["measures"][0]["kpis"][0]["values"]
    visits.append({"fy": 2025, "target": {"text": "１０回", "value": 10}, "actual": {"text": "３回", "value": 3}})
    plan = import_plan(mini_document).plan
    years = dict(PlanYear.objects.filter(plan=plan).values_list("fiscal_year", "status"))
    assert years == {2022: "published", 2023: "published", 2024: "published"}  # 2025 is printed, not listed


def test_a_document_that_lists_no_years_publishes_none(db, mini_document):
    mini_document["plan"].pop("published_years", None)
    plan = import_plan(mini_document).plan
    assert not PlanYear.objects.filter(plan=plan).exists()


def printed_actual_years(document: dict) -> list[int]:
    """The years the import used to publish by itself: a printed actual, in the period or its baseline year."""
    kpis = [kpi for _, _, category in category_paths(document["categories"]) for kpi in category.get("indicators", [])]
    kpis += [kpi for measure in document["measures"] for kpi in measure.get("kpis", [])]
    start, end = document["plan"]["period"]["start_fy"], document["plan"]["period"]["end_fy"]
    printed = {
        v["fy"] for kpi in kpis for v in kpi.get("values", []) if ((v.get("actual") or {}).get("text") or "").strip()
    }
    return sorted(fy for fy in printed if start - 1 <= fy <= end)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_the_seed_plans_list_exactly_the_years_they_print_actuals_for(fixture):
    document = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    assert document["plan"]["published_years"] == printed_actual_years(document)


# Finding 5: the code identifies the municipality; renaming it needs the flag and is reported


def katagami_document(mini_document) -> dict:
    document = roles_document(mini_document)
    document["municipality"] = {"code": "052116", "name": "潟上市", "prefecture": "秋田県", "slug": "katagami"}
    return document


def test_a_document_cannot_take_over_another_municipality(other_plan, mini_document):
    document = katagami_document(mini_document)
    document["municipality"].update(name="乗っ取り市", slug="nottori")
    document["plan"]["slug"] = "takeover"
    before = database_dump()
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(document)
    assert raised.value.errors == [
        (
            "$.municipality",
            "団体コード 052116 は「秋田県潟上市」（katagami）のコードです。この文書はそれを 名称 「乗っ取り市」、"
            "スラッグ 「nottori」 に変えます。団体コードの誤りでないか確かめ、名称などを変える場合だけ "
            "--rename-municipality を付けて取り込んでください",
        )
    ]
    assert database_dump() == before


def test_a_rename_needs_the_flag_and_is_reported(other_plan, mini_document, tmp_path):
    document = katagami_document(mini_document)
    document["municipality"]["name"] = "潟上市（新）"
    path = write(tmp_path, document)
    with pytest.raises(CommandError, match="--rename-municipality"):
        call_command("import_plan", str(path))
    out = io.StringIO()
    call_command("import_plan", str(path), "--rename-municipality", stdout=out)
    assert out.getvalue() == (
        f"{path}: katagami/mini: 0 created, 1 updated, 0 deleted\n"
        f"{path}: 地方公共団体 052116: 名称 「潟上市」 → 「潟上市（新）」\n"
    )
    assert Municipality.objects.get(code="052116").name == "潟上市（新）"


# Finding 8: the admin's confirmation, on any app server, once


def test_the_admin_confirmation_works_on_another_app_server_and_only_once(client, roles_plan, staff_b, tmp_path):
    client.force_login(staff_b)
    response = upload(client, as_bytes(filled(roles_plan, staff_b, F4="2")))
    confirm = response.context["confirm_form"]
    fields = {name: confirm.initial.get(name, "") for name in confirm.fields}
    other_server = tmp_path / "another-app-server"
    other_server.mkdir()
    with mock.patch.object(tempfile, "gettempdir", return_value=str(other_server)):  # its /tmp holds no upload
        response = client.post(reverse("admin:kpis_indicatorvalue_process_import"), fields, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "実績を取り込みました（新規 0 行、変更 1 行、変更なし 0 行）"
    ]
    value = IndicatorValue.objects.get(fiscal_year=2025, indicator__name="要望書の提出件数")
    assert (value.actual_text, value.history.count()) == ("2", 2)  # the target's creation, then the import

    response = client.post(reverse("admin:kpis_indicatorvalue_process_import"), fields, follow=True)
    assert [str(m) for m in response.context["messages"]] == [ALREADY_CONFIRMED]
    assert response.redirect_chain == [(reverse("admin:kpis_indicatorvalue_import"), 302)]
    assert value.history.count() == 2 and not PendingUpload.objects.exists()


# Finding 10: re-importing a plan keeps what staff entered unless asked


@pytest.fixture
def entered(roles_plan, staff_b):
    entry = ActualEntry(kpi(roles_plan, "要望書の提出件数").pk, 2025, "４件", note="2件追加")
    save_entries(staff_b, roles_plan, 2025, [entry])


def test_a_reimport_does_not_remove_what_staff_entered_unless_asked(roles_plan, entered, mini_document):
    document = roles_document(mini_document)
    before = database_dump()
    with pytest.raises(EnteredDataRemoval) as raised:
        import_plan(document)
    removed = [
        ("取組 2-(1)-① / 要望書の提出件数 / 令和7年度 (2025)", "実績: 「４件」 → （空欄）"),
        ("取組 2-(1)-① / 要望書の提出件数 / 令和7年度 (2025)", "備考: 「2件追加」 → （空欄）"),
    ]
    assert raised.value.errors[1:] == removed
    assert database_dump() == before
    assert import_plan(document, delete_missing=True).removed == removed
    assert IndicatorValue.objects.get(indicator__name="要望書の提出件数", fiscal_year=2025).actual_text == ""


def test_make_run_again_leaves_an_imported_plan_alone(roles_plan, entered, mini_document, tmp_path):
    path = write(tmp_path, roles_document(mini_document))
    before = database_dump()
    out = io.StringIO()
    call_command("import_plan", "--only-new", str(path), stdout=out)
    assert out.getvalue() == f"{path}: noshiro/mini: already imported, skipped (--only-new)\n"
    assert database_dump() == before
    assert "\t$(PY) manage.py import_plan --only-new fixtures/*.json\n" in (ROOT / "Makefile").read_text()


# All or nothing (a mutation check found no test for @transaction.atomic on import_plan)


def test_a_failure_in_the_middle_of_writing_leaves_nothing_changed(roles_plan, mini_document):
    document = roles_document(mini_document)
    document["municipality"]["name_en"] = "Noshiro"  # written before the plan
    document["plan"]["title"] = "テスト計画（改定）"  # the first row the writer changes
    document["measures"][0]["name"] = "マイナンバーカードの取得促進"
    before, calls, upsert = database_dump(), [], Writer.upsert

    def fail_on_the_fifth_write(self, *args, **kwargs):
        calls.append(args[1].__name__)
        if len(calls) == 5:
            raise DatabaseError("the connection was lost")
        return upsert(self, *args, **kwargs)

    with mock.patch.object(Writer, "upsert", fail_on_the_fifth_write), pytest.raises(DatabaseError):
        import_plan(document)
    assert calls[:2] == ["Plan", "PlanRevision"]
    assert database_dump() == before


def test_a_refused_reimport_leaves_the_municipality_unrenamed(roles_plan, hq_x, mini_document):
    document = locked_visit_changed(roles_plan, hq_x, mini_document)
    document["municipality"]["name"] = "能代市（新）"
    with pytest.raises(LockedYearChanges):
        import_plan(document, rename_municipality=True)  # renamed first, refused at the end
    assert Municipality.objects.get(code="052027").name == "能代市"


# can_import: staff of another municipality (a mutation check found no persona for it)


def test_staff_of_another_municipality_may_not_import(roles_plan, other_plan, hq_x):
    staff_y = make_user("staff-y")
    department = Department.objects.get(municipality__code="052116", name="企画部")
    StaffMembership.objects.create(user=staff_y, department=department)
    assert not can_import(staff_y, roles_plan)
    data = as_bytes(filled(roles_plan, hq_x, F4="2"))
    assert import_actuals(data=data, fiscal_year=2025, user=staff_y).errors == [
        "このファイルの指標の実績を取り込む権限がありません"
    ]
