"""The API operations the console needs: a version's sources, DMN XML, dry-run validation, the directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Actor, Engine

API = "/api/v1"
ADMIN = Actor.of("admin", "管理员", ["admin"], "")
CLERK = Actor.of("clerk-1", "张三", ["clerk"], "110105/001")
BUNDLED = Path(__file__).resolve().parents[2] / "bpmn" / "micro_wish"


def _files(folder: Path) -> list[dict[str, str]]:
    return [{"name": p.relative_to(folder).as_posix(), "content": p.read_text(encoding="utf-8")}
            for p in sorted(folder.rglob("*")) if p.suffix in (".bpmn", ".dmn", ".json")]


def test_process_files_are_the_deployed_sources(client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    response = client.get(f"{API}/process-definitions/approval/files", headers=auth(CLERK))
    assert response.status_code == 200
    body = response.get_json()
    assert body["key"] == "approval" and body["version"] == 1
    names = {f["name"]: f for f in body["files"]}
    assert "approval.bpmn" in names and names["approval.bpmn"]["kind"] == "bpmn"
    assert 'id="approval"' in names["approval.bpmn"]["content"]
    assert client.get(f"{API}/process-definitions/approval/files?version=9", headers=auth(CLERK)).status_code == 404
    assert client.get(f"{API}/process-definitions/nope/files", headers=auth(CLERK)).status_code == 404


def test_dry_run_validates_without_deploying(engine: Engine, client: FlaskClient,
                                             auth: Callable[..., dict[str, str]]) -> None:
    files = _files(BUNDLED)
    ok = client.post(f"{API}/deployments/validate", headers=auth(ADMIN), json={"files": files})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["valid"] is True and "micro_wish" in ok.get_json()["processes"]
    dmn = next(f for f in files if f["name"].endswith(".dmn"))
    cell = dmn["content"].index("<text>", dmn["content"].index("<inputEntry")) + len("<text>")
    broken = dmn["content"][:cell] + "&gt;&gt; (" + dmn["content"][cell:]
    bad = client.post(f"{API}/deployments/validate", headers=auth(ADMIN),
                      json={"files": [{**f, "content": broken} if f is dmn else f for f in files]})
    assert bad.status_code == 200
    result = bad.get_json()
    assert result["valid"] is False
    problem = next(p for p in result["problems"] if p["file"] == dmn["name"])
    assert problem["element_id"] == "wish_deadline" and problem["line"]
    assert problem["target_id"] == "UnaryTests_r1_category"  # the cell the editor marks
    # Nothing was deployed by either call.
    assert all(d["key"] != "micro_wish" for d in engine.definitions())
    assert client.post(f"{API}/deployments/validate", headers=auth(CLERK), json={"files": files}).status_code == 403


def test_decision_xml_and_directory(engine: Engine, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    engine.deploy([BUNDLED])
    decision = engine.decisions()[0]["id"]
    xml = client.get(f"{API}/decisions/{decision}/xml", headers=auth(CLERK))
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert f'id="{decision}"' in xml.get_data(as_text=True)
    assert client.get(f"{API}/decisions/nope/xml", headers=auth(CLERK)).status_code == 404
    directory = client.get(f"{API}/directory", headers=auth(CLERK)).get_json()
    names = {r["path"]: r["name"] for r in directory["regions"]}
    assert names["990101/001"] == "东湖街道"
    assert directory["groups"]["grid"] == "网格员"
    assert {"code": "huanjing", "name": "生态环境分局", "group": "dept_huanjing"} in directory["departments"]
    assert client.get(f"{API}/directory").status_code == 401
