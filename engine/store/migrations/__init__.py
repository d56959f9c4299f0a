"""Alembic migrations (package data; ``env.py`` is run by Alembic, not imported)."""
