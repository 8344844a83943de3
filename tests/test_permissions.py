"""Who may do what, through the real admin URLs: personas × actions × plan data.

Outcomes: "ok" (200 page, or the write succeeded and redirected to the changelist), "denied" (403),
"hidden" (the row is outside the user's scope: the admin answers as if it did not exist, 302 to the
admin index), "login" (anonymous: 302 to the login page).
"""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import access as kpis_access
from kpis.interchange.importer import import_plan
from kpis.management.commands.generate_demo_data import copy_plan
from kpis.models import Indicator, IndicatorValue, PlanYear
from measures.models import Measure
from plans import access
from plans.models import Plan
from tests.personas import kpi, roles_document

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "staff_a", "staff_b", "hq_x", "hq_y", "superuser"]
FY = 2025


@pytest.fixture
def objects(roles_plan):
    """The rows of municipality X that the matrix acts on: all belong to department A."""
    indicator = kpi(roles_plan, "出張申請窓口の開催回数")
    return {
        "plan": roles_plan,
        "measure": Measure.objects.get(plan=roles_plan, key="1-(1)-①"),
        "kpi": indicator,
        "value": IndicatorValue.objects.create(indicator=indicator, fiscal_year=FY),
    }


@pytest.fixture
def as_persona(request, client):
    def login(name):
        if name != "anonymous":
            client.force_login(request.getfixturevalue(name))
        return client

    return login


def url(obj, action):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=[obj.pk])


def outcome(response, obj) -> str:
    if response.status_code == 403:
        return "denied"
    if response.status_code == 200:
        return "ok"
    location = response.get("Location", "")
    if "/login/" in location:
        return "login"
    if location == reverse("admin:index"):
        return "hidden"
    changelist = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
    if location.startswith(changelist):
        return "ok"
    return f"{response.status_code} {location}"


