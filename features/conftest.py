"""The behaviour specs' plumbing: the step vocabulary, a fresh engine per scenario, readable ids, the report.

- ``features/steps`` is loaded as a package under a private name (``features/``
  is not a package, and the repository root never goes on ``sys.path``), and
  every step it defines is made visible here, so every feature file can use it.
- ``world``: per scenario, a copy of one SQLite database prepared once per run
  (schema + the bundled definitions), an ``Engine`` on a ``MovableClock`` that
  starts on Monday 2025-03-03 09:00 China time, and the Flask test client of
  ``gongzhi.api.create_app``.
- Test ids are the scenario names as written (Chinese, digits, punctuation).
- Each run writes the Cucumber JSON (``reports/features.json`` unless
  ``--cucumberjson`` names another file) and the Chinese HTML page
  ``reports/features.html`` (``features/report.py`` can also rebuild it).
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from gongzhi import Engine, MovableClock, bpmn_package_path
from gongzhi.api import create_app

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKAGE = "gongzhi_features_steps"
STEP_MODULES = tuple(sorted(p.stem for p in (HERE / "steps").glob("*.py") if p.stem != "__init__"))
# Monday 2025-03-03 09:00 China time: a plain working week ahead.
START = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)
# The bundled flows the specs run. Open311 (adapters/open311) joins when it lands.
FLOWS = ("whistle", "consultation", "micro_wish", "property", "party", "grid")


def load_steps() -> Any:
    """Import ``features/steps`` as the package ``gongzhi_features_steps`` (once per process)."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(PACKAGE, HERE / "steps" / "__init__.py",
                                                      submodule_search_locations=[str(HERE / "steps")])
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = module
        spec.loader.exec_module(module)
    return sys.modules[PACKAGE]


load_steps()
_STEPS = [importlib.import_module(f"{PACKAGE}.{name}") for name in STEP_MODULES]
for _module in _STEPS:  # make each step's fixture visible to every feature under this folder
    for _name, _value in vars(_module).items():
        if _name.startswith("pytestbdd_"):
            assert _name not in globals(), f"two step modules define the same step: {_name}"
            globals()[_name] = _value

world_module = importlib.import_module(f"{PACKAGE}.world")


# --- the world -------------------------------------------------------------------------------


def _plugins(outbox: Any) -> list[Any]:
    from gongzhi.plugins.consultation import ConsultationPlugin
    from gongzhi.plugins.party import PartyPlugin
    from gongzhi.plugins.property import PropertyPlugin
    from gongzhi.plugins.whistle import WhistlePlugin

    from gongzhi.adapters.open311 import Open311Adapter

    from gongzhi.adapters.hotline12345 import HotlineAdapter

    open311 = Open311Adapter(importlib.import_module(f"{PACKAGE}.open311").open311_settings())
    hotline = HotlineAdapter(importlib.import_module(f"{PACKAGE}.hotline").hotline_settings())
    return [WhistlePlugin(notifier=outbox), ConsultationPlugin(), PropertyPlugin(notifier=outbox), PartyPlugin(), open311,
            hotline]


def _engine(url: str, clock: MovableClock, outbox: Any) -> Engine:
    return Engine({"database_url": url, "disable_plugins": ["whistle", "consultation", "property", "party", "open311",
                                                          "hotline12345"]}, clock=clock,
                  plugins=_plugins(outbox))


@pytest.fixture(scope="session")
def prepared_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file with the schema and the bundled definitions, copied for each scenario."""
    from gongzhi.plugins.whistle import Outbox

    folder = tmp_path_factory.mktemp("features-template")
    path = folder / "template.sqlite3"
    engine = _engine(f"sqlite:///{path}", MovableClock(START), Outbox())
    try:
        engine.upgrade_db()
        engine.deploy([bpmn_package_path() / flow for flow in FLOWS])
    finally:
        engine.close()
    return folder


@pytest.fixture
def world(prepared_database: Path, tmp_path: Path) -> Iterator[Any]:
    from gongzhi.plugins.whistle import Outbox

    for source in prepared_database.iterdir():  # the database and any WAL/SHM companions
        shutil.copy(source, tmp_path / source.name)
    clock, outbox = MovableClock(START), Outbox()
    engine = _engine(f"sqlite:///{tmp_path / 'template.sqlite3'}", clock, outbox)
    # Every scenario's database is a copy of the same one, so the versions (and their ids) are the
    # same: share the parsed definitions instead of parsing the BPMN again for each scenario.
    if _REPOSITORY:
        engine.repository = _REPOSITORY[0]
    else:
        _REPOSITORY.append(engine.repository)
    app = create_app(engine=engine, setup=False)
    current = world_module.World(engine=engine, clock=clock, client=app.test_client(),
                                 glossary=_glossary(), outbox=outbox)
    try:
        yield current
    finally:
        engine.close()


_GLOSSARY: list[Any] = []
_REPOSITORY: list[Any] = []


def _glossary() -> Any:
    if not _GLOSSARY:
        _GLOSSARY.append(world_module.Glossary())
    return _GLOSSARY[0]


# --- readable test ids ----------------------------------------------------------------------------


def pytest_itemcollected(item: pytest.Item) -> None:
    """Show each scenario by its own name (and an outline's example values) instead of a mangled one.

    Runs as each item is collected, before ``-k`` selects; the feature's name and file name
    are keywords too: ``pytest features/ -k 微心愿``.
    """
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    if not str(getattr(item, "path", "")).startswith(str(HERE)):
        return
    function = getattr(item, "function", None)
    template = scenario_wrapper_template_registry.get(function) if function else None
    if template is None:
        return
    label = template.name
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "_pytest_bdd_example" in callspec.params:
        example = callspec.params["_pytest_bdd_example"]
        filled = label
        for key, value in example.items():
            filled = filled.replace(f"<{key}>", value)
        label = filled if filled != label else f"{label}[{'-'.join(example.values())}]"
    stem = Path(template.feature.filename).stem
    item.name = label
    item.extra_keyword_matches.update({stem, template.feature.name or stem})
    _set_nodeid(item, f"{item.nodeid.split('::')[0]}::{stem}::{label}")


def _set_nodeid(item: pytest.Item, nodeid: str) -> None:
    """pytest 9 keeps a structured ``_id``; earlier versions a plain ``_nodeid``."""
    if hasattr(item, "_id"):
        item._id = type(item._id).parse(nodeid)  # type: ignore[attr-defined]
    else:
        item._nodeid = nodeid  # type: ignore[attr-defined]


# --- the report -------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    if config.option.collectonly or hasattr(config, "workerinput"):
        return
    if getattr(config, "_bddcucumberjson", None) is None:
        from pytest_bdd.cucumber_json import LogBDDCucumberJSON

        (ROOT / "reports").mkdir(exist_ok=True)
        config._bddcucumberjson = LogBDDCucumberJSON(str(ROOT / "reports" / "features.json"))  # type: ignore[attr-defined]
        config.pluginmanager.register(config._bddcucumberjson)  # type: ignore[attr-defined]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    log = getattr(session.config, "_bddcucumberjson", None)
    if log is None or not log.features:
        return
    spec = importlib.util.spec_from_file_location("gongzhi_features_report", HERE / "report.py")
    assert spec and spec.loader
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    target = ROOT / "reports" / "features.html"
    target.parent.mkdir(exist_ok=True)
    target.write_text(report.render(list(log.features.values())), encoding="utf-8")
