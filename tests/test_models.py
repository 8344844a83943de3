"""Database constraints and settings guards."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kpis.models import Indicator, IndicatorValue
from kpis.services import confirm_kpi_mark
from kpis.summary import plan_summary
from measures.models import MeasureMark
from plans import fiscal
from plans.models import Municipality, Plan

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_one_value_row_per_kpi_and_fiscal_year(mini_plan):
    indicator = Indicator.objects.get(name="出張申請窓口の開催回数")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(indicator=indicator, fiscal_year=2023)


def test_a_parsed_value_needs_its_printed_text(mini_plan):
    indicator = Indicator.objects.get(name="出張申請窓口の開催回数")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(indicator=indicator, fiscal_year=2025, target_value=5)


def test_an_override_needs_a_reason(mini_plan):
    mark = MeasureMark.objects.get(measure__key="1-(1)-①", fiscal_year=2023)
    mark.override = "achieved"
    with pytest.raises(IntegrityError), transaction.atomic():
        mark.save()


def test_an_indicator_belongs_to_a_measure_or_a_category_not_both(mini_plan):
    indicator = Indicator.objects.get(name="出張申請窓口の開催回数")
    indicator.category = mini_plan.categories.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        indicator.save()


def test_plan_period_must_be_ordered(db):
    municipality = Municipality.objects.create(code="052027", name="能代市", prefecture="秋田県", slug="noshiro")
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(municipality=municipality, slug="x", title="x", period_start_fy=2025, period_end_fy=2023)


def test_plan_accepts_values_in_its_period_and_baseline_year(mini_plan):
    assert [fy for fy in range(2020, 2028) if mini_plan.accepts_fiscal_year(fy)] == [2022, 2023, 2024, 2025]


def test_wareki_labels():
    assert fiscal.label(2024) == "令和6年度 (2024)"
    assert fiscal.wareki(2019) == "令和元年度"
    assert fiscal.wareki(2018) == "平成30年度"


def test_summary_runs_in_three_queries_whatever_the_plan_size(noshiro):
    with CaptureQueriesContext(connection) as queries:
        rows = plan_summary(noshiro)
    assert len(queries) == 3
    assert len(rows) == 3 * 4 + 4


def test_confirming_a_qualitative_mark_records_who_and_why(mini_plan):
    user = User.objects.create_user("dept-a", password="a-long-password-for-tests")
    value = IndicatorValue.objects.get(indicator__name="手法の検討", fiscal_year=2024)
    assert value.computed == "achieved"
    confirm_kpi_mark(value=value, mark="not_achieved", user=user, reason="検討は途中で中断した")
    value.refresh_from_db()
    assert (value.mark, value.override_reason, value.confirmed_by) == ("not_achieved", "検討は途中で中断した", user)
    with pytest.raises(ValueError, match="a reason is required"):
        confirm_kpi_mark(value=value, mark="achieved", user=user, reason=" ")


def run_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    result = run_check({"DJANGO_ENV": "production", "SECRET_KEY": "", "ALLOWED_HOSTS": "example.jp"})
    assert result.returncode != 0
    assert "DJANGO_ENV=production needs a real SECRET_KEY" in result.stderr


def test_production_turns_on_secure_settings():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.LANGUAGE_CODE, "
        "s.TIME_ZONE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dxportal.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "example.jp",
        },
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["False", "True", "True", "True", "ja", "Asia/Tokyo"], result.stderr
