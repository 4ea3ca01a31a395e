"""The engine's version, in one place: the installed package's metadata (set in `pyproject.toml`)."""

from __future__ import annotations

import logging
from functools import cache
from importlib import metadata

log = logging.getLogger(__name__)

DISTRIBUTION = "yamaguchi-ems"
UNKNOWN = "0+unknown"


@cache
def package_version() -> str:
    """The version of the installed `yamaguchi-ems` distribution, e.g. "0.1.0".

    Read from the package metadata that `pip install` writes from `pyproject.toml`, so OpenAPI, `ems --version`
    and /api/v1/health agree. A source tree that was never installed has no metadata: "0+unknown" is returned
    and a warning logged (install the project with `pip install -e .`).
    """
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        log.warning("package %s is not installed: version unknown (run `pip install -e .`)", DISTRIBUTION)
        return UNKNOWN
