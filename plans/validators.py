"""Field validators of the plans app (run by forms, the admin and the plan import; never by save())."""

from django.conf import settings
from django.core.exceptions import ValidationError


def reserved_slugs() -> frozenset[str]:
    """First URL segments a municipality slug would collide with (/pref/…, /compare/…, /en/…)."""
    from dxportal.middleware import fixed_first_segments  # the URLconf imports the models

    return fixed_first_segments() | {code for code, _ in settings.LANGUAGES}


def validate_municipality_slug(value: str) -> None:
    if value in reserved_slugs():
        raise ValidationError(
            "'%(slug)s' is a path of the portal itself; choose another slug",
            code="reserved_slug",
            params={"slug": value},
        )
