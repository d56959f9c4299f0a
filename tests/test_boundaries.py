"""Who may import what (an AST check): plugins and adapters use the public surface only, and the
DMN/FEEL engine stands alone. What adapters may import at module level (no web stack, no clients)
is checked in ``test_layout.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAPPING = {"engine": "gongzhi", "plugins": "gongzhi.plugins", "adapters": "gongzhi.adapters"}
# The public surface (CHANGELOG.md and the README say the same): ``gongzhi``'s own names, the
# documented helper modules, and the bundled plugins and adapters themselves.
PUBLIC = ("gongzhi.calendar", "gongzhi.clock", "gongzhi.humanize", "gongzhi.grid", "gongzhi.rules",
          "gongzhi.security.macs", "gongzhi.plugins", "gongzhi.adapters")


def _module_of(path: Path) -> tuple[str, bool]:
    folder, *rest = path.relative_to(ROOT).with_suffix("").parts
    parts = [MAPPING[folder], *rest]
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (relative imports resolved), with its line."""
    module, is_package = _module_of(path)
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def _files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts)


def _public(name: str, own: str) -> bool:
    if name == "gongzhi" or name.startswith(own + "."):
        return True
    parent = name.rpartition(".")[0]  # "gongzhi.X" from "from gongzhi import X": a name of gongzhi's
    return parent == "gongzhi" and _module_path(name) is None or any(name == p or name.startswith(p + ".") for p in PUBLIC)


def _module_path(name: str) -> Path | None:
    """The file or folder of a gongzhi module, or None when ``name`` is not one (a class, a function)."""
    for package, folder in sorted(((v, k) for k, v in MAPPING.items()), key=lambda kv: -len(kv[0])):
        if name == package or name.startswith(package + "."):
            rest = name[len(package):].lstrip(".").split(".") if name != package else []
            base = ROOT / folder / Path(*rest) if rest else ROOT / folder
            return base if base.is_dir() or base.with_suffix(".py").exists() else None
    return None


@pytest.mark.parametrize("folder", ["plugins", "adapters"])
def test_plugins_and_adapters_use_only_the_public_surface(folder: str) -> None:
    own = MAPPING[folder]
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in _files(folder) for line, name in imports(p)
             if name.startswith("gongzhi") and not _public(name, own)]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_reach_into_the_internals() -> None:
    names = [name for _, name in imports(ROOT / "plugins" / "whistle" / "reports.py")]
    assert "gongzhi" in names  # the check reads the files it guards
    assert not _public("gongzhi.store.models", "gongzhi.plugins") and not _public("gongzhi.runtime", "gongzhi.plugins")
    assert _public("gongzhi.Report", "gongzhi.plugins") and _public("gongzhi.humanize.name_of", "gongzhi.plugins")


def test_rules_depend_only_on_errors() -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in _files("engine/rules") for line, name in imports(p)
             if name.startswith("gongzhi.") and not (name.startswith("gongzhi.rules") or name.startswith("gongzhi.errors"))]
    assert not wrong, "\n".join(wrong)
