"""Generations of the public page cache, one per municipality.

A cached public page carries the generations it was rendered in and is stale once one of them moves
on. A page under ``/<municipality>/`` (or ``/en/<municipality>/``) depends on the national
generation and that municipality's; every other page (home, compare, sitemap, prefecture pages:
they list several municipalities) on the national generation and the index generation.

The write path: every domain service that changes what residents see calls
``bump_after_commit(municipality)`` (a Municipality or its id) once its rows are written; when the
transaction commits, that municipality's pages and the cross-municipality pages go stale and the
other 1,740 municipalities' pages stay cached. ``bump_after_commit()`` invalidates every page (a
write whose reach is unknown, a renamed municipality). The staff admin calls the same function from
one hook (``dxportal.staff.scope``); the page cache middleware only serves and stores pages.

``bump_generation()`` moves the generations at once: for tests and tools that change rows behind
the services' back.

The generations live in the shared cache (Redis in production), so every app server sees a bump;
a lookup fetches them and the page in one round trip (MGET).
"""

import time

from django.core.cache import cache
from django.db import transaction

from plans.models import Municipality
from plans.publication import request_publication

GENERATION_KEY = "public:generation"  # national: moved by bump_generation()
INDEX_SCOPE = ""  # pages that are not under one municipality


def scope_key(scope: str) -> str:
    return "public:generation:index" if scope == INDEX_SCOPE else f"public:generation:m:{scope}"


def _fresh_generation() -> int:
    # Milliseconds, not 1: after a cache flush or eviction the new generation is larger than any a
    # surviving page was rendered in (bumps are far rarer than one a millisecond), so none passes.
    return time.time_ns() // 1_000_000


def _initial(key: str) -> int:
    cache.add(key, _fresh_generation(), timeout=None)
    return cache.get(key)


def current_generation(scope: str = INDEX_SCOPE) -> tuple[int, int]:
    """(national generation, generation of the scope: a municipality's slug, or the index)."""
    found = cache.get_many([GENERATION_KEY, scope_key(scope)])
    national = found.get(GENERATION_KEY)
    scoped = found.get(scope_key(scope))
    return (national if national is not None else _initial(GENERATION_KEY)), (
        scoped if scoped is not None else _initial(scope_key(scope))
    )


def _increment(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # the key is gone (flush, eviction, a new municipality): any fresh value is newer
        cache.set(key, _fresh_generation(), timeout=None)


def _slug(municipality) -> str:
    if hasattr(municipality, "slug"):
        return municipality.slug
    return Municipality.objects.filter(pk=municipality).values_list("slug", flat=True).first() or ""


def _keys(municipality) -> list[str]:
    slug = _slug(municipality) if municipality is not None else ""
    return [scope_key(slug), scope_key(INDEX_SCOPE)] if slug else [GENERATION_KEY]


def _bump(keys: list[str]) -> None:
    for key in keys:
        _increment(key)


def bump_generation(municipality=None) -> None:
    """Invalidate now the cached public pages of one municipality (a Municipality or its id) and the
    cross-municipality pages; with no argument (or an unknown id) every cached public page."""
    _bump(_keys(municipality))


def bump_after_commit(municipality=None) -> None:
    """Invalidate like ``bump_generation``, when the current transaction commits (at once outside one).

    After the commit, not before: a page rendered while the writing transaction is still open reads
    the old rows, and a bump before the commit would let it be cached as current. A page rendered
    after the bump reads the generations first and then the committed rows, so it is current. A
    transaction that rolls back bumps nothing. The slug is read now, while the municipality exists.
    """
    keys = _keys(municipality)
    transaction.on_commit(lambda: _bump(keys))
    # The static files too (STATIC_PUBLISH_ROOT): queued in the same transaction as the write.
    request_publication(municipality=municipality)
