"""The plan workbook: a seed plan survives workbook → import → export unchanged; what staff type is read."""

import copy
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from openpyxl import Workbook, load_workbook

from kpis.interchange.exporter import export_plan
from kpis.interchange.importer import import_plan
from kpis.sheets.plan_columns import parse_year_header, read_number
from kpis.sheets.plan_reader import read_plan_workbook
from kpis.sheets.plan_values import parse_fy
from kpis.sheets.plan_workbook import plan_workbook, template_workbook
from plans.models import Municipality, Plan
from tests.conftest import FIXTURES
from tests.test_evaluation_plan import TEST_PLAN

pytestmark = pytest.mark.django_db

SEEDS = sorted(FIXTURES.glob("*.json"))


@pytest.mark.parametrize("fixture", SEEDS, ids=lambda path: path.stem)
def test_every_seed_plan_round_trips_through_the_workbook(fixture, tmp_path):
    workbook = tmp_path / "plan.xlsx"
    document = json.loads(fixture.read_text(encoding="utf-8"))
    with transaction.atomic():  # the seed plan exists only while its workbook is written
        plan = import_plan(document).plan
        expected = export_plan(plan)
        call_command("export_plan_workbook", plan.municipality.slug, plan.slug, "-o", str(workbook))
        transaction.set_rollback(True)
    assert not Plan.objects.exists() and not Municipality.objects.exists()
    call_command("import_plan", str(workbook))
    plan = Plan.objects.get(municipality__code=document["municipality"]["code"], slug=document["plan"]["slug"])
    assert export_plan(plan) == expected


def test_the_workbook_has_the_japanese_sheets_and_drop_downs(noshiro, tmp_path):
    path = tmp_path / "noshiro.xlsx"
    call_command("export_plan_workbook", "noshiro", noshiro.slug, "-o", str(path))
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["説明", "計画", "改定", "担当課", "分類", "取組", "指標", "評価", "選択肢"]
    assert workbook["選択肢"].sheet_state == "hidden"
    kpis = workbook["指標"]
    headers = [cell.value for cell in kpis[1]]
    assert headers[:5] == ["取組キー", "分類番号", "指標名", "単位", "種類"]
    assert "目標（令和5年度）" in headers and "実績（令和6年度）" in headers
    kinds = [v for v in kpis.data_validations.dataValidation if v.formula1 == '"数値,定性,目標未設定"']
    assert [str(v.sqref) for v in kinds] == ["E2:E2000"]
    measures = workbook["取組"]
    row = next(r for r in measures.iter_rows(values_only=True) if r[0] == "1-(1)-①")
    assert row[:5] == ("1-(1)-①", "1-(1)-①", "マイナンバーカードの普及促進", "1/(1)", "市民保険課")


def test_a_blank_template_carries_the_municipality_and_the_period(tmp_path):
    municipality = Municipality.objects.create(code="221309", name="浜松市", prefecture="静岡県", slug="hamamatsu")
    workbook = template_workbook(municipality, start_fy=2025, end_fy=2029)
    plan = {row[0]: row[1] for row in workbook["計画"].iter_rows(values_only=True) if row[0]}
    assert (plan["団体コード"], plan["団体名"], plan["計画期間（開始年度）"], plan["計画期間（終了年度）"]) == (
        "221309",
        "浜松市",
        "令和7年度",
        "令和11年度",
    )
    headers = [cell.value for cell in workbook["指標"][1]]
    assert headers[-2:] == ["目標（令和11年度）", "実績（令和11年度）"]
    assert workbook["取組"].max_row == 1 and workbook["指標"].max_row == 1


@pytest.mark.parametrize(
    "header, expected",
    [
        ("目標（令和6年度）", ("target", 2024)),
        ("目標（2024年度）", ("target", 2024)),
        ("実績（令和元年度）", ("actual", 2019)),
        ("実績(R6)", ("actual", 2024)),
        ("目標（平成30年度）", ("target", 2018)),
        ("スケジュール（２０２５年度）", ("schedule", 2025)),
        ("目標", None),
    ],
)
def test_year_headers_in_wareki_and_western_years(header, expected):
    assert parse_year_header(header) == expected


@pytest.mark.parametrize(
    "text, fiscal_year", [("令和6年度", 2024), ("R6", 2024), ("2024", 2024), ("２０２４年度", 2024), ("令和元年", 2019)]
)
def test_fiscal_years_as_staff_write_them(text, fiscal_year):
    assert parse_fy(text) == fiscal_year


@pytest.mark.parametrize(
    "text, unit, expected",
    [
        ("８５％", "％", (85, True)),
        ("1,234件", "件", (1234, True)),
        ("１回", "年／回", (1, True)),
        ("－", "件", (None, True)),
        ("８５％？", "％", (None, False)),
        ("令和5年度末までに33箇所設置済み", "箇所", (None, False)),
    ],
)
def test_printed_values_give_numbers_only_with_their_unit(text, unit, expected):
    value, ok = read_number(text, unit)
    assert (None if value is None else int(value), ok) == expected


