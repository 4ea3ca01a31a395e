"""Load scenarios from YAML: user files and the built-in ones shipped in ``scenarios/builtin/``.

Schema errors (pydantic) and consistency problems (checks) are both reported as one ScenarioError
whose problems carry paths like ``facilities[3].batteries[0].capacity_kwh``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scenarios.checks import Problem, ScenarioError, check_scenario
from scenarios.model import Scenario

BUILTIN_PACKAGE = "scenarios.builtin"
# libyaml's loader parses the Yamaguchi scenario about 8x faster than PyYAML's pure-Python one (the bulk of
# `ems scenario list`); the pure-Python loader, whose errors show the line with a caret, explains bad files.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MESSAGES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "missing": "is required",
    "extra_forbidden": "unknown field; remove it or check its spelling",
}


def _format_loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(root)"


def _message(error: Any) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return str(error["msg"]).removeprefix("Value error, ")
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (error.get("ctx") or {}).items()}
    return template.format(**ctx)


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    """Turn a pydantic ValidationError into located problems."""
    return [Problem(_format_loc(tuple(e["loc"])), _message(e)) for e in exc.errors()]


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Validate a mapping (parsed YAML) into a consistent Scenario; ScenarioError lists every problem."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem("(root)", "expected a mapping with 'name' and 'facilities'")], source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc), source) from None
    return check_scenario(scenario, source)


def parse_yaml(text: str) -> Any:
    """Plain data of a YAML text (safe types only); yaml.YAMLError with the line and a caret if it is invalid."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506  a SafeLoader (libyaml's or PyYAML's)
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises again, with PyYAML's located message


def load_scenario_file(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    file = Path(path)
    if not file.is_file():
        raise ScenarioError([Problem("(file)", f"no such file: {file}")], str(file))
    try:
        data = parse_yaml(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem("(yaml)", f"not valid YAML: {exc}")], str(file)) from None
    return parse_scenario(data, str(file))


def builtin_names() -> list[str]:
    """Names of the built-in scenarios."""
    root = resources.files(BUILTIN_PACKAGE)
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def builtin_data(name: str) -> Any:
    """The parsed YAML (plain data) of a built-in scenario, e.g. to derive a variant from it."""
    if name not in builtin_names():
        raise KeyError(f"no built-in scenario '{name}'; choose one of {', '.join(builtin_names())}")
    text = resources.files(BUILTIN_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_yaml(text)


def load_builtin(name: str) -> Scenario:
    """Load a built-in scenario by name (e.g. 'yamaguchi', 'tiny')."""
    return parse_scenario(builtin_data(name), f"builtin:{name}")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a YAML file by path."""
    text = str(name_or_path)
    if text in builtin_names():
        return load_builtin(text)
    return load_scenario_file(text)
