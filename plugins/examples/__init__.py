"""Example third-party plugins, each packaged on its own (see its ``pyproject.toml``)."""
