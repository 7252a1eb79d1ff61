"""Chart geometry for the report: bars and lines as numbers, drawn as inline SVG by the template.

Computing the shapes here (and leaving every text to the autoescaping template) keeps the page
free of chart libraries and keeps hostile labels out of the markup. Pixel positions are floats;
the amounts they stand for stay exact `Money`, shown beside each bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from canonical.money import Money

BAR_CHART_WIDTH = 360
LABEL_WIDTH = 150
VALUE_WIDTH = 100  # room right of the longest bar for its amount
ROW_HEIGHT = 22
COLUMN_CHART_HEIGHT = 140
LINE_CHART_WIDTH = 360
LINE_CHART_HEIGHT = 90


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    color: str


@dataclass(frozen=True, slots=True)
class BarChart:
    """Bars of one currency (or one count series): every bar shares the chart's scale."""

    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class LinePoint:
    x: float
    y: float
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class LineChart:
    title: str
    width: int
    height: int
    points: tuple[LinePoint, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _scale(value: int, largest: int, room: float) -> float:
    # A non-zero value always shows at least a sliver, so "small" never reads as "none".
    if largest <= 0 or value <= 0:
        return 0.0
    return max(2.0, room * value / largest)


def horizontal_bars(
    title: str, rows: Sequence[tuple[str, Money, str]], *, width: int = BAR_CHART_WIDTH
) -> BarChart:
    """One bar per (label, amount, colour) row of one currency, in the given order."""
    largest = max((amount.minor for _, amount, _ in rows), default=0)
    room = width - LABEL_WIDTH - VALUE_WIDTH
    bars = tuple(
        Bar(
            label=label,
            value_text=str(amount),
            x=LABEL_WIDTH,
            y=index * ROW_HEIGHT + 3,
            width=_scale(amount.minor, largest, room),
            height=ROW_HEIGHT - 6,
            color=color,
        )
        for index, (label, amount, color) in enumerate(rows)
    )
    return BarChart(title, width, max(1, len(rows)) * ROW_HEIGHT, bars)


def column_bars(
    title: str, columns: Sequence[tuple[str, Money, str]], *, width: int = BAR_CHART_WIDTH
) -> BarChart:
    """One column per (label, amount, colour), e.g. the AR aging buckets of one currency."""
    largest = max((amount.minor for _, amount, _ in columns), default=0)
    slot = width / max(1, len(columns))
    room = COLUMN_CHART_HEIGHT - 30  # leaves space for the bucket label under each column
    bars = []
    for index, (label, amount, color) in enumerate(columns):
        height = _scale(amount.minor, largest, room)
        bars.append(
            Bar(
                label=label,
                value_text=str(amount),
                x=index * slot + slot * 0.15,
                y=room - height + 4,
                width=slot * 0.7,
                height=height,
                color=color,
            )
        )
    return BarChart(title, width, COLUMN_CHART_HEIGHT, tuple(bars))


def line(title: str, values: Sequence[tuple[str, int]], *, texts: Sequence[str] = ()) -> LineChart:
    """A line through integer values (counts or minor units), labelled per point."""
    largest = max((v for _, v in values), default=0)
    smallest = min((v for _, v in values), default=0)
    span = max(1, largest - smallest)
    step = (LINE_CHART_WIDTH - 20) / max(1, len(values) - 1)
    room = LINE_CHART_HEIGHT - 20
    points = tuple(
        LinePoint(
            x=10 + index * step,
            y=10 + room - room * (value - smallest) / span,
            label=f"{name}: {_text(texts, index, value)}",
            text=_text(texts, index, value),
        )
        for index, (name, value) in enumerate(values)
    )
    return LineChart(title, LINE_CHART_WIDTH, LINE_CHART_HEIGHT, points)


def _text(texts: Sequence[str], index: int, value: int) -> str:
    return texts[index] if index < len(texts) else str(value)
