"""Field validators of the plans app (run by forms, the admin and the plan import; never by save())."""

import functools
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import URLResolver, get_resolver


@functools.cache
def fixed_first_segments() -> frozenset[str]:
    """First path segments of routes that are not under a municipality (compare, sitemap.xml, pref…)."""
    found = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            # The language prefix (i18n_patterns) is no segment: its str() is the active language's.
            route = "" if type(pattern.pattern).__name__ == "LocalePrefixPattern" else str(pattern.pattern)
            route = prefix + route.lstrip("^")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route and not route.startswith("<"):
                found.add(re.split(r"[/$]", route)[0])

    walk(get_resolver().url_patterns, "")
    return frozenset(found)


def reserved_slugs() -> frozenset[str]:
    """First URL segments a municipality slug would collide with (/pref/…, /compare/…, /en/…)."""
    return fixed_first_segments() | {code for code, _ in settings.LANGUAGES}


def validate_municipality_slug(value: str) -> None:
    if value in reserved_slugs():
        raise ValidationError(
            "'%(slug)s' is a path of the portal itself; choose another slug",
            code="reserved_slug",
            params={"slug": value},
        )
