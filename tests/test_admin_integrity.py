"""Smaller holes in the staff admin: history pages, who may be appointed where, department trees, the
login redirect, self-approval, the choices a form offers, and the login lockout behind the proxy."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory, override_settings
from django.urls import reverse

from kpis import workflow
from kpis.models import DepartmentReport, Indicator
from measures.models import Measure
from plans.models import Department, HQMembership, Municipality, PlanRevision, StaffMembership
from tests.forms import form_of
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def department(code, name):
    return Department.objects.get(municipality__code=code, name=name)


# History pages of the models without django-simple-history


@pytest.mark.parametrize("model", [Municipality, Department, PlanRevision], ids=lambda m: m.__name__)
def test_history_pages_of_untracked_models_render(client, roles_plan, hq_x, hq_y, superuser, model):
    obj = model.objects.order_by("pk").first()  # 能代市's (the roles plan is imported first)
    for user in (hq_x, superuser):
        client.force_login(user)
        response = client.get(url(model, "history", obj.pk))
        assert response.status_code == 200
    client.force_login(hq_y)  # another municipality's row: Django's "does not exist" redirect, nothing shown
    response = client.get(url(model, "history", obj.pk))
    assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))


def test_a_department_change_shows_in_its_history(client, roles_plan, hq_x):
    client.force_login(hq_x)
    section = department("052027", "地域情報課")
    form = form_of(client.get(url(Department, "change", section.pk)), "department_form")
    assert client.post(url(Department, "change", section.pk), {**form, "email": "joho@example.jp"}).status_code == 302
    page = client.get(url(Department, "history", section.pk)).content.decode()
    assert "hq-x" in page and "連絡用メールアドレス" in page


# Who may be appointed where


def test_the_staff_form_offers_only_accounts_of_the_hqs_own_municipality(rf, roles_plan, other_plan, hq_x, staff_a):
    other_clerk = make_user("clerk-y")
    StaffMembership.objects.create(user=other_clerk, department=department("052116", "企画部"))
    other_hq = make_user("hq-y")
    HQMembership.objects.create(user=other_hq, municipality=Municipality.objects.get(code="052116"))
    make_user("new-clerk")  # no role yet: HQ assigns new accounts
    User.objects.create_superuser("root", "root@example.jp", PASSWORD)
    request = rf.get("/")
    request.user = hq_x
    form = admin.site._registry[StaffMembership].get_form(request)()
    assert sorted(form.fields["user"].queryset.values_list("username", flat=True)) == ["hq-x", "new-clerk", "staff-a"]
    assert sorted(form.fields["department"].queryset.values_list("name", flat=True)) == ["企画部", "地域情報課"]
    assert set(form.fields["department"].queryset.values_list("municipality__code", flat=True)) == {"052027"}


def test_hq_cannot_assign_staff_to_another_municipalitys_department(client, roles_plan, other_plan, hq_x):
    clerk = make_user("new-clerk")
    client.force_login(hq_x)
    response = client.post(
        url(StaffMembership, "add"), {"user": clerk.pk, "department": department("052116", "企画部").pk}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not StaffMembership.objects.filter(user=clerk).exists()


def test_no_hq_member_appoints_hq_members_anywhere(client, roles_plan, other_plan, hq_x):
    newcomer = make_user("newcomer")
    client.force_login(hq_x)
    for municipality in Municipality.objects.filter(code__in=["052027", "052116"]):
        response = client.post(url(HQMembership, "add"), {"user": newcomer.pk, "municipality": municipality.pk})
        assert response.status_code == 403
    assert client.get(url(HQMembership, "changelist")).status_code == 403
    assert not HQMembership.objects.filter(user=newcomer).exists()


def test_foreign_key_choices_follow_the_role(roles_plan, other_plan, hq_x):
    request = RequestFactory().get("/")
    request.user = hq_x
    form = admin.site._registry[Indicator].get_form(request)()
    assert set(form.fields["plan"].queryset.values_list("municipality__code", flat=True)) == {"052027"}
    assert set(form.fields["measure"].queryset.values_list("plan__municipality__code", flat=True)) == {"052027"}
    assert form.fields["measure"].queryset.count() == Measure.objects.filter(plan=roles_plan).count()


# The department tree


def parent_change(client, child, parent):
    form = form_of(client.get(url(Department, "change", child.pk)), "department_form")
    return client.post(url(Department, "change", child.pk), {**form, "parent": parent.pk if parent else ""})


def test_a_department_cannot_be_its_own_parent_or_below_itself(client, roles_plan, hq_x):
    client.force_login(hq_x)
    division, section = department("052027", "企画部"), department("052027", "地域情報課")
    assert section.parent == division
    response = parent_change(client, division, division)
    assert (
        "「企画部」は「企画部」自身かその下位の部署のため、上位の部署にはできません（循環します）"
        in response.content.decode()
    )
    response = parent_change(client, division, section)  # 地域情報課 is below 企画部: A ↔ B
    assert "「地域情報課」は「企画部」自身かその下位の部署のため、上位の部署にはできません（循環します）" in (
        response.content.decode()
    )
    assert department("052027", "企画部").parent is None
    assert parent_change(client, section, None).status_code == 302  # a 課 may leave its 部


def test_a_parent_belongs_to_the_same_municipality(client, roles_plan, other_plan, superuser):
    client.force_login(superuser)
    response = parent_change(client, department("052027", "企画部"), department("052116", "企画部"))
    assert "上位の部署は同じ地方公共団体の部署から選んでください" in response.content.decode()


# Login redirect


def test_a_foreign_next_after_login_lands_on_the_staff_home(client, staff_a):
    response = client.post(
        reverse("admin:login") + "?next=https://evil.example/", {"username": "staff-a", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200


# Approving one's own report


def test_hq_does_not_approve_a_report_it_submitted(client, roles_plan, hq_x):
    division = department("052027", "企画部")
    report = workflow.submit(hq_x, roles_plan, 2025, division)
    with pytest.raises(workflow.WorkflowError) as error:
        workflow.approve(hq_x, report)
    assert (
        str(error.value) == "企画部の報告は自分で提出したため承認できません（提出者以外の推進本部の職員が承認します）"
    )
    colleague = make_user("hq-x2")
    HQMembership.objects.create(user=colleague, municipality=Municipality.objects.get(code="052027"))
    client.force_login(hq_x)
    board = f"{reverse('admin:kpis_board')}?plan={roles_plan.pk}&fy=2025"
    response = client.post(board, {"action": "approve", "department": division.pk}, follow=True)
    assert "企画部の報告は自分で提出したため承認できません" in response.content.decode()
    assert DepartmentReport.objects.get(department=division).status == "submitted"
    assert workflow.approve(colleague, report).status == "approved"


# The login lockout behind the documented proxy (nginx appends the client to X-Forwarded-For)


def login(client, username, password, forwarded):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password},
        HTTP_X_FORWARDED_FOR=forwarded,
        REMOTE_ADDR="127.0.0.1",
    )


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_one_clients_failures_do_not_lock_out_another(client, staff_a):
    statuses = [login(client, "staff-a", "wrong", "203.0.113.5").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # The client adds its own X-Forwarded-For: nginx appends the real address, which stays locked.
    assert login(client, "staff-a", PASSWORD, "198.51.100.7, 203.0.113.5").status_code == 429
    # Another client behind the same proxy signs in to the same account.
    assert login(client, "staff-a", PASSWORD, "198.51.100.7").status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_two_trusted_proxies_read_the_second_address_from_the_right(client, staff_a):
    for _ in range(5):
        login(client, "staff-a", "wrong", "203.0.113.5, 10.0.0.2")
    assert login(client, "staff-a", PASSWORD, "203.0.113.5, 10.0.0.3").status_code == 429
    assert login(client, "staff-a", PASSWORD, "198.51.100.7, 10.0.0.2").status_code == 302


def test_without_a_proxy_the_forwarded_header_is_ignored(client, staff_a):
    """TRUSTED_PROXY_COUNT=0 (development): a client cannot escape the lockout by sending the header."""
    for n in range(5):
        login(client, "staff-a", "wrong", f"203.0.113.{n}")
    assert login(client, "staff-a", PASSWORD, "198.51.100.7").status_code == 429