def form_data(response) -> dict:
    """The change form as the browser would post it back unchanged (main form and inline formsets)."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            if field.disabled:
                continue
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            if isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


VIEW = {
    "anonymous": dict(plan="login", measure="login", kpi="login", value="login"),
    "staff_a": dict(plan="ok", measure="ok", kpi="ok", value="ok"),
    "staff_b": dict(plan="ok", measure="hidden", kpi="hidden", value="hidden"),
    "hq_x": dict(plan="ok", measure="ok", kpi="ok", value="ok"),
    "hq_y": dict(plan="hidden", measure="hidden", kpi="hidden", value="hidden"),
    "superuser": dict(plan="ok", measure="ok", kpi="ok", value="ok"),
}
CHANGE = {
    "anonymous": dict(plan="login", measure="login", kpi="login", value="login"),
    "staff_a": dict(plan="denied", measure="denied", kpi="denied", value="ok"),
    # staff hold no change right on definitions, so the admin refuses before looking the row up
    "staff_b": dict(plan="denied", measure="denied", kpi="denied", value="hidden"),
    "hq_x": dict(plan="ok", measure="ok", kpi="ok", value="ok"),
    "hq_y": dict(plan="hidden", measure="hidden", kpi="hidden", value="hidden"),
    "superuser": dict(plan="ok", measure="ok", kpi="ok", value="ok"),
}
DELETE = {  # staff hold no delete right at all, so the admin refuses before looking the row up
    "anonymous": dict(plan="login", measure="login", kpi="login", value="login"),
    "staff_a": dict(plan="denied", measure="denied", kpi="denied", value="denied"),
    "staff_b": dict(plan="denied", measure="denied", kpi="denied", value="denied"),
    "hq_x": dict(plan="ok", measure="ok", kpi="ok", value="ok"),
    "hq_y": dict(plan="hidden", measure="hidden", kpi="hidden", value="hidden"),
    "superuser": dict(plan="ok", measure="ok", kpi="ok", value="ok"),
}
KINDS = ["plan", "measure", "kpi", "value"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", KINDS)
def test_view(as_persona, objects, persona, kind):
    obj = objects[kind]
    assert outcome(as_persona(persona).get(url(obj, "change")), obj) == VIEW[persona][kind]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", KINDS)
def test_change(client, superuser, as_persona, objects, persona, kind):
    obj = objects[kind]
    client.force_login(superuser)
    data = form_data(client.get(url(obj, "change")))
    client.logout()
    if kind == "value":
        data["actual_text"] = "７回"
    else:
        data["name" if kind != "plan" else "title"] = "変更後の名称"
    response = as_persona(persona).post(url(obj, "change"), data)
    result = outcome(response, obj)
    if response.status_code == 200:  # a re-rendered form with errors is not a success
        result = f"form errors: {response.context['adminform'].form.errors} {response.context.get('errors')}"
    assert result == CHANGE[persona][kind]
    obj.refresh_from_db()
    changed = (
        obj.actual_text == "７回"
        if kind == "value"
        else getattr(obj, "title" if kind == "plan" else "name") == "変更後の名称"
    )
    assert changed == (result == "ok")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", KINDS)
def test_delete(as_persona, objects, persona, kind):
    obj = objects[kind]
    response = as_persona(persona).post(url(obj, "delete"), {"post": "yes"})
    assert outcome(response, obj) == DELETE[persona][kind]
    assert type(obj).objects.filter(pk=obj.pk).exists() == (DELETE[persona][kind] != "ok")


YEAR_ACTIONS = {  # publish / lock through HQ's board
    "anonymous": "login",
    "staff_a": "denied",
    "staff_b": "denied",
    "hq_x": "ok",
    "hq_y": "not found",
    "superuser": "ok",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_publish_and_lock_through_the_board(as_persona, objects, persona):
    plan = objects["plan"]
    board = f"{reverse('admin:kpis_board')}?plan={plan.pk}&fy={FY}"
    client = as_persona(persona)
    results = []
    for action, status in (("publish", "published"), ("lock", "locked")):
        response = client.post(board, {"action": action, "confirmed": "1"})  # the publish step asks first (board.py)
        if response.status_code == 404:
            results.append("not found")
        elif response.status_code == 302 and response["Location"].startswith(reverse("admin:kpis_board")):
            state = PlanYear.objects.filter(plan=plan, fiscal_year=FY).values_list("status", flat=True).first()
            results.append("ok" if state == status else f"unchanged ({state})")
        else:
            results.append(outcome(response, plan))
    assert results == [YEAR_ACTIONS[persona]] * 2


PLAN_RIGHTS = {  # can_import, can_export, can_publish, can_lock on plan X
    "anonymous": (False, False, False, False),
    "staff_a": (True, True, False, False),
    "staff_b": (True, True, False, False),
    "hq_x": (True, True, True, True),
    "hq_y": (False, False, False, False),
    "superuser": (True, True, True, True),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_import_export_publish_lock_rights(request, objects, persona):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if persona == "anonymous" else request.getfixturevalue(persona)
    plan = objects["plan"]
    rights = tuple(f(user, plan) for f in (access.can_import, access.can_export, access.can_publish, access.can_lock))
    assert rights == PLAN_RIGHTS[persona]


@pytest.mark.parametrize(
    ("persona", "plans", "values"),
    [
        ("staff_a", ["テスト計画 052027"], 4),  # 2 KPIs of department A: 3 + 1 values (2022–2024)
        ("staff_b", ["テスト計画 052027"], 3),
        ("hq_x", ["テスト計画 052027"], 9),  # also the pillar's 2 values, which belong to no department
        ("hq_y", ["テスト計画 052116"], 9),
        ("superuser", ["テスト計画 052027", "テスト計画 052116"], 18),
    ],
)
def test_querysets_are_scoped(request, roles_plan, other_plan, persona, plans, values):
    user = request.getfixturevalue(persona)
    visible = [f"{p.title} {p.municipality.code}" for p in Plan.objects.visible_to(user).distinct()]
    assert visible == plans
    assert IndicatorValue.objects.visible_to(user).count() == values


def test_changelists_show_only_scoped_rows(client, roles_plan, other_plan, staff_b, hq_y):
    client.force_login(staff_b)
    response = client.get(reverse("admin:kpis_indicator_changelist"))
    assert [i.name for i in response.context["cl"].result_list] == ["要望書の提出件数"]
    client.force_login(hq_y)
    response = client.get(reverse("admin:measures_measure_changelist"))
    assert {m.plan.municipality.code for m in response.context["cl"].result_list} == {"052116"}


def filter_choices(response, title):
    """The labels of the choices of the changelist's list filter with that title (None: not shown)."""
    changelist = response.context["cl"]
    spec = next((spec for spec in changelist.filter_specs if str(spec.title) == title), None)
    return None if spec is None else [str(choice["display"]) for choice in spec.choices(changelist)][1:]


