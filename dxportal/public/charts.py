"""Small server-rendered SVG charts: measures per mark as stacked bars, a numeric KPI's targets and actuals.

Geometry only (numbers for SVG attributes, no inline styles, so a strict Content-Security-Policy holds);
the templates draw it and every chart sits beside a table with the same numbers. The charts are drawn at
their own size in CSS pixels (``width`` = the viewBox width, shrinking on narrower screens), so their text
stays readable on a 390 px phone.
"""

import math
import unicodedata
from decimal import Decimal

from kpis.evaluation import interim_target, plain_number
from kpis.models import Indicator

FONT = 14  # px in the viewBox; the charts are drawn 1:1 on screens at least as wide as they are


def text_width(text: str, size: int = FONT) -> float:
    """About how wide the text is drawn: full-width characters (kanji, kana, ↗ →) one em, others 0.6 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WFA" else size * 0.6 for c in text)


def wrap(text: str, width: float, lines: int = 2, size: int = FONT) -> list[str]:
    """The text in at most ``lines`` lines of the given width (Japanese breaks anywhere); … if cut."""
    result, line = [], ""
    for char in text:
        if text_width(line + char, size) > width:
            result.append(line)
            line = ""
            if len(result) == lines:
                result[-1] = result[-1][:-1] + "…"
                return result
        line += char
    return [*result, line] if line else result


# --- measures per mark ---------------------------------------------------------------------------

BAR_WIDTH, BAR_HEIGHT, LINE = 360, 24, 18


def mark_bars(legend: list[dict], rows: list[tuple[str, dict[str, int]]], *, width: int = BAR_WIDTH) -> dict:
    """Stacked bars, one per (label, counts) row, on one scale (the largest total fills the width).

    Each row: its label (up to two lines), the bar, and each segment's symbol and count inside the segment
    where it fits, else on a line under the bar, moved right as far as needed not to overlap. Segments
    carry their legend position (``level``: 1 = best) for their fill.
    """
    top = max([sum(counts.values()) for _, counts in rows] + [1])
    scale = width / top
    y, drawn = 0.0, []
    for label, counts in rows:
        lines = wrap(label, width)
        label_y = [round(y + LINE * (i + 1) - 4, 1) for i in range(len(lines))]
        bar_y = y + LINE * len(lines) + 2
        x, segments, outside, free_x = 0.0, [], [], 0.0
        for level, entry in enumerate(legend, start=1):
            n = counts.get(entry["code"], 0)
            if not n:
                continue
            seg_width = n * scale
            text = f"{entry['symbol']}{n}"
            # Inside the segment where the symbol and count fit, else under it: never a count without its symbol.
            inside = text_width(text) + 6 <= seg_width
            segment = {
                "code": entry["code"],
                "level": level,
                "n": n,
                "x": round(x, 1),
                "width": round(seg_width, 1),
                "text": text,
                "inside": inside,
                "text_x": round(x + seg_width / 2, 1),
            }
            if not inside:
                half = text_width(segment["text"]) / 2
                centre = max(x + seg_width / 2, free_x + half)
                centre = min(centre, width - half)
                segment["text_x"] = round(centre, 1)
                free_x = centre + half + 6
                outside.append(segment)
            segments.append(segment)
            x += seg_width
        height = LINE * len(lines) + 2 + BAR_HEIGHT + (LINE + 2 if outside else 0) + 10
        drawn.append(
            {
                "lines": list(zip(label_y, lines, strict=True)),
                "bar_y": round(bar_y, 1),
                "text_y": round(bar_y + BAR_HEIGHT / 2 + FONT * 0.35, 1),
                "outside_y": round(bar_y + BAR_HEIGHT + LINE, 1),
                "segments": segments,
                "empty": not segments,
            }
        )
        y += height
    return {"width": width, "height": round(y, 1), "bar_height": BAR_HEIGHT, "rows": drawn}


# --- a numeric KPI over the years ----------------------------------------------------------------

KPI_WIDTH, KPI_HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 24, 28, 30


def nice_step(span: float, count: int = 4) -> float:
    """A 1, 2 or 5 × 10^n step that cuts the span into about ``count`` parts (the axis ticks)."""
    raw = span / count if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if raw <= m * power)


def axis_number(value: float) -> str:
    return plain_number(Decimal(str(value)))


def derived_targets(kpi, years: list[int], by_year: dict, *, scheme, plan_start_fy: int) -> list[Decimal | None]:
    """Per year: the interim target the engine judged the year's actual against when the year prints no target
    of its own (kpis.evaluation.interim_target: a cumulative KPI under a pro-rata or final scheme), else None.

    Only for years with an actual residents may see (masked values have none), as the engine derives it only
    for them; its explanation calls it 導出値.
    """
    targets = {fy: v.target_value for fy, v in by_year.items() if v and v.target_value is not None}
    result = []
    for fy in years:
        value = by_year.get(fy)
        interim = None
        if kpi.kind == Indicator.Kind.NUMERIC and fy not in targets and value and value.actual_text.strip():
            interim = interim_target(
                scheme=scheme,
                cumulative=kpi.cumulative,
                fiscal_year=fy,
                targets=targets,
                baseline_value=kpi.baseline_value,
                baseline_fy=kpi.baseline_fy,
                plan_start_fy=plan_start_fy,
            )
        result.append(interim.value if interim else None)
    return result


def kpi_chart(kpi, years: list[int], by_year: dict, derived: list | None = None) -> dict | None:
    """Points, markers and a value axis for a numeric KPI, or None when it has no number to draw.

    Targets as printed, actuals as entered, and the derived interim targets (``derived_targets``) as points of
    their own, so the chart shows them as derived. A lone point is a marker; two or more are joined by a line.
    """
    if kpi.kind != Indicator.Kind.NUMERIC:
        return None
    derived = derived or [None] * len(years)
    series: dict[str, list] = {"target": [], "actual": []}
    for fy in years:
        value = by_year.get(fy)
        series["target"].append(value.target_value if value else None)
        series["actual"].append(value.actual_value if value else None)
    numbers = [float(v) for s in [*series.values(), derived] for v in s if v is not None]
    if not numbers:
        return None
    step_value = nice_step(max(numbers) - min(0.0, min(numbers)))
    high = step_value * max(math.ceil(max(numbers) / step_value), 1)
    low = -step_value * math.ceil(-min(numbers) / step_value) if min(numbers) < 0 else 0.0
    plot_w, plot_h = KPI_WIDTH - LEFT - RIGHT, KPI_HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(years) - 1, 1)
    x_of = {fy: LEFT + (i * step if len(years) > 1 else plot_w / 2) for i, fy in enumerate(years)}

    def y(value) -> float:
        return round(TOP + plot_h - (float(value) - low) / (high - low) * plot_h, 1)

    def points(values) -> list[dict]:
        return [
            {"x": round(x_of[fy], 1), "y": y(v), "fy": fy, "text": axis_number(float(v))}
            for fy, v in zip(years, values, strict=True)
            if v is not None
        ]

    ticks = [low + step_value * i for i in range(round((high - low) / step_value) + 1)]
    target_points, actual_points = points(series["target"]), points(series["actual"])
    return {
        "id": f"kpi-chart-{kpi.pk}",
        "width": KPI_WIDTH,
        "height": KPI_HEIGHT,
        "left": LEFT,
        "right": KPI_WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + plot_h,
        "unit": kpi.unit,
        "ticks": [{"y": y(t), "text": axis_number(t)} for t in ticks],
        "years": [{"x": round(x_of[fy], 1), "fy": fy} for fy in years],
        "target": target_points,
        "actual": actual_points,
        "derived": points(derived),
        "target_line": " ".join(f"{p['x']},{p['y']}" for p in target_points) if len(target_points) > 1 else "",
        "actual_line": " ".join(f"{p['x']},{p['y']}" for p in actual_points) if len(actual_points) > 1 else "",
    }
