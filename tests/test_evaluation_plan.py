"""A plan with a scheme of its own (A–D per target, bands, cumulative and qualitative targets), end to end.

TEST_PLAN is synthetic: an invented municipality (990001 テスト市, prefecture テスト県) and invented
numbers, chosen to hit the rules' edges. It is not a seed and not a real municipality's plan; the real
fifth fixture the issue asks for (a municipality that grades per target from its public page) is still
missing.
"""

import copy
import json
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from dxportal.staff.admin.plans import PlanAdmin
from kpis.interchange.exporter import export_plan
from kpis.interchange.importer import import_plan
from kpis.interchange.validation import PlanDocumentError
from kpis.models import IndicatorValue
from kpis.services import recompute_plan_marks
from kpis.summary import plan_summary
from measures.models import MeasureMark
from plans.models import Plan

pytestmark = pytest.mark.django_db

A_TO_D = {
    "unit": "kpi",
    "levels": [
        {"code": "a", "symbol": "A", "label": "目標より進んでいる", "min_ratio": 1.1},
        {"code": "b", "symbol": "B", "label": "目標どおり", "min_ratio": 0.95},
        {"code": "c", "symbol": "C", "label": "目標より遅れている"},
    ],
    "not_evaluable": {"code": "d", "symbol": "D", "label": "評価できない"},
    "cumulative_interim": "pro_rata",
}


def value(fy, target=None, actual=None):
    def cell(item):
        if item is None:
            return None
        text, number = item if isinstance(item, tuple) else (item, None)
        return {"text": text, "value": number}

    return {"fy": fy, "target": cell(target), "actual": cell(actual)}


TEST_PLAN = {
    "format": "dxportal.plan/1",
    "municipality": {"code": "990001", "name": "テスト市", "prefecture": "テスト県", "slug": "test-city"},
    "departments": [{"name": "テスト課", "parent": None}],
    "plan": {
        "slug": "test-plan",
        "title": "テスト計画（合成データ）",
        "status": "published",
        "period": {"start_fy": 2023, "end_fy": 2027},
        "evaluation": A_TO_D,
    },
    "categories": [
        {"label": "1", "name": "テスト方針1", "level_name": "基本方針"},
        {"label": "2", "name": "テスト方針2", "level_name": "基本方針"},
    ],
    "measures": [
        {
            "key": "1-1",
            "name": "テスト施策1-1",
            "category_labels": ["1"],
            "departments": ["テスト課"],
            "kpis": [
                {
                    "name": "研修受講者数（累計）",
                    "unit": "人",
                    "kind": "numeric",
                    "cumulative": True,
                    "values": [
                        value(2023, actual=("10人", 10)),
                        value(2024, actual=("18人", 18)),  # interim 18.75: 0.96 → B
                        value(2025, actual=("30人", 30)),  # interim 37.5: 0.8 → C
                        value(2027, target=("75人(累計)", 75)),
                    ],
                },
                {
                    "name": "オンライン申請件数",
                    "unit": "件",
                    "kind": "numeric",
                    "values": [
                        value(2023, ("100件", 100), ("95件", 95)),  # exactly 0.95 → B
                        value(2024, ("100件", 100), ("110件", 110)),  # exactly 1.10 → A
                        value(2025, ("100件", 100), "集計中"),  # → D
                    ],
                },
            ],
        },
        {
            "key": "1-2",
            "name": "テスト施策1-2",
            "category_labels": ["1"],
            "kpis": [
                {
                    "name": "窓口の待ち時間",
                    "unit": "分",
                    "kind": "numeric",
                    "direction": "lower",
                    "values": [
                        value(2023, ("20分", 20), ("18分", 18)),  # 20 ÷ 18 = 1.11 → A
                        value(2024, ("20分", 20), ("21分", 21)),  # 0.952 → B
                        value(2025, "－", "－"),  # → D
                    ],
                }
            ],
        },
        {
            "key": "2-1",
            "name": "テスト施策2-1",
            "category_labels": ["2"],
            "kpis": [
                {
                    "name": "マニュアルの運用、見直し",
                    "kind": "qualitative",
                    "values": [
                        value(2023, "マニュアルの運用、見直し", "運用した。見直しを行った"),  # → B
                        value(2024, "マニュアルの運用、見直し", "仕様を検討した"),  # needs confirmation
                        value(2025, "マニュアルの運用、見直し", "未実施"),  # → C
                    ],
                },
                {
                    "name": "電子決済対応施設数（累計）",
                    "unit": "施設",
                    "kind": "numeric",
                    "cumulative": True,
                    "baseline": {"text": "10施設（R4）", "value": 10, "fy": 2022},
                    "values": [
                        value(2024, actual=("20施設", 20)),  # interim 10 + 20 × 2 ÷ 4 = 20 → B
                        value(2026, target=("30施設", 30)),
                    ],
                },
            ],
        },
    ],
}

