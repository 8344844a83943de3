"""The pages residents get when an address is wrong or the server fails: the portal's own, in their language."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.views.defaults import server_error

from kpis.interchange.importer import import_plan
from tests.test_production import INLINE_SCRIPT, INLINE_STYLE, STRICT_POLICY, csp

pytestmark = pytest.mark.django_db


def main_text(response) -> str:
    body = response.content.decode()
    return body[body.index('<main id="main">') : body.index("</main>")]


def test_an_unknown_address_gets_the_portals_not_found_page(client, mini_plan):
    response = client.get("/no-such-town/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<title>ページが見つかりません | DX進捗ポータル</title>" in body
    assert '<link rel="stylesheet" href="/static/css/site.css">' in body  # the portal's frame, not Django's page
    assert "<h1>ページが見つかりません</h1>" in body
    assert "<p>お探しのページは、アドレスが違うか、移動したか、まだ公開されていません。</p>" in body
    assert '<li><a href="/">ホーム</a></li>' in body
    assert '<li><a href="/compare/">国の重点取組事項で団体を比べる</a></li>' in body
    # The language switch sends the reader back to the address they asked for.
    assert '<input name="next" type="hidden" value="/no-such-town/">' in body
    assert csp(response) == STRICT_POLICY
    assert not INLINE_SCRIPT.search(body) and not INLINE_STYLE.search(body)


def test_the_not_found_page_is_english_under_en(client, mini_plan):
    response = client.get("/en/no-such-town/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "<h1>Page not found</h1>" in body
    assert "<p>The page you are looking for has a different address, has moved, or is not published yet.</p>" in body
    assert '<li><a href="/en/">Home</a></li>' in body


def test_an_unpublished_plan_looks_exactly_like_an_address_that_never_existed(client, mini_document):
    mini_document["plan"]["status"] = "draft"
    import_plan(mini_document)
    draft = client.get("/noshiro/mini/")
    unknown = client.get("/noshiro/no-such-plan/")
    assert draft.status_code == unknown.status_code == 404
    assert main_text(draft) == main_text(unknown)
    # Neither the plan's title nor the view's reason ("No Plan matches the given query.") is shown.
    assert "テスト計画" not in draft.content.decode()
    assert "matches the given query" not in draft.content.decode()


def test_a_server_error_page_needs_no_database_and_speaks_the_readers_language():
    request = RequestFactory().get("/noshiro/")
    with CaptureQueriesContext(connection) as queries:
        response = server_error(request)
        with translation.override("en"):
            english = server_error(request)
    assert len(queries) == 0
    assert response.status_code == english.status_code == 500
    body = response.content.decode()
    assert "<title>一時的なエラー | DX進捗ポータル</title>" in body
    assert "<p>ページを表示できませんでした。しばらくしてから、もう一度お試しください。</p>" in body
    assert '<p><a href="/">ホーム</a></p>' in body
    english_body = english.content.decode()
    assert "<h1>Temporary error</h1>" in english_body
    assert "<p>The page could not be shown. Please try again in a little while.</p>" in english_body
    assert '<p><a href="/en/">Home</a></p>' in english_body
