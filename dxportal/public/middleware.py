"""Serve public pages from the shared cache, valid for one publication generation.

Anonymous GET/HEAD requests (no session cookie) to public pages are answered from the cache without
running the session, auth or locale middleware or any view, so a hit costs no SQL query. The key is
the language, the host and the full path with its query string, of which only the parameters the public
views read are kept (``PAGE_QUERY_PARAMETERS``): ``?utm_source=…`` or any made-up parameter is dropped before
the view sees it, so it neither renders nor stores another copy of the page; a stored page carries the publication
generations it was rendered in (``dxportal.public.cache``: national, and its municipality's or the
cross-municipality index's) and is stale once one moves on. One round trip to the cache fetches all.

The language is part of the URL (``/en/...``; unprefixed pages are always Japanese), so a public
page's content depends on nothing but its URL: it is sent without ``Vary: Cookie`` and a reverse
proxy may keep it and revalidate it with the ETag (conditional GET answers 304).

This middleware only serves and stores pages. It never decides that a page is stale: the writes do,
each domain service bumping its municipality's generation after the commit
(``plans.generations.bump_after_commit``), the staff admin through the same function.
"""

import hashlib
import itertools
import re
from dataclasses import dataclass
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, has_vary_header
from django.utils.http import http_date
from django.utils.timezone import now
from django.utils.translation import get_language_from_path

from dxportal.public.cache import lookup, page_key, store
from plans.generations import INDEX_SCOPE
from plans.validators import fixed_first_segments

SAFE_METHODS = ("GET", "HEAD")

# Every query parameter a public page reads: the plan's filters (dxportal.public.filters), the search on
# the home page (q), the comparison's prefecture (pref) and the page of django.contrib.sitemaps' views (p).
# tests/test_public_cache.py checks our views read no other, so a new parameter has to be added here or it
# never reaches its view.
PAGE_QUERY_PARAMETERS = frozenset({"category", "department", "sdg", "mark", "fy", "stage", "new", "q", "pref", "p"})
CACHE_CONTROL = "public, max-age=0, must-revalidate"


@dataclass
class CachedPage:
    generation: tuple[int, int]
    status: int
    content: bytes
    headers: list[tuple[str, str]]
    etag: str
    last_modified: float

    @classmethod
    def from_response(cls, response, generation: tuple[int, int]) -> "CachedPage":
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        last_modified = now().timestamp()
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = CACHE_CONTROL
        return cls(generation, response.status_code, response.content, list(response.items()), etag, last_modified)

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response[name] = value
        return response


def uncached_prefixes() -> tuple[str, ...]:
    return ("/" + settings.ADMIN_URL_PREFIX, "/" + settings.STATIC_URL.lstrip("/"), "/i18n/", "/healthz")


SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def scope_of(request) -> str:
    """The municipality slug a public page belongs to (/<slug>/…, /en/<slug>/…), or INDEX_SCOPE."""
    segments = request.path_info.lstrip("/").split("/")
    if segments[0] in dict(settings.LANGUAGES) and len(segments) > 1:
        segments = segments[1:]
    first = segments[0]
    if len(segments) > 1 and SLUG.fullmatch(first) and first not in fixed_first_segments():
        return first
    return INDEX_SCOPE


def drop_unread_parameters(request) -> None:
    """Keep only the query parameters a public page reads, in their order and as they were written."""
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return
    pieces = [piece for piece in query.split("&") if piece]
    kept = [piece for piece in pieces if unquote_plus(piece.split("=", 1)[0]) in PAGE_QUERY_PARAMETERS]
    if len(kept) != len(pieces):
        request.META["QUERY_STRING"] = "&".join(kept)
        request.__dict__.pop("GET", None)  # WSGIRequest.GET is cached from the query string on first use


def is_cacheable_request(request) -> bool:
    return (
        request.method in SAFE_METHODS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path_info.startswith(uncached_prefixes())
    )


def buffered(response):
    """A streamed response (the CSV) as a plain one, when it is small enough to keep; else unchanged."""
    if not response.streaming:
        return response
    chunks, size = [], 0
    stream = iter(response.streaming_content)
    for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > settings.PUBLIC_CACHE_MAX_BYTES:
            response.streaming_content = itertools.chain(chunks, stream)
            return response
    plain = HttpResponse(b"".join(chunks), status=response.status_code)
    for name, value in response.items():
        plain[name] = value
    plain["Content-Length"] = str(len(plain.content))
    # The stream is exhausted, so the original holds nothing to release. Don't call its close():
    # that fires request_finished, which closes the database connection in the middle of the
    # request (and breaks the test transaction on PostgreSQL). The WSGI server closes `plain`.
    return plain


def is_cacheable_response(request, response) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not has_vary_header(response, "Cookie")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
        and match is not None
        and "admin" not in match.namespaces
    )


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        if settings.PUBLIC_CACHE_SECONDS <= 0:  # PUBLIC_CACHE_SECONDS=0: off (the uncached benchmark)
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if not is_cacheable_request(request):
            return self.get_response(request)
        drop_unread_parameters(request)
        language = get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
        # get_host() checks ALLOWED_HOSTS, so a hit too answers a foreign Host with 400, as a miss does.
        key = page_key(language, request.get_host(), request.get_full_path())
        generation, page = lookup(key, scope_of(request))
        if page is None:
            response = self.get_response(request)
            if response.status_code == 200 and not response.cookies:
                response = buffered(response)
            if not is_cacheable_response(request, response):
                return response
            page = CachedPage.from_response(response, generation)
            store(key, page)
        else:
            response = page.response()
        return get_conditional_response(
            request, etag=page.etag, last_modified=int(page.last_modified), response=response
        )
