"""Serve public pages from the shared cache, valid for one publication generation.

Anonymous GET/HEAD requests (no session cookie) to public pages are answered from the cache without
running the session, auth or locale middleware or any view, so a hit costs no SQL query. The key is
the language and the full path with its query string; a stored page carries the publication
generation it was rendered in (``dxportal.public_cache``) and is stale once the generation moves on.
One round trip to the cache fetches both.

The language is part of the URL (``/en/...``; unprefixed pages are always Japanese), so a public
page's content depends on nothing but its URL: it is sent without ``Vary: Cookie`` and a reverse
proxy may keep it and revalidate it with the ETag (conditional GET answers 304).

Admin writes bump the generation here, once, for every model the admin edits; other writes (imports,
workflow services) call ``bump_generation()`` themselves.
"""

import hashlib
import itertools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, has_vary_header
from django.utils.http import http_date
from django.utils.timezone import now
from django.utils.translation import get_language_from_path

from dxportal.public_cache import bump_generation, lookup, page_key, store

SAFE_METHODS = ("GET", "HEAD")
# Admin views that write nothing residents see: a staff login must not flush the national cache.
ADMIN_VIEWS_WITHOUT_PUBLIC_WRITES = {"login", "logout", "password_change", "password_change_done", "jsi18n"}
CACHE_CONTROL = "public, max-age=0, must-revalidate"


@dataclass
class CachedPage:
    generation: int
    status: int
    content: bytes
    headers: list[tuple[str, str]]
    etag: str
    last_modified: float

    @classmethod
    def from_response(cls, response, generation: int) -> "CachedPage":
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


def is_admin_write(request, response) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        request.method not in SAFE_METHODS
        and response.status_code < 400
        and match is not None
        and "admin" in match.namespaces
        and match.url_name not in ADMIN_VIEWS_WITHOUT_PUBLIC_WRITES
    )


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        if settings.PUBLIC_CACHE_SECONDS <= 0:  # PUBLIC_CACHE_SECONDS=0: off (the uncached benchmark)
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if not is_cacheable_request(request):
            response = self.get_response(request)
            if is_admin_write(request, response):
                bump_generation()
            return response
        language = get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
        key = page_key(language, request.get_full_path())
        generation, page = lookup(key)
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
