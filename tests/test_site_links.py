"""No broken internal link: every page reachable from / and /en/ with the four seed plans answers, and every
static file a page names exists. The crawl follows every href and src to the site (query strings and
relative links included), in both languages."""

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import FIXTURES, load_fixture

pytestmark = pytest.mark.django_db


LINK = re.compile(r'(?:href|src|action)="([^"]*)"')
STATIC = "/static/"


def crawl(client: Client, starts: list[str]) -> tuple[dict[str, int], dict[str, set[str]], set[str]]:
    """Status of every page reached, the pages linking to each, and the static paths named."""
    status: dict[str, int] = {}
    linked_from: dict[str, set[str]] = {}
    static: set[str] = set()
    queue = list(starts)
    while queue:
        url = queue.pop()
        if url in status:
            continue
        response = client.get(url)
        status[url] = response.status_code
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for found in LINK.findall(response.content.decode()):
            target = urljoin(url, unescape(found))
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue  # another site (the licence, the national plan)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith(STATIC):
                static.add(parts.path)
            elif path != url:
                linked_from.setdefault(path, set()).add(url)
                queue.append(path)
    return status, linked_from, static


def test_every_internal_link_from_the_home_pages_answers(client):
    for path in sorted(FIXTURES.glob("*.json")):
        load_fixture(path)
    status, linked_from, static = crawl(client, ["/", "/en/"])
    broken = {url: sorted(linked_from.get(url, ()))[:3] for url, code in status.items() if code not in (200, 302)}
    assert broken == {}
    assert sorted(path for path in static if not finders.find(path.removeprefix(STATIC))) == []
    # Every page type in both languages was reached, the summaries and the search among them.
    for path in (
        "/pref/05/",
        "/en/pref/05/",
        "/noshiro/dx-plan-2023/summary/2024/",
        "/en/misato/dx-action-plan/summary/2024/",
        "/noshiro/dx-plan-2023/roadmap/",
        "/en/compare/",
        "/akita/",
    ):
        assert status.get(path) == 200, path
    assert len(status) > 800, len(status)
    # The home page lists as published exactly the municipalities the prefecture page shows a published year
    # of (Akita published only its baseline year 2023, before its plan period: neither lists it).
    home = client.get("/").content.decode()
    prefecture = client.get("/pref/05/").content.decode()
    listed = set(re.findall(r'<h3 id="recent-\d+"><a href="/([\w-]+)/">', home))
    glanced = set(re.findall(r'<p class="glance"><a href="/([\w-]+)/[\w-]+/summary/', prefecture))
    assert listed == glanced == {"misato", "noshiro"}
