"""Generation key for the public page cache.

Any write that changes what residents see (import, publish, lock, an admin edit) calls
``bump_generation()``; a cached public page carries the generation it was rendered in, so every
page goes stale at once.
The generation lives in the shared cache (Redis in production), so every app server sees a bump.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "public:generation"


def _fresh_generation() -> int:
    # Milliseconds, not 1: after a cache flush or eviction the new generation is larger than any a
    # surviving page was rendered in (bumps are far rarer than one a millisecond), so none passes.
    return time.time_ns() // 1_000_000


def current_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def _increment() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # the key is gone (flush, eviction): any fresh value is newer than it was
        cache.set(GENERATION_KEY, _fresh_generation(), timeout=None)


def bump_generation() -> None:
    """Invalidate every cached public page, now and again when the current transaction commits.

    The second bump closes a race: a page rendered between the first bump and the commit still
    shows the old rows and would otherwise be cached under the new generation.
    """
    _increment()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_increment)


def page_key(language: str, full_path: str) -> str:
    digest = hashlib.sha256(full_path.encode()).hexdigest()[:32]
    return f"public:page:{language}:{digest}"


def lookup(key: str):
    """(current generation, the page stored under key or None) in one round trip to the cache.

    A page carries the generation it was rendered in; one from an older generation is stale.
    """
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        return current_generation(), None
    page = found.get(key)
    return generation, page if page is not None and page.generation == generation else None


def store(key: str, page) -> None:
    cache.set(key, page, timeout=settings.PUBLIC_CACHE_SECONDS)
