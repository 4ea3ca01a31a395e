"""Real public data files (see SOURCES.md)."""
