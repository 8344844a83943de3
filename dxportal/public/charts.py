"""Small server-rendered SVG charts of a numeric KPI's target and actual over the years."""

from kpis.models import Indicator

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
