"""The public page cache: a rendered page stored under its language, host and path, valid for the
generations it was rendered in (``plans.generations``)."""

import hashlib

from django.conf import settings
from django.core.cache import cache

from plans.generations import GENERATION_KEY, INDEX_SCOPE, current_generation, scope_key


def page_key(language: str, host: str, full_path: str) -> str:
    # The host too: the sitemaps and robots.txt name it, and a site may answer to more than one.
    digest = hashlib.sha256(f"{host}{full_path}".encode()).hexdigest()[:32]
    return f"public:page:{language}:{digest}"


def lookup(key: str, scope: str = INDEX_SCOPE):
    """(current generations, the page stored under key or None) in one round trip to the cache.

    A page carries the generations it was rendered in (national, scope); from older ones it is stale.
    """
    found = cache.get_many([GENERATION_KEY, scope_key(scope), key])
    national, scoped = found.get(GENERATION_KEY), found.get(scope_key(scope))
    if national is None or scoped is None:
        return current_generation(scope), None
    generation = (national, scoped)
    page = found.get(key)
    return generation, page if page is not None and page.generation == generation else None


def store(key: str, page) -> None:
    cache.set(key, page, timeout=settings.PUBLIC_CACHE_SECONDS)