def small_workbook(**changes) -> bytes:
    """A two-measure plan as a new municipality would type it (full-width digits, wareki headers)."""
    workbook = Workbook()
    sheets = {}
    for index, name in enumerate(("計画", "分類", "取組", "指標", "評価")):
        sheets[name] = workbook.active if index == 0 else workbook.create_sheet(name)
    sheets["計画"].title = "計画"
    rows = {
        "計画": [
            ["項目", "値"],
            ["団体コード", "０５２０２７"],
            ["計画のスラッグ", "dx-plan-2025"],
            ["計画名", "能代市ＤＸ推進計画（第２期）"],
            ["計画期間（開始年度）", "令和7年度"],
            ["計画期間（終了年度）", "R9"],
        ],
        "分類": [
            ["分類番号", "名称", "階層名"],
            ["1", "市民サービスのＤＸ", "施策の柱"],
            ["1/(1)", "手続のオンライン化", "施策"],
        ],
        "取組": [
            ["取組キー", "取組名", "分類", "担当課", "SDGs", "スケジュール（令和7年度）", "スケジュール（2026年度）"],
            ["1-1", "電子申請の拡充", "1/(1)", "地域情報課", "９、１１", "対象手続の拡大", "［継続］"],
            ["1-1", None, None, None, None, "研修の実施", None],
            ["1-2", "窓口のキャッシュレス化", "1", "会計課\n市民保険課", None, None, "導入"],
        ],
        "指標": [
            ["取組キー", "指標名", "単位", "種類", "目標（令和7年度）", "実績（令和7年度）", "目標（2026年度）"],
            ["1-1", "電子申請できる手続の数", "件", "数値", "１２０件", "１３５件", "１５０"],
            ["1-2", "キャッシュレス決済の導入", None, "定性", "導入", "一部導入", None],
        ],
        "評価": [
            ["取組キー", "指標名", "年度", "評価", "評価の理由"],
            ["1-2", None, "令和7年度", "↗", "予定より多くの窓口で導入"],
        ],
    }
    for name, changed in changes.items():
        rows[name] = changed
    for name, sheet_rows in rows.items():
        for row in sheet_rows:
            sheets[name].append(row)
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def test_a_workbook_typed_by_hand_becomes_the_document():
    reading = read_plan_workbook(small_workbook())
    assert reading.problems == []
    document = reading.document
    assert document["municipality"] == {
        "code": "052027",
        "name": "能代市",
        "name_en": "",
        "prefecture": "秋田県",
        "slug": "noshiro",
    }
    assert document["plan"]["period"] == {"start_fy": 2025, "end_fy": 2027}
    assert document["plan"]["status"] == "draft"
    first, second = document["measures"]
    assert first["sdgs"] == [9, 11] and second["departments"] == ["会計課", "市民保険課"]
    assert first["schedule"] == [
        {"row": 0, "fy": 2025, "text": "対象手続の拡大", "continues": False, "milestone": False},
        {"row": 0, "fy": 2026, "text": "", "continues": True, "milestone": False},
        {"row": 1, "fy": 2025, "text": "研修の実施", "continues": False, "milestone": False},
    ]
    assert first["kpis"][0]["values"] == [
        {"fy": 2025, "target": {"text": "１２０件", "value": 120}, "actual": {"text": "１３５件", "value": 135}},
        {"fy": 2026, "target": {"text": "１５０", "value": 150}},
    ]
    assert second["marks"] == [{"fy": 2025, "mark": "exceeded", "override_reason": "予定より多くの窓口で導入"}]
    plan = import_plan(document).plan
    assert plan.status == Plan.Status.DRAFT
    assert plan.measures.get(key="1-1").kpis.get().values.get(fiscal_year=2025).computed == "exceeded"
    mark = plan.measures.get(key="1-2").marks.get(fiscal_year=2025)
    assert (mark.override, mark.override_reason) == ("exceeded", "予定より多くの窓口で導入")


def test_a_plan_with_its_own_scheme_round_trips_with_its_published_grades(tmp_path):
    document = copy.deepcopy(TEST_PLAN)
    document["measures"][0]["kpis"][1]["values"][0].update(mark="c", override_reason="公表資料では C")
    # The synthetic テスト市 is in no official list: registered first, as add_municipality would.
    Municipality.objects.create(code="990001", name="テスト市", prefecture="テスト県", slug="test-city")
    path = tmp_path / "scheme.xlsx"
    with transaction.atomic():
        plan = import_plan(document).plan
        expected = export_plan(plan)
        plan_workbook(plan).save(path)
        transaction.set_rollback(True)
    workbook = load_workbook(path)
    scheme = [row for row in workbook["計画"].iter_rows(values_only=True) if row[1] in ("a", "b", "c", "d")]
    assert scheme[0][:5] == ("段階", "a", "A", "目標より進んでいる", 1.1)
    assert scheme[-1][:4] == ("評価できない", "d", "D", "評価できない")
    marks = [row for row in workbook["評価"].iter_rows(values_only=True) if row[4]]
    assert marks[1:] == [
        ("1-1", None, "オンライン申請件数", "令和5年度", "C", "公表資料では C", None, None, None, None)
    ]
    call_command("import_plan", str(path), stdout=io.StringIO())
    assert export_plan(Plan.objects.get(slug="test-plan")) == expected
