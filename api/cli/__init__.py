"""The `ems` command line: one Typer app; each command group lives in its own module here.

Command modules register themselves on import; add one import line per module below.
"""

from __future__ import annotations

from api.cli.app import app

# Command groups (each module adds its commands to `app` on import).
from api.cli import scenario as _scenario  # noqa: F401  isort: skip
from api.cli import service as _service  # noqa: F401  isort: skip
from api.cli import users as _users  # noqa: F401  isort: skip
from api.cli import outage as _outage  # noqa: F401  isort: skip
from api.cli import devices as _devices  # noqa: F401  isort: skip
from api.cli import plan as _plan  # noqa: F401  isort: skip
from api.cli import forecast as _forecast  # noqa: F401  isort: skip
from api.cli import backtest as _backtest  # noqa: F401  isort: skip
from api.cli import invest as _invest  # noqa: F401  isort: skip
from api.cli import market as _market  # noqa: F401  isort: skip

__all__ = ["app"]
