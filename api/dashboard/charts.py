"""Server-rendered SVG charts: stacked bars per 30-min slot with lines, and signed bars (imbalance).

Inputs are plain lists (kW or kWh per slot) and slot labels (JST 'HH:MM'); output is an SVG string.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

W, H, LEFT, RIGHT, TOP, BOTTOM = 960, 330, 60, 20, 30, 40


@dataclass(frozen=True)
class Series:
    """One chart series: label (bilingual), colour, values per slot (None = no value)."""

    label: str
    color: str
    values: list[float | None]


def _scale(lo: float, hi: float) -> tuple[float, float]:
    if hi - lo < 1e-9:
        hi = lo + 1.0
    pad = (hi - lo) * 0.05
    return lo - (pad if lo < 0 else 0.0), hi + pad


def _y(v: float, lo: float, hi: float) -> float:
    return TOP + (H - TOP - BOTTOM) * (1 - (v - lo) / (hi - lo))


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 x 10^k apart, about `target` intervals) inside [lo, hi]; 0 is a tick
    whenever the range spans it."""
    raw = (hi - lo) / max(1, target)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _axes(labels: list[str], lo: float, hi: float, unit: str) -> list[str]:
    parts = [f'<line x1="{LEFT}" y1="{_y(0, lo, hi):.1f}" x2="{W - RIGHT}" y2="{_y(0, lo, hi):.1f}" stroke="#555"/>']
    for v in nice_ticks(lo, hi):
        y = _y(v, lo, hi)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{v:,.0f}</text>'
        )
    step = max(1, len(labels) // 12)
    width = (W - LEFT - RIGHT) / max(1, len(labels))
    for i in range(0, len(labels), step):
        x = LEFT + width * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" font-size="11">{escape(labels[i])}</text>'
        )
    parts.append(f'<text x="8" y="{TOP - 8}" font-size="11">{escape(unit)}</text>')
    return parts


def _legend(series: list[Series], lines: list[Series]) -> str:
    items = []
    for i, s in enumerate([*series, *lines]):
        x = LEFT + (i % 4) * 220
        y = H + 14 + (i // 4) * 18
        items.append(
            f'<rect x="{x}" y="{y - 9}" width="12" height="10" fill="{s.color}"/>'
            f'<text x="{x + 16}" y="{y}" font-size="12">{escape(s.label)}</text>'
        )
    return "".join(items)


def stacked_chart(labels: list[str], stacks: list[Series], lines: list[Series], unit: str, title: str) -> str:
    """Stacked bars (positive up, negative down) per slot plus lines; an SVG document fragment."""
    n = len(labels)
    pos = [sum(max(0.0, s.values[i] or 0.0) for s in stacks) for i in range(n)]
    neg = [sum(min(0.0, s.values[i] or 0.0) for s in stacks) for i in range(n)]
    line_vals = [v for s in lines for v in s.values if v is not None]
    lo, hi = _scale(min([0.0, *neg, *line_vals]), max([0.0, *pos, *line_vals]))
    width = (W - LEFT - RIGHT) / max(1, n)
    parts = _axes(labels, lo, hi, unit)
    for i in range(n):
        up, down = 0.0, 0.0
        for s in stacks:
            v = s.values[i] or 0.0
            base = up if v >= 0 else down
            y0, y1 = _y(base, lo, hi), _y(base + v, lo, hi)
            parts.append(
                f'<rect x="{LEFT + width * i + 1:.1f}" y="{min(y0, y1):.1f}" width="{max(1.0, width - 2):.1f}"'
                f' height="{abs(y1 - y0):.1f}" fill="{s.color}"><title>{escape(labels[i])} '
                f"{escape(s.label)}: {v:,.1f}</title></rect>"
            )
            if v >= 0:
                up += v
            else:
                down += v
    for s in lines:
        points = [
            f"{LEFT + width * (i + 0.5):.1f},{_y(v, lo, hi):.1f}" for i, v in enumerate(s.values) if v is not None
        ]
        if points:
            parts.append(f'<polyline fill="none" stroke="{s.color}" stroke-width="2.5" points="{" ".join(points)}"/>')
    legend_rows = (len(stacks) + len(lines) + 3) // 4
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {W} {H + 10 + 18 * legend_rows}" width="100%">'
        f'<rect width="100%" height="100%" fill="#fff"/>{"".join(parts)}{_legend(stacks, lines)}</svg>'
    )
