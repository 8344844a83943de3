"""Generation key for the public page cache.

Any write that changes what residents see (import, publish, lock, an admin edit) calls
``bump_generation()``; cached public pages are keyed by the generation, so they go stale at once.
"""

from django.core.cache import cache

GENERATION_KEY = "public:generation"


def current_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY, 1)
    return generation


def bump_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)
