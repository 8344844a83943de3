"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

Reusable pieces (the staff workflow test uses them too):
- `seed_plans`: the four seed plans, committed (the live server sees them) and flushed after the test;
  a dict {municipality slug: Plan}.
- `pages.open(path, user=..., viewport=PHONE)`: a page in a fresh browser context (Japanese unless
  `locale` says otherwise), logged in as `user` when given; `pages.console_errors(page)`;
  `pages.screenshot(page, "01-step")` saves test-artifacts/browser/<test name>/01-step.png.
"""

import os
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, connections, transaction
from django.test import Client

from plans.generations import bump_generation
from plans.models import Plan
from tests.conftest import FIXTURES, ROOT, load_fixture

SEEDS = {
    "akita": FIXTURES / "052019-akita-digital-plan-2-0.json",
    "noshiro": FIXTURES / "052027-noshiro-dx-plan-2023.json",
    "katagami": FIXTURES / "052116-katagami-dx-plan-2023.json",
    "misato": FIXTURES / "054348-misato-dx-action-plan.json",
}
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="package")
def browser():
    """One chromium for the browser tests; every test gets its own context (cookies, viewport) from `pages`.

    Package scope, not session: Playwright and the settings below end with the browser tests, so the
    tests after them (and the subprocesses they start) run with Django's async safety intact.
    """
    if not CHROMIUM.exists():
        message = f"chromium not found at {CHROMIUM}: apt-get install -y chromium"
        # CI must not pass by skipping the browser tests: .ci/run installs chromium, so a missing one is an error.
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API marks an asyncio loop as running in this thread. Django then (1) refuses ORM
    # calls as "async unsafe" and (2) looks up connections in a context-local store instead of the
    # thread's own, so the tests would get fresh connections that the live server (which shares the
    # thread's in-memory SQLite connection) and pytest-django's rollback data do not know about.
    # The ORM calls stay synchronous and never overlap Playwright's coroutines, so (1) is lifted for
    # the browser tests, and (2) is undone by pointing the store at the thread's connections, as
    # Django's LiveServerThread does for its own overrides.
    thread_connections = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            for alias, connection in thread_connections.items():
                connections[alias] = connection
            # Never a downloaded browser build: the machine's chromium, as on a developer's Debian.
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


def seed_models():
    """Every table the seed import writes: the card apps' models, their history and M2M tables."""
    return [
        model
        for label in ("plans", "measures", "kpis")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


@pytest.fixture(scope="package")
def seed_rows():
    """The seed import's rows, kept after the first import: {model: [instances]}."""
    return {}


@pytest.fixture
def seed_plans(transactional_db, django_db_serialized_rollback, seed_rows):
    """The four seed plans, committed so the live server sees them (flushed after the test): {slug: Plan}.

    Importing them takes 15 s or more (validation, marks, history), so the first test imports them and
    keeps the rows; later tests write the rows back, which takes well under a second. Serialized
    rollback restores the migrations' reference data (SDG goals, priority areas) the rows point to.
    Noshiro has marks and departments; Akita, Katagami and Misato have priority-area tags.
    """
    if seed_rows:
        with transaction.atomic():  # foreign keys are checked at commit, so the order of tables is free
            for model, rows in seed_rows.items():
                model._base_manager.bulk_create(rows)
        with connection.cursor() as cursor:  # PostgreSQL: continue the id sequences after the copied ids
            for sql in connection.ops.sequence_reset_sql(no_style(), list(seed_rows)):
                cursor.execute(sql)
    else:
        before = {model: list(model._base_manager.values_list("pk", flat=True)) for model in seed_models()}
        for path in SEEDS.values():
            load_fixture(path)
        for model in seed_models():
            seed_rows[model] = list(model._base_manager.exclude(pk__in=before[model]).order_by("pk"))
    bump_generation()  # the rows changed under the public page cache (a page cached by an earlier test)
    return {plan.municipality.slug: plan for plan in Plan.objects.select_related("municipality")}


class Pages:
    """Pages of the live portal in fresh browser contexts, with their console errors and screenshots."""

    def __init__(self, browser, base_url: str, artifacts: Path):
        self.browser = browser
        self.base_url = base_url
        self.artifacts = artifacts
        self.contexts = []
        self.errors: dict[int, list[str]] = {}

    def open(self, path: str = "/", *, user=None, viewport=DESKTOP, locale: str = "ja-JP"):
        """A new page at `path`; logged in as `user` (through a real session cookie) when given."""
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport, locale=locale, accept_downloads=True
        )
        self.contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.base_url}])
        page = context.new_page()
        errors = self.errors.setdefault(id(page), [])
        # CSP violations and failed loads arrive as console errors; uncaught exceptions as page errors.
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        if path is not None:
            page.goto(path)
        return page

    def console_errors(self, page) -> list[str]:
        return self.errors.get(id(page), [])

    def screenshot(self, page, name: str) -> Path:
        """Saves the whole page as test-artifacts/browser/<test>/<name>.png and returns the path."""
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, live_server, django_db_serialized_rollback, request):
    folder = ARTIFACTS / "browser" / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    folder.mkdir(parents=True, exist_ok=True)
    helper = Pages(browser, live_server.url, folder)
    yield helper
    helper.close()
