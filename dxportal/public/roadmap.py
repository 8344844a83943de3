"""Roadmaps (ロードマップ): measures' schedules as Gantt-like rows across the plan period.

The bars are CSS classes on ordinary table cells (no inline styles, so a strict Content-Security-Policy
holds), and every cell keeps its text, so the table reads the same without colour or CSS.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.shortcuts import render

from dxportal.public.views import published_plan
from measures.models import Measure, MeasureDepartment, MeasureListing, ScheduleEntry
from plans.models import Category

# Printed cells that only draw the continuation arrow (⇒, →, ---→, ----->): shown as the ⇒ marker alone.
ARROW_CHARACTERS = set("⇒→-ー―－>＞ 　")


@dataclass
class Cell:
    fiscal_year: int
    entry: ScheduleEntry | None = None
    classes: str = ""

    @property
    def text(self) -> str:
        if self.entry is None:
            return ""
        text = self.entry.text.strip()
        return "" if self.entry.continues and set(text) <= ARROW_CHARACTERS else text


@dataclass
class ListItem:
    """A line of the phone list: one filled cell, or a run of years that only continue (⇒ 継続)."""

    cell: Cell
    last_fy: int
    new_track: bool = False  # the first line of a parallel track after the first

    @property
    def continues_only(self) -> bool:
        return bool(self.cell.entry.continues and not self.cell.text and not self.cell.entry.milestone)


@dataclass
class MeasureRoadmap:
    measure: Measure
    tracks: list[list[Cell]] = field(default_factory=list)

    def list_items(self) -> list[ListItem]:
        """The tracks as lines for phones, years that only continue the one before merged into one line."""
        items: list[ListItem] = []
        for number, cells in enumerate(self.tracks):
            previous, started = None, False
            for cell in cells:
                if cell.entry is None:
                    previous = None
                    continue
                item = ListItem(cell, cell.fiscal_year, new_track=number > 0 and not started)
                if previous and previous.continues_only and item.continues_only:
                    previous.last_fy = cell.fiscal_year
                    continue
                items.append(item)
                previous, started = item, True
        return items


def tracks(entries, fiscal_years: list[int]) -> list[list[Cell]]:
    """One list of cells per schedule row (parallel track), with bar classes for runs of filled years."""
    by_row: dict[int, dict[int, ScheduleEntry]] = defaultdict(dict)
    for entry in entries:
        by_row[entry.row][entry.fiscal_year] = entry
    result = []
    for _, by_year in sorted(by_row.items()):
        cells = [Cell(fy, by_year.get(fy)) for fy in fiscal_years]
        for index, cell in enumerate(cells):
            if cell.entry is None:
                continue
            classes = ["rm-bar"]
            if index == 0 or cells[index - 1].entry is None:
                classes.append("rm-start")
            if index == len(cells) - 1 or cells[index + 1].entry is None:
                classes.append("rm-end")
            if cell.entry.continues:
                classes.append("rm-continues")
            if cell.entry.milestone:
                classes.append("rm-milestone")
            cell.classes = " ".join(classes)
        if any(cell.entry for cell in cells):
            result.append(cells)
    return result


def plan_roadmap(plan) -> list[dict]:
    """[{category, measures: [MeasureRoadmap]}] in tree order; each measure once, under its home category.

    Five queries whatever the plan's size.
    """
    categories = list(Category.objects.filter(plan=plan).order_by("position"))
    measures = Measure.objects.for_plan(plan).prefetch_related(
        Prefetch("listings", queryset=MeasureListing.objects.filter(is_primary=True), to_attr="home_listings"),
        Prefetch("ownerships", queryset=MeasureDepartment.objects.select_related("department")),
    )
    entries = defaultdict(list)
    for entry in ScheduleEntry.objects.filter(measure__plan=plan):
        entries[entry.measure_id].append(entry)
    by_category = defaultdict(list)
    for measure in measures:
        home = measure.home_listings[0].category_id if measure.home_listings else None
        by_category[home].append(MeasureRoadmap(measure, tracks(entries[measure.pk], plan.fiscal_years)))
    return [{"category": c, "measures": by_category.get(c.pk, [])} for c in categories]


def roadmap_page(request, municipality, plan):
    return render_roadmap(request, published_plan(municipality, plan))


def render_roadmap(request, plan):
    """The roadmap of a plan already found: published, or a draft its staff preview."""
    groups = plan_roadmap(plan)
    return render(
        request,
        "plans/roadmap.html",
        {
            "plan": plan,
            "years": plan.fiscal_years,
            "groups": groups,
            "measure_count": sum(len(g["measures"]) for g in groups),
        },
    )
