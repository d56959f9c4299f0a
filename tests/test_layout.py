"""The layout contract of DESIGN.md: four rules that keep the package-dir mapping safe."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import gongzhi

ROOT = Path(__file__).resolve().parents[1]
MAPPING = {"engine": "gongzhi", "plugins": "gongzhi.plugins", "adapters": "gongzhi.adapters", "bpmn": "gongzhi.bpmn"}


def _package_folders() -> dict[str, Path]:
    """Every folder under the mapped roots that holds Python or definition files, by dotted name."""
    found = {}
    for folder, package in MAPPING.items():
        root = ROOT / folder
        for path in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
            rel = path.relative_to(root).parts
            if any(part.startswith((".", "__")) or part in ("node_modules", "forms") for part in rel):
                continue
            if path != root and not any(path.glob("*.py")) and not any(path.glob("*.bpmn")) and not any(path.glob("*.dmn")):
                continue
            found[".".join([package, *rel])] = path
    return found


def test_rule1_every_mapped_folder_is_a_package() -> None:
    missing = [str(p.relative_to(ROOT)) for p in _package_folders().values() if not (p / "__init__.py").exists()]
    assert missing == []


def test_rule2_engine_has_no_colliding_names() -> None:
    # Static web files (the console's vendored bpmn.css, bpmn.woff) are never imported: they cannot shadow a package.
    clashes = [p for p in (ROOT / "engine").rglob("*") if p.stem in ("plugins", "adapters", "bpmn")
               and "static" not in p.relative_to(ROOT / "engine").parts]
    assert clashes == []


def test_rule3_pyproject_lists_every_subpackage() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == set(_package_folders())
    assert config["package-dir"] == {v: k for k, v in MAPPING.items()}


def test_rule3_built_wheel_contains_every_folder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "dist", "instance", "*.sqlite3*", "node_modules")
    shutil.copytree(ROOT, src, ignore=ignore)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("gongzhi-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    packages = {str(Path(n).parent).replace("/", ".") for n in names if n.endswith("__init__.py")}
    assert packages == set(_package_folders())
    # Definition files travel as package data, and nothing from the repo root leaks in as a top-level package.
    data = (".bpmn", ".dmn", ".json", ".yaml")
    for folder, package in (("bpmn", "gongzhi/bpmn"), ("plugins", "gongzhi/plugins")):
        shipped = {f"{package}/{p.relative_to(ROOT / folder).as_posix()}" for p in (ROOT / folder).rglob("*")
                   if p.suffix in data and "__pycache__" not in p.parts}
        assert shipped and shipped <= set(names), shipped - set(names)
    assert not any(n.split("/")[0] in ("engine", "plugins", "adapters", "bpmn", "tests") for n in names)
    assert "gongzhi/store/migrations/versions/0001_initial_schema.py" in names
    # The console's front end travels whole: its modules, styles, page shell and vendored libraries.
    console = ROOT / "engine" / "console"
    bundled = {f"gongzhi/console/{p.relative_to(console).as_posix()}" for folder in ("static", "templates")
               for p in (console / folder).rglob("*") if p.is_file()}
    assert "gongzhi/console/static/vendor/bpmn-js/bpmn-modeler.production.min.js" in bundled
    assert bundled <= set(names), sorted(bundled - set(names))[:5]


def test_rule4_repo_root_is_not_on_sys_path() -> None:
    assert str(ROOT) not in [str(Path(p).resolve()) for p in sys.path if p]
    assert "plugins" not in sys.modules and "engine" not in sys.modules and "adapters" not in sys.modules
    assert not (ROOT / "conftest.py").exists()


def test_public_names_match_all() -> None:
    public = {name for name in vars(gongzhi) if not name.startswith("_") and name not in ("annotations", "Path")}
    modules = {name for name in public if type(getattr(gongzhi, name)).__name__ == "module"}
    assert set(gongzhi.__all__) - {"__version__"} == public - modules


def test_runtime_never_imports_flask() -> None:
    code = "import sys, gongzhi, gongzhi.runtime.engine, gongzhi.cli; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"
