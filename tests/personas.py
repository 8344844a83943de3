"""Personas for permission and workflow tests: two departments and HQ of municipality X, HQ of Y.

``roles_plan`` is the mini plan of 能代市 (X) in which department A (地域情報課) owns 1-(1)-① with two KPIs
and department B (企画部) owns 2-(1)-① with one numeric KPI; ``other_plan`` is the same plan of
潟上市 (Y). Registered as a pytest plugin by tests/conftest.py.
"""

import copy

import pytest
from django.contrib.auth.models import User

from kpis.interchange.importer import import_plan
from kpis.models import Indicator
from plans.models import Department, HQMembership, Municipality, StaffMembership

PASSWORD = "a-long-password-for-tests"


def roles_document(mini_document: dict) -> dict:
    document = copy.deepcopy(mini_document)
    second = document["measures"][1]
    second["departments"] = ["企画部"]
    second["kpis"] = [
        {
            "name": "要望書の提出件数",
            "unit": "件",
            "kind": "numeric",
            "values": [
                {"fy": 2023, "target": {"text": "２件", "value": 2}},
                {"fy": 2024, "target": {"text": "２件", "value": 2}},
                {"fy": 2025, "target": {"text": "３件", "value": 3}},
            ],
        }
    ]
    return document


@pytest.fixture
def roles_plan(db, mini_document):
    return import_plan(roles_document(mini_document)).plan


@pytest.fixture
def other_plan(db, mini_document):
    document = roles_document(mini_document)
    document["municipality"] = {"code": "052116", "name": "潟上市", "prefecture": "秋田県", "slug": "katagami"}
    return import_plan(document).plan


def make_user(username: str, **extra) -> User:
    return User.objects.create_user(username, f"{username}@example.jp", PASSWORD, is_staff=True, **extra)


@pytest.fixture
def staff_a(roles_plan):
    user = make_user("staff-a")
    StaffMembership.objects.create(
        user=user, department=Department.objects.get(municipality__code="052027", name="地域情報課")
    )
    return user


@pytest.fixture
def staff_b(roles_plan):
    user = make_user("staff-b")
    StaffMembership.objects.create(
        user=user, department=Department.objects.get(municipality__code="052027", name="企画部")
    )
    return user


@pytest.fixture
def hq_x(roles_plan):
    user = make_user("hq-x")
    HQMembership.objects.create(user=user, municipality=Municipality.objects.get(code="052027"))
    return user


@pytest.fixture
def hq_y(other_plan):
    user = make_user("hq-y")
    HQMembership.objects.create(user=user, municipality=Municipality.objects.get(code="052116"))
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.jp", PASSWORD)


def kpi(plan, name: str) -> Indicator:
    return Indicator.objects.get(plan=plan, name=name)
