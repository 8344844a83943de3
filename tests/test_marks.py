"""The one mark rule (plans.marks): the override when set, else the computed mark, in Python and in SQL."""

import pytest
from django.urls import reverse

from kpis.models import IndicatorValue
from kpis.summary import plan_summary
from measures.models import MeasureMark
from plans.marks import final_mark, final_mark_expression

pytestmark = pytest.mark.django_db

# (override, computed) → the final mark readers see
CASES = [
    ("", "", ""),
    ("", "achieved", "achieved"),
    ("exceeded", "not_achieved", "exceeded"),
    ("not_applicable", "", "not_applicable"),
]


@pytest.mark.parametrize(("override", "computed", "expected"), CASES)
def test_final_mark(override, computed, expected):
    assert final_mark(override, computed) == expected


def test_the_expression_gives_what_the_properties_give(mini_plan):
    measure = mini_plan.measures.get(key="2-(1)-①")  # no marks of its own in the document
    for fy, (override, computed, _) in zip((2023, 2024, 2025, 2026), CASES, strict=True):
        MeasureMark.objects.create(
            measure=measure,
            fiscal_year=fy,
            override=override,
            computed=computed,
            override_reason="理由" * bool(override),
        )
    rows = measure.marks.annotate(final_mark=final_mark_expression()).order_by("fiscal_year")
    assert [(m.fiscal_year, m.final_mark, m.mark) for m in rows] == [
        (2023, "", ""),
        (2024, "achieved", "achieved"),
        (2025, "exceeded", "exceeded"),
        (2026, "not_applicable", "not_applicable"),
    ]
    # Indicator values follow the same rule (the open-data CSV reads them through the expression).
    value = IndicatorValue.objects.get(indicator__name="手法の検討", fiscal_year=2024)
    value.override, value.override_reason = "exceeded", "前倒しで導入"
    value.save()
    annotated = IndicatorValue.objects.annotate(final_mark=final_mark_expression()).get(pk=value.pk)
    assert (annotated.final_mark, annotated.mark) == ("exceeded", "exceeded")


def test_an_override_decides_the_plan_filter_and_the_summary(client, mini_plan):
    mark = MeasureMark.objects.get(measure__key="1-(1)-①", fiscal_year=2023)
    mark.computed, mark.override, mark.override_reason = "achieved", "exceeded", "事業の前倒し"
    mark.save()
    page = reverse("plan", kwargs={"municipality": "noshiro", "plan": "mini"})
    assert "1 件の取組" in client.get(page, {"mark": "exceeded", "fy": 2023}).content.decode()
    assert "0 件の取組" in client.get(page, {"mark": "achieved", "fy": 2023}).content.decode()
    whole_2023 = plan_summary(mini_plan, [2023])[-1]
    assert (whole_2023.counts["exceeded"], whole_2023.counts["achieved"]) == (1, 0)
