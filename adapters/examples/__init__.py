"""Examples for third parties: ``noticeboard/`` is a complete adapter, packaged by ``pyproject.toml`` here."""
