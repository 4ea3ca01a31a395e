"""A figure of backtest skill by lead time (matplotlib Figure API: Agg to a file, no display, no pyplot)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure


def plot_skill(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """One panel per backtest: RMSE skill vs persistence by lead bucket for each model; returns the PNG path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(4.2 * len(tables), 3.6))
    axes = fig.subplots(1, len(tables), squeeze=False, sharey=True)
    for ax, (name, table) in zip(axes[0], tables.items(), strict=True):
        leads = list(dict.fromkeys(table["lead"]))
        for model, group in table[table["model"] != "persistence"].groupby("model", sort=False):
            skill = group.set_index("lead")["skill"].reindex(leads)
            ax.plot(range(len(leads)), skill.to_numpy(), marker="o", label=str(model))
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xticks(range(len(leads)), leads, rotation=45, ha="right", fontsize=8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("lead time")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    axes[0][0].set_ylabel("RMSE skill vs persistence")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
