"""Geometry of the compliance charts (inline SVG drawn by templates/deposit/_compliance_*_chart.html).

Plain arithmetic, no queries: bars per publisher stacked by outcome, columns per month stacked the same way.
Coordinates are computed left-to-right and mirrored for right-to-left pages (``rtl``): the bars then grow from the
right, the names stand on the right and the first month is the rightmost column. Text anchors stay as they are:
the SVG is drawn with ``direction="rtl"``, which turns "start" and "end" round with the coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kitabkhana.deposit.compliance import OUTCOMES

WIDTH = 720
# A segment narrower than this (in SVG units) carries no number inside it; the table and its tooltip still do.
MIN_LABEL_WIDTH = 22


@dataclass(frozen=True)
class Segment:
    outcome: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    show_label: bool

    @property
    def badge_width(self) -> int:
        """The white box the number is written on (readable over any pattern): 7 units a digit, plus a margin."""
        return 7 * len(str(self.value)) + 6

    @property
    def badge_x(self) -> float:
        return round(self.label_x - self.badge_width / 2, 1)

    @property
    def badge_y(self) -> float:
        return round(self.label_y - 8, 1)


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    segments: list[Segment]
    # Where the name (or month) and the total are written; with many months only every few are named.
    show_label: bool
    label_x: float
    label_y: float
    total_x: float
    total_y: float


@dataclass(frozen=True)
class Tick:
    value: int
    x1: float
    y1: float
    x2: float
    y2: float
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    rtl: bool
    # How the names, the totals and the scale's numbers are anchored (SVG text-anchor).
    label_anchor: str = "end"
    total_anchor: str = "start"
    tick_anchor: str = "middle"
    # Bars left out of the chart (the table still lists them).
    left_out: int = 0

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"


def _ticks(maximum: int) -> list[int]:
    """Up to about five whole-number steps from 0 to at least ``maximum``."""
    if maximum <= 0:
        return [0]
    step = 1
    while maximum / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if maximum / step <= 5:
                break
    top = -(-maximum // step) * step
    return list(range(0, top + 1, step))


def _mirror(x: float, width: float, rtl: bool) -> float:
    return round(WIDTH - x - width if rtl else x, 1)


def _point(x: float, rtl: bool) -> float:
    return round(WIDTH - x if rtl else x, 1)


def bar_chart(rows: Sequence, *, rtl: bool = False, label_width: int = 200, bar_height: int = 22,
              gap: int = 10, limit: int = 25) -> Chart:
    """One horizontal bar per row (``row.name`` and its outcome counts), stacked on time → pending.

    Only the ``limit`` rows with the most titles due are drawn (largest first); ``left_out`` says how many were not.
    """
    drawn = sorted((r for r in rows if sum(getattr(r, o) for o in OUTCOMES)),
                   key=lambda r: -sum(getattr(r, o) for o in OUTCOMES))[:limit]
    left_out = sum(1 for r in rows if sum(getattr(r, o) for o in OUTCOMES)) - len(drawn)
    top, axis = 8, 24
    plot_left, plot_right = label_width + 8, WIDTH - 48
    plot_width = plot_right - plot_left
    values = _ticks(max((sum(getattr(r, o) for o in OUTCOMES) for r in drawn), default=0))
    scale = plot_width / values[-1] if values[-1] else 0
    bars = []
    for n, row in enumerate(drawn):
        y = top + n * (bar_height + gap)
        x = plot_left
        segments = []
        for name in OUTCOMES:
            value = getattr(row, name)
            width = value * scale
            if value:
                segments.append(Segment(
                    outcome=name, value=value, x=_mirror(x, width, rtl), y=y, width=round(width, 1),
                    height=bar_height, label_x=_point(x + width / 2, rtl), label_y=y + bar_height / 2,
                    show_label=width >= MIN_LABEL_WIDTH,
                ))
            x += width
        total = sum(getattr(row, o) for o in OUTCOMES)
        bars.append(Bar(label=row.name, total=total, segments=segments, show_label=True,
                        label_x=_point(plot_left - 8, rtl), label_y=y + bar_height / 2, total_x=_point(x + 6, rtl),
                        total_y=y + bar_height / 2))
    plot_bottom = top + len(drawn) * (bar_height + gap)
    ticks = [Tick(value=v, x1=_point(plot_left + v * scale, rtl), y1=top - 4, x2=_point(plot_left + v * scale, rtl),
                  y2=plot_bottom, label_x=_point(plot_left + v * scale, rtl), label_y=plot_bottom + 14)
             for v in values] if drawn else []
    return Chart(width=WIDTH, height=plot_bottom + axis, bars=bars, ticks=ticks, rtl=rtl, left_out=left_out)


def column_chart(months: Sequence, *, rtl: bool = False, plot_height: int = 220) -> Chart:
    """One column per month (``month.month.label`` and its outcome counts), stacked on time → pending upwards."""
    top, plot_left, plot_right = 12, 44, WIDTH - 8
    plot_bottom = top + plot_height
    slot = (plot_right - plot_left) / max(len(months), 1)
    column = min(40.0, slot * 0.7)
    values = _ticks(max((sum(getattr(m, o) for o in OUTCOMES) for m in months), default=0))
    scale = plot_height / values[-1] if values[-1] else 0
    # Many months: name every few of them so the labels do not overlap.
    every = max(1, -(-len(months) // 18))
    bars = []
    for n, row in enumerate(months):
        x = plot_left + n * slot + (slot - column) / 2
        y = plot_bottom
        segments = []
        for name in OUTCOMES:
            value = getattr(row, name)
            height = value * scale
            if value:
                y -= height
                segments.append(Segment(
                    outcome=name, value=value, x=_mirror(x, column, rtl), y=round(y, 1), width=round(column, 1),
                    height=round(height, 1), label_x=_point(x + column / 2, rtl), label_y=round(y + height / 2, 1),
                    show_label=height >= 18 and column >= MIN_LABEL_WIDTH,
                ))
        total = sum(getattr(row, o) for o in OUTCOMES)
        bars.append(Bar(label=row.month.label, total=total, segments=segments, show_label=n % every == 0,
                        label_x=_point(x + column / 2, rtl), label_y=plot_bottom + 16,
                        total_x=_point(x + column / 2, rtl), total_y=round(y - 5, 1)))
    ticks = []
    for v in values:
        y = round(plot_bottom - v * scale, 1)
        ticks.append(Tick(value=v, x1=_point(plot_left, rtl), y1=y, x2=_point(plot_right, rtl), y2=y,
                          label_x=_point(plot_left - 6, rtl), label_y=y))
    return Chart(width=WIDTH, height=plot_bottom + 28, bars=bars, ticks=ticks, rtl=rtl, label_anchor="middle",
                 total_anchor="middle", tick_anchor="end")
