"""Pieces of public pages rendered once per distinct value rather than once per table cell.

A plan page has hundreds of mark cells, yet at most five distinct badges, and its measures share a
handful of distinct rows of yearly marks (most have none yet). Rendering ``plans/_mark.html`` for
each cell would cost most of the page's time, so each distinct badge and each distinct row of cells
is rendered once, from its template, in the active language. The templates stay the one definition
of the markup.
"""

from django.template.loader import render_to_string


class MarkBadges(dict):
    """``badges[code]``: the rendered ``plans/_mark.html`` for the plan's mark code ('' for no mark)."""

    def __init__(self, plan):
        super().__init__()
        self.plan = plan

    def __missing__(self, code):
        html = render_to_string("plans/_mark.html", {"plan": self.plan, "code": code}) if code else ""
        self[code] = html
        return html


class MarkCells(dict):
    """``cells[codes]``: the rendered ``plans/_mark_cells.html``, one ``<td>`` per year, for a tuple of
    mark codes ('' for a year without a mark)."""

    def __init__(self, plan):
        super().__init__()
        self.badges = MarkBadges(plan)

    def __missing__(self, codes: tuple[str, ...]):
        html = render_to_string("plans/_mark_cells.html", {"badges": [self.badges[code] for code in codes]})
        self[codes] = html
        return html