def test_list_filters_offer_only_what_the_user_may_see(client, mini_document, roles_plan, other_plan, hq_y):
    # A draft plan of X: its title must not reach HQ of Y, not even as a filter choice.
    Plan.objects.filter(pk=roles_plan.pk).update(status=Plan.Status.DRAFT, title="非公開の計画")
    second = roles_document(mini_document)
    second["municipality"] = {"code": "052116", "name": "潟上市", "prefecture": "秋田県", "slug": "katagami"}
    second["plan"].update({"slug": "second", "title": "第二の計画"})
    import_plan(second)
    client.force_login(hq_y)
    for changelist in ("admin:measures_measure_changelist", "admin:measures_measuremark_changelist"):
        response = client.get(reverse(changelist))
        assert filter_choices(response, "計画") == ["潟上市 テスト計画", "潟上市 第二の計画"], changelist
        assert "非公開" not in response.content.decode()
    # One municipality to choose from is no choice: Django leaves that filter out.
    assert filter_choices(response, "地方公共団体") is None


def test_list_filter_choices_take_one_query_whatever_the_number_of_plans(client, superuser, roles_plan):
    client.force_login(superuser)
    counts = []
    for number in range(3):
        if number:
            copy_plan(roles_plan, number, random.Random(number))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:measures_measure_changelist")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_staff_form_offers_only_the_update_fields(client, objects, staff_a):
    client.force_login(staff_a)
    form = client.get(url(objects["value"], "change")).context["adminform"].form
    # confirm_warning: the clerk confirms a plausibility warning (kpis/plausibility.py); not a stored field
    assert sorted(form.fields) == ["actual_text", "confirm_warning", "evidence_file", "evidence_url", "note"]


def test_user_without_a_role_sees_no_plan_data(client, roles_plan):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("clerk", password="a-long-password-for-tests", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)
    assert client.get(reverse("admin:plans_plan_changelist")).status_code == 403
    assert Indicator.objects.filter(kpis_access.indicator_scope(user)).count() == 0


def test_repeated_failed_logins_lock_the_account(client, staff_a):
    login = reverse("admin:login")
    statuses = [client.post(login, {"username": "staff-a", "password": "wrong"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the form with its error four times, then the lockout
    response = client.post(login, {"username": "staff-a", "password": "a-long-password-for-tests"})
    assert response.status_code == 429  # even the right password, until the cool-off ends
    other = client.post(login, {"username": "staff-b", "password": "wrong-password"})
    assert other.status_code == 200  # only the username × address pair is locked


def test_a_correct_login_resets_the_failure_count(client, staff_a):
    login = reverse("admin:login")
    for _ in range(4):
        client.post(login, {"username": "staff-a", "password": "wrong-password"})
    assert client.post(login, {"username": "staff-a", "password": "a-long-password-for-tests"}).status_code == 302
    client.logout()
    for _ in range(4):
        client.post(login, {"username": "staff-a", "password": "wrong-password"})
    assert client.post(login, {"username": "staff-a", "password": "a-long-password-for-tests"}).status_code == 302


def test_password_rules_and_session_expiry():
    from django.conf import settings
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        validate_password("noshiro2026")
    assert error.value.messages == ["このパスワードは短すぎます。最低 12 文字以上必要です。"]
    validate_password("kpi-entry-for-fy2025")
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_evidence_files_are_sent_only_to_users_who_see_the_value(
    request, client, monkeypatch, tmp_path, objects, staff_a
):
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile

    field = IndicatorValue._meta.get_field("evidence_file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path, base_url=field.storage.base_url))
    value = objects["value"]
    client.force_login(staff_a)
    response = client.post(
        url(value, "change"),
        {
            "actual_text": "３回",
            "note": "",
            "evidence_url": "",
            "evidence_file": SimpleUploadedFile("開催記録.pdf", b"%PDF-1.4"),
        },
    )
    assert response.status_code == 302
    value.refresh_from_db()
    link = value.evidence_file.url
    assert link.startswith("/manage/kpis/indicatorvalue/evidence/")
    assert client.get(link).status_code == 200
    for persona in ("staff_b", "hq_y"):
        client.force_login(request.getfixturevalue(persona))
        assert client.get(link).status_code == 404


SHEET_EXPORT = {"anonymous": "login", "staff_a": "ok", "staff_b": "ok", "hq_x": "ok", "hq_y": 404, "superuser": "ok"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_export_and_import_pages(as_persona, objects, persona):
    """The review-sheet export of plan X and the actuals import page (whose rows save_entries checks)."""
    plan = objects["plan"]
    client = as_persona(persona)
    response = client.get(reverse("admin:plans_plan_sheets", args=[plan.pk, "review"]))
    result = 404 if response.status_code == 404 else outcome(response, plan)
    assert result == SHEET_EXPORT[persona]
    response = client.get(reverse("admin:kpis_indicatorvalue_import"))
    assert outcome(response, objects["value"]) == ("login" if persona == "anonymous" else "ok")
