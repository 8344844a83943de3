"""Tests written for the mutations of issue 19 that the rest of the suite let through (bench/mutations.py).

Each test names the mutation it catches; `make mutations` applies the mutation and runs these files.
"""

from django.urls import reverse

from kpis.access import can_update_value
from kpis.interchange.importer import import_plan
from kpis.models import IndicatorValue
from kpis.services import confirm_kpi_mark
from measures.models import MeasureMark
from tests.personas import make_user
from tests.test_locks import lock, value_of

OUTREACH = "出張申請窓口の開催回数"  # the mini plan's numeric KPI of 1-(1)-①: FY2023 target 10回, actual 0回


def test_a_kpi_override_decides_the_measure_mark_it_feeds(mini_plan):
    """measure-marks-ignore-overrides: the measure's computed mark is combined from its KPIs' final
    marks, so an override of the only KPI evaluated that year becomes the measure's mark, its reason
    the explanation."""
    value = IndicatorValue.objects.get(indicator__plan=mini_plan, indicator__name=OUTREACH, fiscal_year=2023)
    measure_mark = MeasureMark.objects.get(measure__plan=mini_plan, measure__code="1-(1)-①", fiscal_year=2023)
    assert (value.computed, measure_mark.computed) == ("not_achieved", "not_achieved")

    reason = "窓口に代えて全戸訪問で申請を受け付けたため"
    confirm_kpi_mark(value=value, mark="achieved", user=make_user("hq"), reason=reason)

    value.refresh_from_db()
    measure_mark.refresh_from_db()
    assert (value.computed, value.override) == ("not_achieved", "achieved")
    assert (measure_mark.computed, measure_mark.explanation) == ("achieved", reason)


def test_the_comparison_index_counts_no_measure_of_a_draft_plan(client, mini_plan, mini_document):
    """compare-counts-drafts: a draft plan of a municipality with a published one is counted nowhere,
    though its measures carry the same priority areas."""
    draft = mini_document
    draft["plan"].update(slug="dx-plan-2026", title="次期ＤＸ推進計画（案）", status="draft")
    import_plan(draft)

    body = client.get(reverse("compare-index")).content.decode()

    # One column (能代市) and the total: the published plan's one measure, not the draft's too.
    assert (
        '<th scope="row"><a href="/compare/my-number-card/">マイナンバーカードの普及促進</a></th>'
        '<td class="num">1</td><td class="num">1</td></tr>'
    ) in body
    body = client.get(reverse("compare", args=["my-number-card"])).content.decode()
    assert "公開中の計画で、この重点取組事項に関連付けられた取組: 1 件" in body
    assert "次期ＤＸ推進計画" not in body


def test_a_value_of_a_locked_year_opens_read_only_in_the_admin(client, roles_plan, hq_x):
    """update-value-in-locked-year: HQ may not change a locked year's value (only correct it, 訂正), so its
    change page has no field to type in and a post is refused; the same KPI's published year stays open."""
    lock(roles_plan, 2023, hq_x)
    locked, published = value_of(roles_plan, OUTREACH, 2023), value_of(roles_plan, OUTREACH, 2024)
    assert (can_update_value(hq_x, locked), can_update_value(hq_x, published)) == (False, True)

    client.force_login(hq_x)
    url = reverse("admin:kpis_indicatorvalue_change", args=[locked.pk])
    page = client.get(url).content.decode()
    assert 'name="actual_text"' not in page
    assert client.post(url, {"actual_text": "5回"}).status_code == 403
    locked.refresh_from_db()
    assert locked.actual_text == "０回"
    page = client.get(reverse("admin:kpis_indicatorvalue_change", args=[published.pk])).content.decode()
    assert 'name="actual_text"' in page
