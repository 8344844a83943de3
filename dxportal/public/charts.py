"""Small server-rendered SVG charts: measures per mark as stacked bars, a numeric KPI's targets and actuals.

Geometry only (numbers for SVG attributes, no inline styles, so a strict Content-Security-Policy holds);
the templates draw it and every chart sits beside a table with the same numbers. The charts are drawn at
their own size in CSS pixels (``width`` = the viewBox width, shrinking on narrower screens), so their text
stays readable on a 390 px phone.
"""

import unicodedata

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
            inside = text_width(text) + 6 <= seg_width
            if not inside and text_width(str(n)) + 4 <= seg_width:
                text, inside = str(n), True
                # The symbol is in the table and the legend; the count stays with its segment.
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
                segment["text"] = f"{entry['symbol']}{n}"
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

WIDTH, HEIGHT, PAD = 320, 140, 28


def kpi_chart(kpi, years: list[int], by_year: dict) -> dict | None:
    """Points for an SVG line chart, or None when the KPI has fewer than two numbers to draw."""
    if kpi.kind != Indicator.Kind.NUMERIC:
        return None
    series = {"target": [], "actual": []}
    for fy in years:
        value = by_year.get(fy)
        series["target"].append(value.target_value if value else None)
        series["actual"].append(value.actual_value if value else None)
    numbers = [float(v) for s in series.values() for v in s if v is not None]
    if len(numbers) < 2:
        return None
    top = max(numbers) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(years) - 1, 1)

    def points(values):
        return " ".join(
            f"{PAD + i * step:.1f},{HEIGHT - PAD - (float(v) / top) * (HEIGHT - 2 * PAD):.1f}"
            for i, v in enumerate(values)
            if v is not None
        )

    return {
        "width": WIDTH,
        "height": HEIGHT,
        "max": top,
        "target": points(series["target"]),
        "actual": points(series["actual"]),
        "labels": [(PAD + i * step, fy) for i, fy in enumerate(years)],
        "baseline_y": HEIGHT - PAD,
    }
