"""步骤词典 — the step vocabulary for the Chinese behaviour specs in ``features/``.

``features/conftest.py`` loads this folder as a package (``features/`` itself is
not a package and the repository root is never on ``sys.path``) and makes every
step it defines visible to all feature files.

- ``vocabulary.py``: ``词("...")``, the decorator every step uses; its
  template text is what ``features/README.md`` must document;
- ``world.py``: the engine, the HTTP client, the people and the current case;
- ``values.py``: how the text in a step or a table becomes a value;
- ``people_time.py``, ``cases.py``, ``checks.py``: the steps.
"""