EXPECTED_MARKS = {
    ("研修受講者数（累計）", 2023): "a",  # interim 0 in the plan's first year: any progress is ahead
    ("研修受講者数（累計）", 2024): "b",
    ("研修受講者数（累計）", 2025): "c",
    ("研修受講者数（累計）", 2027): "",
    ("オンライン申請件数", 2023): "b",
    ("オンライン申請件数", 2024): "a",
    ("オンライン申請件数", 2025): "d",
    ("窓口の待ち時間", 2023): "a",
    ("窓口の待ち時間", 2024): "b",
    ("窓口の待ち時間", 2025): "d",
    ("マニュアルの運用、見直し", 2023): "b",
    ("マニュアルの運用、見直し", 2024): "",
    ("マニュアルの運用、見直し", 2025): "c",
    ("電子決済対応施設数（累計）", 2024): "b",
    ("電子決済対応施設数（累計）", 2026): "",
}


@pytest.fixture
def document():
    return copy.deepcopy(TEST_PLAN)


@pytest.fixture
def plan(document):
    return import_plan(document).plan


def marks(plan):
    return {
        (v.indicator.name, v.fiscal_year): v.mark
        for v in IndicatorValue.objects.filter(indicator__plan=plan).select_related("indicator")
    }


def explanation(plan, name, fy):
    return IndicatorValue.objects.get(indicator__plan=plan, indicator__name=name, fiscal_year=fy).explanation


def test_every_kpi_year_is_graded_by_the_plans_scheme(plan):
    assert marks(plan) == EXPECTED_MARKS
    assert not IndicatorValue.objects.filter(indicator__plan=plan).exclude(override="").exists()


def test_explanations_name_the_ratio_the_band_and_the_derived_target(plan):
    assert explanation(plan, "オンライン申請件数", 2023) == "実績 95件 が目標 100件 の 95.0%: B 目標どおり（95.0%以上）"
    assert (
        explanation(plan, "オンライン申請件数", 2024)
        == "実績 110件 が目標 100件 の 110.0%: A 目標より進んでいる（110.0%以上）"
    )
    assert explanation(plan, "オンライン申請件数", 2025) == "実績 集計中 が数値でないため評価できない"
    assert explanation(plan, "窓口の待ち時間", 2024) == (
        "目標 20分 ÷ 実績 21分 が 95.2%（小さいほど良い指標）: B 目標どおり（95.0%以上）"
    )
    assert explanation(plan, "窓口の待ち時間", 2025) == "目標が－のため評価できない"
    assert explanation(plan, "研修受講者数（累計）", 2024) == (
        "2027年度の累計目標 75 から按分した中間目標 18.75（導出値）に対し、"
        "実績 18人 が目標 18.75 の 96.0%: B 目標どおり（95.0%以上）"
    )
    assert explanation(plan, "マニュアルの運用、見直し", 2024) == (
        "要確認: 実績「仕様を検討した」から目標「マニュアルの運用、見直し」の達成を判定できない（評価なし）"
    )
    assert explanation(plan, "マニュアルの運用、見直し", 2023) == (
        "実績「運用した。見直しを行った」が目標「マニュアルの運用、見直し」の完了を示す（要確認）"
    )


def test_measures_get_no_marks_when_the_unit_is_the_kpi(plan):
    assert not MeasureMark.objects.filter(measure__plan=plan).exclude(computed="").exists()


def test_the_legend_is_the_schemes(plan):
    assert [(e["code"], e["symbol"], e["label"]) for e in plan.legend] == [
        ("a", "A", "目標より進んでいる"),
        ("b", "B", "目標どおり"),
        ("c", "C", "目標より遅れている"),
        ("d", "D", "評価できない"),
    ]


