"""The one place investment planning hands its candidate evaluations and verifications to a task runner.

`run_evaluations(fn, items, label)` maps `fn` over `items` and returns the results in order. Until the batch
module (runtime/batch.py, Dask) is on main it runs them in this process, one after the other; the sizing
loop calls only this function, so switching to Dask is a change here alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


def run_evaluations(
    fn: Callable[[T], R],
    items: Sequence[T],
    label: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """fn over items, in order; on_progress(done, total) after each."""
    out = []
    for k, item in enumerate(items, start=1):
        out.append(fn(item))
        if on_progress is not None:
            on_progress(k, len(items))
    log.info("%s: %d tasks in process", label, len(items))
    return out
