"""The staff admin: every changelist and change page works, in a bounded number of queries."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import Indicator, IndicatorValue
from measures.models import Measure, MeasureMark
from plans.models import Category, Department, Municipality, Plan, PlanRevision

pytestmark = pytest.mark.django_db

MODELS = [Municipality, Department, Plan, PlanRevision, Category, Measure, MeasureMark, Indicator, IndicatorValue]


@pytest.fixture
def superuser_client(client):
    user = User.objects.create_superuser("hq-admin", "hq@example.jp", "a-long-password-for-tests")
    client.force_login(user)
    return client


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_admin_lives_under_its_own_prefix(client):
    assert admin_url(Plan, "changelist").startswith("/manage/")
    response = client.get(admin_url(Plan, "changelist"))
    assert response.status_code == 302 and "/manage/login/" in response["Location"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_queries_do_not_grow_with_rows(superuser_client, noshiro, model):
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert len(queries) <= 20, [q["sql"][:120] for q in queries]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_page_renders(superuser_client, noshiro, model):
    obj = model.objects.order_by("pk").first()
    response = superuser_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


def test_measure_change_page_query_count_is_bounded(superuser_client, noshiro):
    measure = Measure.objects.get(plan=noshiro, key="1-(2)-③")
    with CaptureQueriesContext(connection) as queries:
        assert superuser_client.get(admin_url(Measure, "change", measure.pk)).status_code == 200
    assert len(queries) <= 80, len(queries)


def test_editing_an_actual_in_the_admin_recomputes_the_mark(superuser_client, mini_plan):
    value = IndicatorValue.objects.get(indicator__name="出張申請窓口の開催回数", fiscal_year=2023)
    data = {
        "indicator": value.indicator_id,
        "fiscal_year": 2023,
        "target_text": "１０回",
        "target_value": "10",
        "actual_text": "１２回",
        "actual_value": "12",
        "achievement_text": "",
        "note": "",
        "override": "",
        "override_reason": "",
    }
    response = superuser_client.post(admin_url(IndicatorValue, "change", value.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    mark = MeasureMark.objects.get(measure__key="1-(1)-①", fiscal_year=2023)
    assert (mark.computed, mark.explanation) == ("exceeded", "実績 １２回 が目標 １０回 を上回った")


def test_mark_columns_and_filters_speak_the_plans_words_not_codes(superuser_client, noshiro):
    for model in (MeasureMark, IndicatorValue):
        html = superuser_client.get(admin_url(model, "changelist")).content.decode()
        assert '<th scope="col" class="sortable column-computed_mark">' in html
        assert "↘ 目標が未達成" in html  # a column cell and the filter's choice
        assert "?computed=not_achieved" in html  # the filter still filters by the code
        assert ">not_achieved<" not in html
    mark = MeasureMark.objects.filter(measure__plan=noshiro).exclude(computed="").first()
    change = superuser_client.get(admin_url(MeasureMark, "change", mark.pk)).content.decode()
    words = {entry["code"]: f"{entry['symbol']} {entry['label']}" for entry in noshiro.legend}
    assert f'<div class="readonly">{words[mark.computed]}</div>' in change
