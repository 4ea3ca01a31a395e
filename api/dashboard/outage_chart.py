"""Server-rendered SVG timeline of an outage plan: one row per shelter across the outage hours, each 30-min slot
coloured served / partly shed / dark, a blue strip under the slots an EV supplies, and the hour the shelter
first goes dark (first slot with shed critical load) marked in red.

Inputs are plain lists per slot; times are JST labels of the slot starts ('MM/DD HH:MM': the axis shows the
clock at each tick and the date where it changes); hours count from the outage start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

W, LEFT, RIGHT, TOP, ROW, GAP = 960, 200, 120, 46, 20, 8
COLORS = {"served": "#16a34a", "partial": "#f59e0b", "dark": "#1f2937"}
LABELS = {
    "served": "供給",
    "partial": "一部遮断",
    "dark": "停電",
    "ev": "EV 給電",
    "first_dark": "停電開始",
    "no_dark": "停電なし",
}
"""The default (Japanese) labels; the dashboard passes its catalogue's labels of the same keys."""


@dataclass(frozen=True)
class TimelineRow:
    """One shelter: id, display label, state per slot ('served' | 'partial' | 'dark'), EV supplying per slot,
    hours from the outage start to the first shortfall (None = never dark)."""

    shelter_id: str
    label: str
    states: list[str]
    ev: list[bool]
    dark_hour: float | None


def _runs(values: list[str] | list[bool]) -> list[tuple[int, int, str | bool]]:
    """(first, end, value) of each run of equal consecutive values."""
    runs: list[tuple[int, int, str | bool]] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i, values[start]))
            start = i
    return runs


def _tick_hours(total_h: float) -> float:
    for step in (1.0, 2.0, 3.0, 6.0, 12.0):
        if total_h / step <= 12:
            return step
    return 24.0


def _axis(total_h: float, slot_hours: float, times: list[str], bottom: float) -> list[str]:
    width = W - LEFT - RIGHT
    step = _tick_hours(total_h)
    parts, h, day = [], 0.0, ""
    while h <= total_h + 1e-9:
        x = LEFT + width * h / total_h
        date, _, clock = times[min(round(h / slot_hours), len(times) - 1)].rpartition(" ")
        if h < total_h and date != day:  # the date above the first tick and wherever the day changes
            parts.append(
                f'<text x="{x:.1f}" y="{TOP - 32}" text-anchor="middle" font-size="10" fill="#555">'
                f"{escape(date)}</text>"
            )
            day = date
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#d1d5db"/>'
            f'<text x="{x:.1f}" y="{TOP - 20}" text-anchor="middle" font-size="11">+{h:g} h</text>'
            f'<text x="{x:.1f}" y="{TOP - 8}" text-anchor="middle" font-size="10" fill="#555">'
            f"{escape(clock if h < total_h else '')}</text>"
        )
        h += step
    return parts


def _row(
    r: TimelineRow, y: float, slot_w: float, slot_hours: float, times: list[str], labels: Mapping[str, str]
) -> str:
    parts = [
        f'<text x="{LEFT - 8}" y="{y + ROW / 2 + 4:.1f}" text-anchor="end" font-size="12">{escape(r.label)}</text>'
    ]
    for first, end, state in _runs(r.states):
        label = labels.get(str(state), str(state))
        parts.append(
            f'<rect class="slot-{escape(str(state))}" x="{LEFT + slot_w * first:.2f}" y="{y:.1f}" '
            f'width="{slot_w * (end - first):.2f}" height="{ROW - 5}" fill="{COLORS.get(str(state), "#999")}">'
            f"<title>{escape(times[first])}–{first * slot_hours:g}..{end * slot_hours:g} h: "
            f"{escape(label)}</title></rect>"
        )
    for first, end, on in _runs(r.ev):
        if on:
            parts.append(
                f'<rect class="ev-support" x="{LEFT + slot_w * first:.2f}" y="{y + ROW - 4:.1f}" '
                f'width="{slot_w * (end - first):.2f}" height="4" fill="#2563eb"/>'
            )
    if r.dark_hour is None:
        note = f'<tspan fill="#15803d">{escape(labels["no_dark"])}</tspan>'
    else:
        x = LEFT + slot_w * r.dark_hour / slot_hours
        parts.append(
            f'<line class="dark-at" x1="{x:.1f}" y1="{y - 2:.1f}" x2="{x:.1f}" y2="{y + ROW:.1f}" '
            'stroke="#dc2626" stroke-width="2.5"/>'
        )
        note = f'<tspan fill="#b91c1c">{escape(labels["dark"])} +{r.dark_hour:g} h</tspan>'
    parts.append(f'<text x="{W - RIGHT + 8}" y="{y + ROW / 2 + 4:.1f}" font-size="11">{note}</text>')
    dark = "" if r.dark_hour is None else f"{r.dark_hour:g}"
    return f'<g class="timeline-row" data-shelter="{escape(r.shelter_id)}" data-dark-hour="{dark}">{"".join(parts)}</g>'


def _legend(y: float, labels: Mapping[str, str]) -> str:
    items = [
        *((COLORS[k], labels[k]) for k in ("served", "partial", "dark")),
        ("#2563eb", labels["ev"]),
        ("#dc2626", labels["first_dark"]),
    ]
    return "".join(
        f'<rect x="{LEFT + i * 150}" y="{y:.1f}" width="12" height="10" fill="{c}"/>'
        f'<text x="{LEFT + i * 150 + 16}" y="{y + 9:.1f}" font-size="12">{escape(t)}</text>'
        for i, (c, t) in enumerate(items)
    )


def timeline_chart(
    rows: list[TimelineRow], slot_hours: float, times: list[str], title: str, labels: Mapping[str, str] | None = None
) -> str:
    """The timeline SVG: rows of equal length n_slots = len(times); `times` are JST labels of the slot starts;
    `labels` (keys of LABELS) in the page's language."""
    labels = {**LABELS, **(labels or {})}
    n = len(times)
    if n == 0 or any(len(r.states) != n or len(r.ev) != n for r in rows):
        raise ValueError("timeline: every row needs one state and one EV flag per slot")
    total_h = n * slot_hours
    slot_w = (W - LEFT - RIGHT) / n
    bottom = TOP + len(rows) * (ROW + GAP)
    parts = _axis(total_h, slot_hours, times, bottom)
    parts += [_row(r, TOP + k * (ROW + GAP), slot_w, slot_hours, times, labels) for k, r in enumerate(rows)]
    height = bottom + 30
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {W} {height:.0f}" width="100%"><rect width="100%" height="100%" fill="#fff"/>'
        f"{''.join(parts)}{_legend(bottom + 10, labels)}</svg>"
    )
