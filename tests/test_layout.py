"""The layout contract of DESIGN.md: four rules that keep the package-dir mapping safe."""

from __future__ import annotations

import ast
import json
import os
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
    for folder, package in (("bpmn", "gongzhi/bpmn"), ("plugins", "gongzhi/plugins"), ("adapters", "gongzhi/adapters")):
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


# An engine and a worker, as `gongzhi worker` builds them: default plugins, entry points on (every bundled
# adapter), a webhook subscription to a local receiver. Web stack and provider SDKs must stay unloaded
# until a channel really delivers; the delivery then loads httpx, and only httpx.
_WORKER = r"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = []

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
with open(sys.argv[1], "w", encoding="utf-8") as hooks:
    json.dump({"subscriptions": [{"id": "ops", "url": f"http://127.0.0.1:{server.server_port}/hooks",
                                  "events": ["instance.started"], "secret": "s3cret"}]}, hooks)

import gongzhi.cli
from gongzhi import SYSTEM, Engine
from gongzhi.worker import Worker

WEB = ("flask", "werkzeug")
LAZY = ("httpx", "wechatpy", "requests")

def loaded(names):
    return [name for name in names if name in sys.modules]

engine = Engine()
engine.upgrade_db()
engine.deploy()
assert engine.pm.has_plugin("open311") and engine.pm.has_plugin("wechat"), engine.pm.list_name_plugin()
assert "webhook.ops" in engine.channels
worker = Worker(engine)
worker.run_once()
before = {"web": loaded(WEB), "lazy": loaded(LAZY)}
engine.start("whistle_dispatch", SYSTEM, {
    "channel": "政务门户", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
    "case_type": "投诉", "description": "楼下餐馆油烟直排，影响居民生活", "address": "翠苑路 1 号",
    "grid": "990101/001/001/01", "reporter_name": "张三", "reporter_mobile": "13800138000",
    "urgency": "一般", "emergency": "无"}, region="990101/001/001/01")
queued = {"web": loaded(WEB), "lazy": loaded(LAZY)}
worker.run_once()
print(json.dumps({"before": before, "queued": queued, "after": {"web": loaded(WEB), "lazy": loaded(LAZY)},
                  "received": [r["type"] for r in received], "handled": worker.handled}))
"""


def test_engine_and_worker_load_no_web_stack_and_clients_only_on_delivery(tmp_path: Path) -> None:
    hooks = tmp_path / "webhooks.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update(GONGZHI_DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}", GONGZHI_ADAPTER_WEBHOOK=str(hooks),
               GONGZHI_AUDIT_CHECKPOINT_DIR=str(tmp_path / "checkpoints"), GONGZHI_INSTANCE_PATH=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", _WORKER, str(hooks)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == {"web": [], "lazy": []}  # built, migrated, deployed, one worker pass
    assert seen["queued"] == {"web": [], "lazy": []}  # a case started: deliveries queued, none sent yet
    assert seen["received"] == ["instance.started"] and seen["handled"].get("done", 0) >= 1
    assert seen["after"] == {"web": [], "lazy": ["httpx"]}  # the webhook delivery loaded httpx; no WeChat notice


def test_adapter_modules_import_no_web_stack_at_module_level() -> None:
    """Static: what an entry point loads imports neither Flask nor a client at module level (that they
    reach no internals at all is ``test_boundaries.py``'s)."""
    web_only = {"web.py", "formats.py"}  # imported by the web app when it mounts the adapters
    heavy = ("flask", "werkzeug", "httpx", "wechatpy", "requests", "pika", "nats", "alibabacloud_dysmsapi20170525",
             "alibabacloud_tea_openapi", "tencentcloud")
    eager = []
    for path in sorted((ROOT / "adapters").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["." * node.level + (node.module or "")]
            else:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if id(node) in top_level and path.name not in web_only and any(
                    n.split(".")[0] in heavy for n in names):
                eager.append(where)
    assert eager == []
