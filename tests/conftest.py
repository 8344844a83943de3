import copy
import json
from pathlib import Path

import pytest

from kpis.interchange.importer import import_plan

pytest_plugins = ["tests.personas"]


def pytest_configure(config):
    from django.conf import settings

    # Production hashes with Django's PBKDF2 on purpose (0.33 s a password on this machine); the suite
    # creates and logs in some thousand users, so it uses a fast hasher. No test is about the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
NOSHIRO = FIXTURES / "052027-noshiro-dx-plan-2023.json"

MINI_PLAN = {
    "format": "dxportal.plan/1",
    "municipality": {"code": "052027", "name": "能代市", "prefecture": "秋田県", "slug": "noshiro"},
    "departments": [{"name": "企画部", "parent": None}, {"name": "地域情報課", "parent": "企画部"}],
    "plan": {
        "slug": "mini",
        "title": "テスト計画",
        "status": "published",
        "period": {"start_fy": 2023, "end_fy": 2025},
        "published_years": [2022, 2023, 2024],  # the years whose actuals this (made-up) document prints
        "related_plans": ["総合計画"],
    },
    "revisions": [{"key": "established", "date": "2023-04", "kind": "established", "summary": "策定"}],
    "categories": [
        {
            "label": "1",
            "name": "市民サービスのＤＸ",
            "level_name": "施策の柱",
            "indicators": [
                {
                    "name": "マイナンバーカードの交付率",
                    "unit": "％",
                    "kind": "numeric",
                    "baseline": {"text": "34.8％", "value": 34.8, "fy": 2021},
                    "values": [
                        {
                            "fy": 2023,
                            "target": {"text": "67.4％", "value": 67.4},
                            "actual": {"text": "75.4％", "value": 75.4},
                        },
                        {
                            "fy": 2024,
                            "target": {"text": "83.7％", "value": 83.7},
                            "actual": {"text": "80.6％", "value": 80.6},
                        },
                    ],
                }
            ],
            "children": [{"label": "(1)", "name": "マイナンバーカードの普及促進", "level_name": "施策"}],
        },
        {"label": "2", "name": "地域のＤＸ", "level_name": "施策の柱"},
    ],
    "measures": [
        {
            "key": "1-(1)-①",
            "code": "1-(1)-①",
            "name": "マイナンバーカードの普及促進",
            "category_labels": ["1/(1)", "2"],
            "sdgs": [10, 11, 16],
            "related_plans": ["総合計画"],
            "departments": ["地域情報課"],
            "tags": ["マイナンバーカードの普及促進"],
            "schedule": [{"fy": 2023, "text": "取得勧奨"}, {"fy": 2024, "continues": True}],
            "kpis": [
                {
                    "name": "出張申請窓口の開催回数",
                    "unit": "回/年",
                    "kind": "numeric",
                    "values": [
                        {"fy": 2022, "actual": {"text": "５２回", "value": 52}},
                        {"fy": 2023, "target": {"text": "１０回", "value": 10}, "actual": {"text": "０回", "value": 0}},
                        {"fy": 2024, "target": {"text": "－", "value": None}, "actual": {"text": "－", "value": None}},
                    ],
                },
                {
                    "name": "手法の検討",
                    "kind": "qualitative",
                    "values": [
                        {"fy": 2024, "target": {"text": "手法を検討する"}, "actual": {"text": "手法を検討した"}}
                    ],
                },
            ],
            "marks": [{"fy": 2023, "mark": "not_achieved"}, {"fy": 2024, "mark": "achieved"}],
            "source": {"document": "000_8ee49dd0f320089a.txt", "lines": "690-745"},
        },
        {
            "key": "2-(1)-①",
            "code": "2-(1)-①",
            "name": "要望活動",
            "category_labels": ["2"],
            "departments": ["地域情報課"],
        },
    ],
}


@pytest.fixture(autouse=True)
def empty_cache():
    """The page cache outlives each test's rolled-back database: start every test without it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language_afterwards():
    """A request under /en/ leaves English active in the thread (LocaleMiddleware activates it and nothing
    deactivates it): give the next test the default language back, so its reverse() gives Japanese URLs."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def mini_document():
    return copy.deepcopy(MINI_PLAN)


@pytest.fixture
def mini_plan(db, mini_document):
    return import_plan(mini_document).plan


def load_fixture(path: Path):
    return import_plan(json.loads(path.read_text(encoding="utf-8"))).plan


@pytest.fixture
def noshiro(db):
    return load_fixture(NOSHIRO)