def counts(plan, category_label=None, fy=2023):
    rows = plan_summary(plan, [fy])
    return next(r for r in rows if (r.category.label if r.category else None) == category_label and r.fiscal_year == fy)


def test_summary_counts_kpis_per_level_with_percentages(plan):
    row = counts(plan, None, 2023)
    assert row.counts == {"a": 2, "b": 2, "c": 0, "d": 0}
    assert row.percent == {"a": Decimal("50.0"), "b": Decimal("50.0"), "c": Decimal("0.0"), "d": Decimal("0.0")}
    row = counts(plan, None, 2025)
    # the unconfirmed qualitative KPI of 2024 has no mark; 2025: C, C, D, D
    assert (row.counts, row.total) == ({"a": 0, "b": 0, "c": 2, "d": 2}, 4)
    assert counts(plan, "1", 2024).counts == {"a": 1, "b": 2, "c": 0, "d": 0}
    assert counts(plan, "2", 2024).counts == {"a": 0, "b": 1, "c": 0, "d": 0}


def test_counting_per_kpi_and_per_measure_differ(plan):
    per_kpi = counts(plan, None, 2024)
    assert (per_kpi.counts, per_kpi.total) == ({"a": 1, "b": 3, "c": 0, "d": 0}, 4)
    plan.evaluation = {**A_TO_D, "unit": "measure", "combine": "worst"}
    plan.save(update_fields=["evaluation"])
    recompute_plan_marks(plan)
    per_measure = counts(plan, None, 2024)
    # 1-1: B and A → worst B; 1-2: B; 2-1: (no mark) and B → B
    assert (per_measure.counts, per_measure.total) == ({"a": 0, "b": 3, "c": 0, "d": 0}, 3)


def test_export_carries_the_scheme_marks_and_percentages_and_round_trips(plan):
    exported = export_plan(plan)
    assert exported["plan"]["evaluation"] == A_TO_D
    kpi = exported["measures"][0]["kpis"][1]
    assert kpi["values"][0] == {
        "fy": 2023,
        "target": {"text": "100件", "value": 100},
        "actual": {"text": "95件", "value": 95},
        "mark": "b",
        "computed": "b",
        "override_reason": "",
        "achievement_text": "",
        "note": "",
        "explanation": "実績 95件 が目標 100件 の 95.0%: B 目標どおり（95.0%以上）",
    }
    whole_2023 = next(r for r in exported["summary"] if r["category"] is None and r["fy"] == 2023)
    assert whole_2023 == {
        "category": None,
        "fy": 2023,
        "counts": {"a": 2, "b": 2, "c": 0, "d": 0, "total": 4},
        "percent": {"a": 50.0, "b": 50.0, "c": 0.0, "d": 0.0},
    }
    result = import_plan(json.loads(json.dumps(exported)))
    assert not result.changed, result.changes[:5]
    assert export_plan(plan) == exported


def test_a_published_grade_that_differs_becomes_an_override_with_its_reason(document):
    document["measures"][0]["kpis"][1]["values"][0].update(mark="c", override_reason="公表資料では C")
    plan = import_plan(document).plan
    found = IndicatorValue.objects.get(indicator__plan=plan, indicator__name="オンライン申請件数", fiscal_year=2023)
    assert (found.computed, found.override, found.mark, found.override_reason) == ("b", "c", "c", "公表資料では C")
    exported = export_plan(plan)["measures"][0]["kpis"][1]["values"][0]
    assert (exported["mark"], exported["computed"], exported["override_reason"]) == ("c", "b", "公表資料では C")


def rejected(document) -> list[tuple[str, str]]:
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(document)
    assert not Plan.objects.filter(slug="test-plan").exists()
    return raised.value.errors


def test_an_unknown_mark_code_is_rejected_naming_the_legends_codes(document):
    document["measures"][0]["kpis"][1]["values"][0]["mark"] = "exceeded"
    assert rejected(document) == [
        ("$.measures[0].kpis[1].values[0].mark", "'exceeded' は凡例にない評価です（使える値: a, b, c, d）")
    ]


