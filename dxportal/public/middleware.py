"""Serve public pages from the shared cache, valid for one publication generation.

Anonymous GET/HEAD requests (no session cookie) to public pages are answered from the cache without
running the session, auth or locale middleware or any view, so a hit costs no SQL query. The key is
the language, the host and the full path with its query string; a stored page carries the publication
generations it was rendered in (``dxportal.public.cache``: national, and its municipality's or the
cross-municipality index's) and is stale once one moves on. One round trip to the cache fetches all.

The language is part of the URL (``/en/...``; unprefixed pages are always Japanese), so a public
page's content depends on nothing but its URL: it is sent without ``Vary: Cookie`` and a reverse
proxy may keep it and revalidate it with the ETag (conditional GET answers 304).

Admin writes bump the generation here, once, for every model the admin edits: the edited object's
municipality when one is found, else all; other writes (imports, workflow services) call
``bump_generation()`` themselves.
"""

import hashlib
import itertools
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.utils import unquote
from django.core.exceptions import MiddlewareNotUsed
from django.db.models import ForeignKey
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, has_vary_header
from django.utils.http import http_date
from django.utils.timezone import now
from django.utils.translation import get_language_from_path

from dxportal.public.cache import lookup, page_key, store
from plans.generations import INDEX_SCOPE, bump_generation
from plans.models import Municipality, Plan
from plans.validators import fixed_first_segments

SAFE_METHODS = ("GET", "HEAD")
# Admin views that write nothing residents see: a staff login must not flush the national cache.
ADMIN_VIEWS_WITHOUT_PUBLIC_WRITES = {"login", "logout", "password_change", "password_change_done", "jsi18n"}
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


def municipality_of(instance, depth: int = 4):
    """The municipality an admin-edited object belongs to, following foreign keys; None if not found.

    A municipality itself gives None: a renamed slug or name shows on every index page and under
    the old URL, so that edit invalidates all."""
    if instance is None or depth == 0 or isinstance(instance, Municipality):
        return None
    for field in instance._meta.concrete_fields:
        if isinstance(field, ForeignKey) and field.related_model is Municipality:
            return getattr(instance, field.attname)
    for field in instance._meta.concrete_fields:
        if isinstance(field, ForeignKey) and field.related_model is Plan:
            plan_id = getattr(instance, field.attname)
            return Plan.objects.filter(pk=plan_id).values_list("municipality_id", flat=True).first()
    for field in instance._meta.concrete_fields:
        if isinstance(field, ForeignKey) and field.related_model._meta.app_label != "auth":
            found = municipality_of(getattr(instance, field.name), depth - 1)
            if found is not None:
                return found
    return None


def edited_municipality(request):
    """For an admin POST to one object's page (change, delete…): the object's municipality id, or None."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    model_admin = getattr(match.func, "model_admin", None)
    object_id = match.kwargs.get("object_id")
    if model_admin is None or object_id is None:
        return None
    try:
        # Not model_admin.get_object(): it needs request.user, which is not set before the view.
        instance = model_admin.model._default_manager.filter(pk=unquote(object_id)).first()
        return municipality_of(instance)
    except Exception:  # noqa: BLE001 - an odd id or model: bump all, as before
        return None


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        if settings.PUBLIC_CACHE_SECONDS <= 0:  # PUBLIC_CACHE_SECONDS=0: off (the uncached benchmark)
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if not is_cacheable_request(request):
            # Before the view: a deleted object or a plan moved elsewhere still names its old home.
            before = edited_municipality(request) if self.may_write_admin(request) else None
            response = self.get_response(request)
            if is_admin_write(request, response):
                # After the view: a deleted object is gone, but `before` names its municipality.
                found = {before, edited_municipality(request)} - {None}
                for municipality in found:
                    bump_generation(municipality)
                if not found:  # an add, a bulk action, a municipality, a user…: reach unknown
                    bump_generation()
            return response
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

    @staticmethod
    def may_write_admin(request) -> bool:
        return request.method not in SAFE_METHODS and request.path_info.startswith("/" + settings.ADMIN_URL_PREFIX)
