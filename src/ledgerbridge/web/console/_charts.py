"""The dashboard's charts, drawn on the server as SVG: no JavaScript, no chart library.

Two shapes cover the dashboard (issue 7): :func:`columns` (operations per minute, stacked by
outcome, against the rate ceiling) and :func:`bars` (errors by code, backlog per record
type). Both return markup that scales with its container (``viewBox``), carries a text
alternative for screen readers (``role="img"`` and ``aria-label``) and a ``<title>`` per mark
for the pointer; colours come from the console's stylesheet (``.tone-*`` classes), so the
charts follow its palette.

Everything a caller passes is escaped: a record type or an error code is data, not markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

__all__ = ["Bar", "Column", "Series", "bars", "columns", "nice_ceiling"]

#: the drawing area of a column chart, in SVG units (the chart scales to its box)
_WIDTH: Final = 720
_HEIGHT: Final = 240
_LEFT: Final = 44
_BOTTOM: Final = 28
_TOP: Final = 22
_RIGHT: Final = 8
#: a limit more than this many times the busiest column is not drawn to scale
_FAR: Final = 4
#: one row of a bar chart, and the room its label takes
_ROW: Final = 28
_LABEL: Final = 180

#: value -> SVG y coordinate
_Scale = Callable[[float], float]


@dataclass(frozen=True)
class Series:
    """One stacked part of every column: its name in the legend and its colour class."""

    name: str
    tone: str


@dataclass(frozen=True)
class Column:
    """One column: its axis label (may be empty) and one value per series, in order."""

    label: str
    values: tuple[int, ...]
    #: what the pointer shows for the column (its label when empty)
    title: str = ""

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart."""

    label: str
    value: int
    tone: str = "neutral"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (axis tops)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop ends at 10


def columns(
    data: Sequence[Column],
    series: Sequence[Series],
    *,
    title: str,
    limit: float | None = None,
    limit_label: str = "",
) -> Markup:
    """Stacked columns, one per entry of ``data``, with an optional dashed ``limit`` line.

    A limit far above the data (more than :data:`_FAR` times the busiest column) would
    flatten every column to nothing: the axis then follows the data, and the limit is said
    in words at the top, with how much of it the busiest column used.
    """
    if any(len(column.values) != len(series) for column in data):
        raise ValueError("every column needs one value per series")
    peak = max([c.total for c in data] + [0])
    far = limit is not None and limit > _FAR * max(peak, 1)
    top = nice_ceiling(max([peak, 1] + ([] if far or limit is None else [limit])))
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(data), 1)

    def y(value: float) -> float:
        return _TOP + plot_h - plot_h * value / top

    parts = [_axis(top, y)]
    for index, column in enumerate(data):
        parts.append(_stack(column, series, _LEFT + index * slot, slot, y))
    if limit is not None and far:
        used = 100 * peak / limit
        parts.append(
            f'<text class="limit-label" x="{_WIDTH - _RIGHT}" y="{_TOP - 4}" '
            f'text-anchor="end">{escape(limit_label)} ↑ off the scale: the busiest minute '
            f"used {used:.1f} %</text>"
        )
    elif limit is not None:
        at = y(limit)
        parts.append(
            f'<line class="limit" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{at:.1f}" '
            f'y2="{at:.1f}"/><text class="limit-label" x="{_WIDTH - _RIGHT}" '
            f'y="{at - 4:.1f}" text-anchor="end">{escape(limit_label)}</text>'
        )
    total = sum(c.total for c in data)
    label = f"{title}: {total} in {len(data)} columns" + (
        f"; {limit_label}" if limit is not None else ""
    )
    return _svg("chart chart-columns", _WIDTH, _HEIGHT, label, "".join(parts))


def _axis(top: float, y: _Scale) -> str:
    """Horizontal grid lines with their values: 0, half and the top."""
    lines = []
    for value in (0.0, top / 2, top):
        at = y(value)
        lines.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{at:.1f}" y2="{at:.1f}"/>'
            f'<text class="tick" x="{_LEFT - 6}" y="{at + 4:.1f}" text-anchor="end">'
            f"{_short(value)}</text>"
        )
    return "".join(lines)


def _stack(column: Column, series: Sequence[Series], x: float, slot: float, y: _Scale) -> str:
    width = max(slot * 0.7, 1.0)
    left = x + (slot - width) / 2
    parts = []
    base = 0
    for part, value in zip(series, column.values, strict=True):
        if value <= 0:
            continue
        top, bottom = y(base + value), y(base)
        parts.append(
            f'<rect class="tone-{escape(part.tone)}" x="{left:.1f}" y="{top:.1f}" '
            f'width="{width:.1f}" height="{bottom - top:.1f}"><title>'
            f"{escape(column.title or column.label)} {escape(part.name)}: {value}</title></rect>"
        )
        base += value
    if column.label:
        parts.append(
            f'<text class="tick" x="{x + slot / 2:.1f}" y="{_HEIGHT - 8}" '
            f'text-anchor="middle">{escape(column.label)}</text>'
        )
    return "".join(parts)


def bars(data: Sequence[Bar], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, one row each, longest scale first as given (sort before)."""
    height = max(len(data), 1) * _ROW + 8
    top = max([bar.value for bar in data] + [1])
    room = _WIDTH - _LABEL - 80
    rows = []
    for index, bar in enumerate(data):
        y = 4 + index * _ROW
        length = room * bar.value / top
        rows.append(
            f'<text class="bar-label" x="{_LABEL - 8}" y="{y + 18}" text-anchor="end">'
            f"{escape(_clip(bar.label))}</text>"
            f'<rect class="tone-{escape(bar.tone)}" x="{_LABEL}" y="{y + 4}" '
            f'width="{max(length, 1.5):.1f}" height="{_ROW - 10}" rx="3"><title>'
            f"{escape(bar.label)}: {bar.value}{escape(unit)}</title></rect>"
            f'<text class="bar-value" x="{_LABEL + length + 6:.1f}" y="{y + 18}">'
            f"{bar.value}{escape(unit)}</text>"
        )
    label = f"{title}: " + (
        ", ".join(f"{bar.label} {bar.value}" for bar in data) if data else "none"
    )
    return _svg("chart chart-bars", _WIDTH, height, label, "".join(rows))


def _svg(css: str, width: int, height: int, label: str, body: str) -> Markup:
    return Markup(
        f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _short(value: float) -> str:
    """An axis number without noise: 1500 -> 1.5k."""
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def _clip(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
