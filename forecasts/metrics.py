"""Forecast accuracy: MAE, RMSE, normalised MAE and skill against a reference, overall and by lead time.

Conventions: errors are forecast - actual in the series' unit (kW or W/m²). nMAE = MAE / normaliser (the
mean of the actual values unless a capacity is given; dimensionless). Skill = 1 - RMSE_model / RMSE_reference
over the same pairs (1 = perfect, 0 = no better than the reference, negative = worse). Pairs with a NaN
on any side are dropped before any statistic, so every figure uses one common sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scores:
    """Accuracy of one forecast on n pairs (unit of the data; nmae and skill dimensionless)."""

    n: int
    mae: float
    rmse: float
    nmae: float
    skill: float


def _clean(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    stacked = np.vstack([np.asarray(a, dtype=float) for a in arrays])
    keep = np.isfinite(stacked).all(axis=0)
    return tuple(row[keep] for row in stacked)


def mae(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Mean absolute error over the finite pairs."""
    f, a = _clean(forecast, actual)
    return float(np.mean(np.abs(f - a))) if len(f) else float("nan")


def rmse(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Root mean square error over the finite pairs."""
    f, a = _clean(forecast, actual)
    return float(np.sqrt(np.mean((f - a) ** 2))) if len(f) else float("nan")


def scores(forecast: np.ndarray, actual: np.ndarray, reference: np.ndarray, capacity: float | None = None) -> Scores:
    """MAE, RMSE, nMAE and RMSE skill vs ``reference`` on the pairs where all three are finite."""
    f, a, r = _clean(forecast, actual, reference)
    if not len(f):
        nan = float("nan")
        return Scores(0, nan, nan, nan, nan)
    err_mae = float(np.mean(np.abs(f - a)))
    err_rmse = float(np.sqrt(np.mean((f - a) ** 2)))
    ref_rmse = float(np.sqrt(np.mean((r - a) ** 2)))
    norm = capacity if capacity is not None else float(np.mean(np.abs(a)))
    nmae = err_mae / norm if norm > 0 else float("nan")
    skill = 1.0 - err_rmse / ref_rmse if ref_rmse > 0 else float("nan")
    return Scores(len(f), err_mae, err_rmse, nmae, skill)


def scores_by_lead(
    pairs: pd.DataFrame,
    models: list[str],
    reference: str = "persistence",
    capacity: float | None = None,
    extra_references: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per (lead bucket, model) from a pairs table.

    ``pairs`` has columns ``lead`` (a label such as '1-3 h'), ``actual``, ``reference`` and one column per model.
    The result has columns lead, model, n, mae, rmse, nmae, skill (RMSE skill against ``reference``, which
    itself scores 0) and one more skill column per entry of ``extra_references`` (output column -> reference
    model, e.g. {'skill_smart': 'smart_persistence'}), each on the same pairs. Every reference is also scored
    as a model row of its own.
    """
    others = extra_references or {}
    rows = []
    listed = list(dict.fromkeys([*models, *others.values(), reference]))
    for lead, bucket in pairs.groupby("lead", sort=False):
        finite = np.isfinite(bucket[list(dict.fromkeys([reference, *others.values()]))].to_numpy(dtype=float)).all(
            axis=1
        )
        group = bucket[finite]  # one common sample for every skill column of the bucket
        actual = group["actual"].to_numpy()
        for model in listed:
            forecast = group[model].to_numpy()
            s = scores(forecast, actual, group[reference].to_numpy(), capacity)
            row = {
                "lead": lead,
                "model": model,
                "n": s.n,
                "mae": s.mae,
                "rmse": s.rmse,
                "nmae": s.nmae,
                "skill": s.skill,
            }
            for column, other in others.items():
                row[column] = scores(forecast, actual, group[other].to_numpy(), capacity).skill
            rows.append(row)
    return pd.DataFrame(rows)
