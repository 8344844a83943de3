"""No public page stays stale after a write, whatever path the write takes.

Each test reads a public page anonymously (the page cache keeps it, PUBLIC_CACHE_SECONDS is on in the
tests), writes through one path (an admin form, the entry screen, a spreadsheet import, a plan import,
the workflow), and reads the page again: the change must show. The writes commit as in production
(``django_capture_on_commit_callbacks``): the generations move when the transaction commits.
"""

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from kpis import workflow
from kpis.entry import ActualEntry, save_entries
from kpis.interchange.importer import import_plan
from kpis.models import IndicatorValue
from kpis.sheets.actuals import import_actuals
from kpis.sheets.template import build_actuals_template
from measures.models import Measure, SdgGoal
from plans.models import Department, Plan, PlanRevision
from tests.personas import kpi, roles_document

pytestmark = pytest.mark.django_db

KEY = "2-(1)-①"  # 要望活動, owned by 企画部; its KPI 要望書の提出件数 has targets ２件, ２件, ３件
KPI = "要望書の提出件数"
PUBLISHED_FY = 2024  # the roles plan's years up to 2024 are published, 2025 is open


def plan_page(plan) -> str:
    return reverse("plan", kwargs={"municipality": plan.municipality.slug, "plan": plan.slug})


def measure_page(plan, key=KEY) -> str:
    return reverse("measure", kwargs={"municipality": plan.municipality.slug, "plan": plan.slug, "key": key})


def body(client, page) -> str:
    response = client.get(page)
    assert response.status_code == 200, page
    return response.content.decode()


def cached(client, page) -> str:
    """Read the page into the page cache; check that it is served from there (no query)."""
    body(client, page)
    with CaptureQueriesContext(connection) as queries:
        text = body(client, page)
    assert len(queries) == 0, page
    return text


def staff_client(user) -> Client:
    staff = Client()
    staff.force_login(user)
    return staff


def form_data(response) -> dict:
    """The POST data of an admin add/change page as loaded: its form, every inline form, the management forms."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
    return data


def admin_change(staff, obj, **changes):
    """Post the admin change form of obj with these fields changed (prefixed names for inline fields)."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = {**form_data(staff.get(url)), **changes}
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


@pytest.fixture
def hq(hq_x):
    return staff_client(hq_x)


# The admin


