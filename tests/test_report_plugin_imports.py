"""The bundled report plugins and the example plugin use ``gongzhi``'s public names only (checked on the AST)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Public helper modules besides ``gongzhi`` itself (documented in the README's "Writing a report plugin").
PUBLIC = {"gongzhi", "gongzhi.calendar", "gongzhi.clock", "gongzhi.humanize"}
INTERNAL = ("gongzhi.store", "gongzhi.runtime", "gongzhi.api", "sqlalchemy", "flask")
FILES = [*sorted((ROOT / "plugins").glob("*/reports.py")), ROOT / "plugins" / "property" / "records.py",
         *sorted((ROOT / "plugins" / "examples").rglob("*.py"))]


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_report_code_reads_through_public_names(path: Path) -> None:
    modules = imported(path)
    inside = {m for m in modules if m == "gongzhi" or m.startswith("gongzhi.")}
    assert not [m for m in modules if m.startswith(INTERNAL)], path
    assert inside <= PUBLIC | {m for m in inside if m.startswith("gongzhi.plugins.")}, inside - PUBLIC


def test_the_check_sees_the_files() -> None:
    assert len(FILES) >= 5 and all(p.exists() for p in FILES)
