"""A small inline SVG chart of time to correction (p50/p95/p99 per bucket), no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shopify_odoo.engine.dashboard import ChartPoint

WIDTH = 480
HEIGHT = 140
PAD = 28


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    css: str
    points: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    series: tuple[Series, ...]
    top: float
    start: str
    end: str
    samples: int

    @property
    def empty(self) -> bool:
        return self.samples == 0


def ttc_chart(points: Sequence[ChartPoint]) -> Chart:
    values = [v for p in points for v in (p.p50, p.p95, p.p99) if v is not None]
    top = max(values, default=0.0) or 1.0
    span = max(1, len(points) - 1)

    def xy(i: int, v: float) -> str:
        x = PAD + (WIDTH - 2 * PAD) * i / span
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v / top)
        return f"{x:.1f},{y:.1f}"

    series = []
    for name, css, attr in (("p50", "s50", "p50"), ("p95", "s95", "p95"), ("p99", "s99", "p99")):
        pts = [xy(i, v) for i, p in enumerate(points) if (v := getattr(p, attr)) is not None]
        series.append(Series(name, css, " ".join(pts)))
    return Chart(
        WIDTH,
        HEIGHT,
        tuple(series),
        top,
        points[0].at.strftime("%H:%M") if points else "",
        points[-1].at.strftime("%H:%M") if points else "",
        sum(p.count for p in points),
    )