def test_a_measure_renamed_in_the_admin_shows_on_its_page_and_the_plan_page(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    assert "国への要望活動" not in cached(client, measure_page(roles_plan)) + cached(client, plan_page(roles_plan))
    measure = Measure.objects.get(plan=roles_plan, key=KEY)
    with django_capture_on_commit_callbacks(execute=True):
        admin_change(hq, measure, name="国への要望活動")
    assert '<h1><span class="code">2-(1)-①</span> 国への要望活動</h1>' in body(client, measure_page(roles_plan))
    assert "国への要望活動" in body(client, plan_page(roles_plan))


def test_a_kpi_target_changed_in_the_admin_shows_on_the_measure_page(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    assert "5件" not in cached(client, measure_page(roles_plan))
    value = IndicatorValue.objects.get(indicator=kpi(roles_plan, KPI), fiscal_year=PUBLISHED_FY)
    with django_capture_on_commit_callbacks(execute=True):
        admin_change(hq, value, target_text="５件", target_value="5")
    assert "<td>5件</td>" in body(client, measure_page(roles_plan))


def test_a_plan_retitled_in_the_admin_shows_on_the_plan_page_and_the_home_page(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    assert "改訂されたテスト計画" not in cached(client, plan_page(roles_plan)) + cached(client, "/")
    with django_capture_on_commit_callbacks(execute=True):
        admin_change(hq, roles_plan, title="改訂されたテスト計画")
    assert "<h1>改訂されたテスト計画</h1>" in body(client, plan_page(roles_plan))
    assert "改訂されたテスト計画" in body(client, "/")


def test_a_department_renamed_in_the_admin_shows_on_the_measure_page(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    assert "企画政策部" not in cached(client, measure_page(roles_plan))
    department = Department.objects.get(municipality=roles_plan.municipality, name="企画部")
    with django_capture_on_commit_callbacks(execute=True):
        admin_change(hq, department, name="企画政策部")
    assert ">企画政策部</a>" in body(client, measure_page(roles_plan))


def test_a_revision_changed_in_an_admin_inline_shows_in_the_plan_data(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    json_page = reverse("plan-json", kwargs={"municipality": "noshiro", "plan": roles_plan.slug})
    assert "策定（市長決裁）" not in cached(client, json_page)
    revision = PlanRevision.objects.get(plan=roles_plan)
    with django_capture_on_commit_callbacks(execute=True):
        admin_change(hq, roles_plan, **{"revisions-0-summary": "策定（市長決裁）"})
    revision.refresh_from_db()
    assert revision.summary == "策定（市長決裁）"
    assert [r["summary"] for r in client.get(json_page).json()["revisions"]] == ["策定（市長決裁）"]


def test_an_sdg_renamed_in_the_admin_shows_on_every_municipalitys_pages(
    client, roles_plan, superuser, django_capture_on_commit_callbacks
):
    assert "人や国の不平等をなくす" not in cached(client, plan_page(roles_plan))
    with django_capture_on_commit_callbacks(execute=True):
        admin_change(staff_client(superuser), SdgGoal.objects.get(number=10), name="人や国の不平等をなくす")
    assert '<option value="10">10. 人や国の不平等をなくす</option>' in body(client, plan_page(roles_plan))


def test_a_measure_deleted_in_the_admin_leaves_the_plan_page(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    assert "要望活動" in cached(client, plan_page(roles_plan))
    measure = Measure.objects.get(plan=roles_plan, key=KEY)
    with django_capture_on_commit_callbacks(execute=True):
        response = hq.post(reverse("admin:measures_measure_delete", args=[measure.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert "要望活動" not in body(client, plan_page(roles_plan))
    assert client.get(measure_page(roles_plan)).status_code == 404


def test_measures_deleted_by_the_admins_bulk_action_leave_the_plan_page(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    assert "要望活動" in cached(client, plan_page(roles_plan))
    measure = Measure.objects.get(plan=roles_plan, key=KEY)
    with django_capture_on_commit_callbacks(execute=True):
        response = hq.post(
            reverse("admin:measures_measure_changelist"),
            {"action": "delete_selected", "_selected_action": [measure.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert "要望活動" not in body(client, plan_page(roles_plan))


# The staff screens and imports


def test_an_actual_saved_on_the_entry_screen_shows_on_the_measure_page(
    client, roles_plan, hq, django_capture_on_commit_callbacks
):
    assert "7件" not in cached(client, measure_page(roles_plan))
    key = kpi(roles_plan, KPI).pk
    entry = f"{reverse('admin:kpis_entry')}?plan={roles_plan.pk}&fy={PUBLISHED_FY}"
    with django_capture_on_commit_callbacks(execute=True):
        response = hq.post(entry, {f"actual-{key}": "７件", f"note-{key}": "", f"url-{key}": ""})
    assert response.status_code == 302
    assert "<td>7件</td>" in body(client, measure_page(roles_plan))


def test_an_actual_imported_from_a_spreadsheet_shows_on_the_measure_page(
    client, roles_plan, hq_x, django_capture_on_commit_callbacks
):
    assert "6件" not in cached(client, measure_page(roles_plan))
    stream = io.BytesIO()
    build_actuals_template(roles_plan, PUBLISHED_FY, stream, user=hq_x)
    workbook = load_workbook(io.BytesIO(stream.getvalue()))
    sheet = workbook["実績入力"]
    row = next(row[0].row for row in sheet.iter_rows(min_row=4) if row[3].value == KPI)
    sheet[f"F{row}"] = "６件"
    filled = io.BytesIO()
    workbook.save(filled)
    with django_capture_on_commit_callbacks(execute=True):
        result = import_actuals(data=filled.getvalue(), fiscal_year=PUBLISHED_FY, user=hq_x, filename="実績.xlsx")
    assert result.errors == []
    assert "<td>6件</td>" in body(client, measure_page(roles_plan))


def test_a_plan_imported_again_shows_its_new_measure_name(
    client, roles_plan, mini_document, django_capture_on_commit_callbacks
):
    assert "国への要望活動" not in cached(client, measure_page(roles_plan))
    document = roles_document(mini_document)
    document["measures"][1]["name"] = "国への要望活動"
    with django_capture_on_commit_callbacks(execute=True):
        import_plan(document)
    assert "国への要望活動" in body(client, measure_page(roles_plan))


# The workflow


def test_publishing_a_year_shows_its_actuals(client, roles_plan, staff_b, hq_x, django_capture_on_commit_callbacks):
    indicator = kpi(roles_plan, KPI)
    with django_capture_on_commit_callbacks(execute=True):
        save_entries(
            staff_b, roles_plan, 2025, [ActualEntry(indicator_id=indicator.pk, fiscal_year=2025, actual_text="８件")]
        )
    assert "8件" not in cached(client, measure_page(roles_plan))  # the open year's actual is not public
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_year(hq_x, roles_plan, 2025)
    assert "<td>8件</td>" in body(client, measure_page(roles_plan))


def test_locking_a_year_renders_the_municipalitys_pages_again(
    client, roles_plan, hq_x, django_capture_on_commit_callbacks
):
    # A lock shows nothing new on today's pages (a locked year reads like a published one), so a title
    # changed behind the cache's back tells whether the lock rendered the pages again.
    assert "確定後の題名" not in cached(client, plan_page(roles_plan))
    Plan.objects.filter(pk=roles_plan.pk).update(title="確定後の題名")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.lock_year(hq_x, roles_plan, PUBLISHED_FY)
    assert "<h1>確定後の題名</h1>" in body(client, plan_page(roles_plan))


def test_a_correction_of_a_locked_year_shows_the_new_actual_and_the_correction(
    client, roles_plan, hq_x, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.lock_year(hq_x, roles_plan, PUBLISHED_FY)
    assert "9件" not in cached(client, measure_page(roles_plan))
    value = IndicatorValue.objects.get(indicator=kpi(roles_plan, KPI), fiscal_year=PUBLISHED_FY)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.correct_locked_value(hq_x, value, "９件", "集計漏れ")
    page = body(client, measure_page(roles_plan))
    assert "<td>9件</td>" in page
    assert "<strong>訂正</strong>" in page
