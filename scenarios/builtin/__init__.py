"""Built-in scenario YAML files."""
