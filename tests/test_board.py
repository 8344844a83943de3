"""HQ's board: a KPI of a measure two 課 share is in both rows, and once in the 合計 row."""

import pytest
from django.urls import reverse

from kpis.interchange.importer import import_plan
from plans.models import HQMembership, Municipality
from tests.personas import make_user, roles_document

pytestmark = pytest.mark.django_db


def test_the_total_row_counts_a_shared_kpi_once(client, mini_document):
    document = roles_document(mini_document)
    document["measures"][0]["departments"] = ["地域情報課", "企画部"]
    plan = import_plan(document).plan
    hq = make_user("hq-board")
    HQMembership.objects.create(user=hq, municipality=Municipality.objects.get(code="052027"))
    client.force_login(hq)
    response = client.get(f"{reverse('admin:kpis_board')}?plan={plan.pk}&fy=2024")
    rows = {row.department.name: (row.total, row.entered, row.missing) for row in response.context["rows"]}
    # Measure 1 (both 課) has two KPIs with 2024 actuals; measure 2 (企画部) one KPI without.
    assert rows == {"企画部": (3, 2, 1), "地域情報課": (2, 2, 0)}
    totals = response.context["totals"]
    # Summing the rows would give 5 / 4 / 1.
    assert (totals["total"], totals["entered"], totals["missing"]) == (3, 2, 1)
