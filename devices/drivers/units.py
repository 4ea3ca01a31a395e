"""Conversions from decoded register values to capability values (W → kW, numbers only)."""

from __future__ import annotations


def kw(value: float | int | str | None) -> float | None:
    """A value in W as kW; None for sentinels (None) and non-numbers."""
    return float(value) / 1000.0 if isinstance(value, (int, float)) else None


def number(value: float | int | str | None) -> float | None:
    """A numeric value as float; None for sentinels (None) and non-numbers."""
    return float(value) if isinstance(value, (int, float)) else None
