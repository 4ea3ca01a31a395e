"""The YAML reader of scenarios: libyaml's fast loader gives the same data; bad YAML is explained with its line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from scenarios.checks import ScenarioError
from scenarios.loader import builtin_names, load_scenario_file, parse_yaml


@pytest.mark.parametrize("name", builtin_names())
def test_fast_loader_reads_the_builtins_as_pyyaml_does(name: str) -> None:
    text = resources.files("scenarios.builtin").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    assert parse_yaml(text) == yaml.safe_load(text)


def test_only_safe_types_are_constructed() -> None:
    with pytest.raises(yaml.YAMLError, match="python/object"):
        parse_yaml("!!python/object/apply:os.system ['true']")


def test_bad_yaml_names_the_line_with_a_caret(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nfacilities: [a, b\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    (problem,) = info.value.problems
    assert problem.path == "(yaml)"
    assert "not valid YAML" in problem.message
    assert "line 2" in problem.message
    assert "^" in problem.message  # PyYAML's own located message, not libyaml's terser one
