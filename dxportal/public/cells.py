"""Pieces of public pages built once per page rather than once per table cell.

A plan page has hundreds of mark cells and a link per measure. Rendering ``plans/_mark.html`` or
reversing a URL for each costs most of the page's time, yet there are at most five distinct badges and
every measure URL differs only in its key. The output is exactly what the per-cell template and
``{% url %}`` produce; ``plans/_mark.html`` stays the one definition of a badge.
"""

from urllib.parse import quote

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

# What django.urls.reverse leaves unquoted in a path (RFC 3986 pchar).
_SAFE = RFC3986_SUBDELIMS + "/~:@"


class MarkBadges(dict):
    """``badges[code]``: the rendered ``plans/_mark.html`` for the plan's mark code ('' for no mark).

    Each code is rendered on first use, in the active language, so a page renders at most five badges.
    """

    def __init__(self, plan):
        super().__init__()
        self.plan = plan

    def __missing__(self, code):
        html = render_to_string("plans/_mark.html", {"plan": self.plan, "code": code}) if code else ""
        self[code] = html
        return html


def measure_url_maker(plan):
    """A function key -> the measure page URL, the same string as ``reverse("measure", ...)``.

    Reverses once, then appends the key quoted as reverse() quotes it. A key reverse() would reject
    (empty, or with a slash) goes through reverse() itself, so it fails the same way.
    """
    municipality = plan.municipality.slug
    base = reverse("measure", args=[municipality, plan.slug, "-"])[: -len("-/")]

    def url(key: str) -> str:
        if not key or "/" in key:
            return reverse("measure", args=[municipality, plan.slug, key])
        return f"{base}{quote(key, safe=_SAFE)}/"

    return url