def test_a_default_plan_rejects_a_code_of_another_legend(db, mini_document):
    mini_document["measures"][0]["marks"] = [{"fy": 2023, "mark": "b"}]
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(mini_document)
    assert raised.value.errors == [
        (
            "$.measures[0].marks[0].mark",
            "'b' は凡例にない評価です（使える値: exceeded, achieved, not_achieved, not_applicable）",
        )
    ]


def test_measure_marks_are_refused_when_the_unit_is_the_kpi(document):
    document["measures"][1]["marks"] = [{"fy": 2023, "mark": "a"}]
    assert rejected(document) == [
        (
            "$.measures[1].marks",
            '評価の単位が "kpi" の計画では取組に評価を付けません（指標の values[].mark に書いてください）',
        )
    ]


def test_an_invalid_scheme_is_rejected_in_japanese_naming_the_key(document):
    document["plan"]["evaluation"]["levels"][0]["code"] = "A"
    document["plan"]["evaluation"]["cumulative_interim"] = "linear"
    assert rejected(document) == [
        (
            "$.plan.evaluation.cumulative_interim",
            '"linear" は使えません（使える値: "pro_rata"、"final"、"none"）',
        ),
        (
            "$.plan.evaluation.levels[0].code",
            '"A" は使えません（code は英小文字で始まる 16 文字までの英小文字・数字・_）',
        ),
    ]


def test_a_duplicate_legend_code_is_rejected(db, mini_document):
    mini_document["plan"]["mark_legend"] = [
        {"code": "exceeded", "symbol": "◎", "label": "上回った"},
        {"code": "exceeded", "symbol": "○", "label": "達成"},
    ]
    with pytest.raises(PlanDocumentError) as raised:
        import_plan(mini_document)
    assert raised.value.errors == [
        ("$.plan.mark_legend[1].code", '"exceeded" が重複しています（code は段階ごとに別の値）')
    ]


# --- the admin validates the scheme and the legend the same way ---------------------------------


def plan_form(plan, **changes):
    request = RequestFactory().get("/")
    request.user = User.objects.create_superuser("root", "root@example.jp", "a-long-password-for-tests")
    form_class = admin.site._registry[Plan].get_form(request, plan, change=True)
    unbound = form_class(instance=plan)
    data = {name: field.prepare_value(unbound.initial.get(name)) for name, field in unbound.fields.items()}
    data.update({name: json.dumps(value, ensure_ascii=False) for name, value in changes.items()})
    return form_class(data=data, instance=plan)


def test_the_admin_refuses_an_invalid_scheme_with_the_same_messages(plan):
    scheme = copy.deepcopy(A_TO_D)
    scheme["levels"][1]["code"] = "a"
    form = plan_form(plan, evaluation=scheme)
    assert not form.is_valid()
    assert form.errors["evaluation"] == ['evaluation.levels[1].code: "a" が重複しています（code は段階ごとに別の値）']


def test_the_admin_refuses_a_legend_code_that_is_not_a_mark(mini_plan):
    form = plan_form(mini_plan, mark_legend=[{"code": "A", "symbol": "A", "label": "進んでいる"}])
    assert not form.is_valid()
    assert form.errors["mark_legend"] == [
        'mark_legend[0].code: "A" は使えません（使える値: "exceeded"、"achieved"、"not_achieved"、"not_applicable"。'
        "ほかの記号で評価する計画は「評価の方法」を書いてください）"
    ]


def test_the_admin_accepts_a_valid_scheme_and_recomputes_the_marks(mini_plan, rf):
    three = {
        "levels": [
            {"code": "good", "symbol": "◎", "label": "達成", "min_ratio": 1},
            {"code": "fair", "symbol": "○", "label": "概ね達成", "min_ratio": 0.5},
            {"code": "poor", "symbol": "△", "label": "未達成"},
        ],
        "combine": "worst",
    }
    form = plan_form(mini_plan, evaluation=three)
    assert form.is_valid(), form.errors
    request = rf.post("/")
    request.user = User.objects.get(username="root")
    model_admin = PlanAdmin(Plan, admin.site)
    saved = form.save(commit=False)
    saved.save()
    model_admin.save_related(request, form, [], change=True)
    mark = MeasureMark.objects.get(measure__plan=saved, measure__key="1-(1)-①", fiscal_year=2023)
    assert (mark.computed, mark.explanation) == ("poor", "実績 ０回 が目標 １０回 の 0.0%: △ 未達成（50.0%未満）")
