"""The gongzhi command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import jwt
from click.testing import CliRunner

from gongzhi.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def test_validate_passes_and_fails_naming_the_element(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["--database-url", f"sqlite:///{tmp_path}/x.sqlite3", "validate", str(FIXTURES / "approval")])
    assert ok.exit_code == 0, ok.output
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURES / "approval", broken)
    bpmn = broken / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('bpmnElement="archive"', 'bpmnElement="gone"'), encoding="utf-8")
    bad = runner.invoke(main, ["--database-url", f"sqlite:///{tmp_path}/x.sqlite3", "validate", str(broken)])
    assert bad.exit_code == 1
    assert "approval.bpmn:" in bad.output and "[archive]" in bad.output and "没有图形" in bad.output


def test_db_upgrade_and_deploy(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    assert runner.invoke(main, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    first = runner.invoke(main, ["--database-url", url, "deploy", str(FIXTURES / "approval")])
    assert first.exit_code == 0 and "新版本" in first.output and "approval v1" in first.output
    again = runner.invoke(main, ["--database-url", url, "deploy", str(FIXTURES / "approval")])
    assert "未变化" in again.output and "新版本" not in again.output


def test_token(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GONGZHI_SECRET_KEY", "a-test-secret-that-is-long-enough-for-hs256")
    runner = CliRunner()
    out = runner.invoke(main, ["token", "--sub", "u1", "--groups", "street,clerk", "--region", "110105/001"])
    claims = jwt.decode(out.output.strip(), "a-test-secret-that-is-long-enough-for-hs256", algorithms=["HS256"])
    assert (claims["sub"], claims["groups"], claims["region"]) == ("u1", ["clerk", "street"], "110105/001")
    admin = jwt.decode(runner.invoke(main, ["token", "--admin"]).output.strip(), "a-test-secret-that-is-long-enough-for-hs256", algorithms=["HS256"])
    assert admin["groups"] == ["admin"] and admin["region"] == ""
    city = runner.invoke(main, ["token", "--sub", "c1", "--groups", "leader", "--region", "110105/001,110105/002"])
    claims = jwt.decode(city.output.strip(), "a-test-secret-that-is-long-enough-for-hs256", algorithms=["HS256"])
    assert claims["regions"] == ["110105/001", "110105/002"]
    for bad in (["--groups", "clerk"], ["--groups", "clerk", "--region", "110105/%"]):  # no region; a wildcard
        refused = runner.invoke(main, ["token", "--sub", "u2", *bad])
        assert refused.exit_code == 1 and refused.stdout == "", bad


def test_token_refuses_the_development_secret_unless_dev(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gongzhi.config import DEFAULT_SECRET_KEY

    monkeypatch.delenv("GONGZHI_SECRET_KEY", raising=False)
    refused = CliRunner().invoke(main, ["token", "--admin"])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "GONGZHI_SECRET_KEY" in refused.stderr and "--dev" in refused.stderr and "secrets.token_hex" in refused.stderr
    dev = CliRunner().invoke(main, ["token", "--admin", "--dev"])
    assert dev.exit_code == 0 and "警告" in dev.stderr
    assert jwt.decode(dev.stdout.strip(), DEFAULT_SECRET_KEY, algorithms=["HS256"])["groups"] == ["admin"]


def test_token_refuses_a_short_secret(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GONGZHI_SECRET_KEY", "abc")
    refused = CliRunner().invoke(main, ["token", "--sub", "u1", "--region", "110105"])
    assert refused.exit_code == 1 and "3 字节" in refused.stderr and "32" in refused.stderr


def test_decide_single_and_batch(tmp_path: Path) -> None:
    import orjson

    from gongzhi import bpmn_package_path

    dmn = str(bpmn_package_path() / "micro_wish" / "micro_wish_rules.dmn")
    runner = CliRunner()
    one = runner.invoke(main, ["decide", dmn, "--decision", "微心愿办理时限", "--input", '{"category": "助老", "urgent": false}'])
    assert one.exit_code == 0 and orjson.loads(one.output) == {"result": 3, "matched_rules": ["DecisionRule_elderly"]}
    batch = runner.invoke(main, ["decide", dmn, "--decision", "wish_deadline", "--input", "-"],
                          input='{"category": "就医", "urgent": true}\n\n{"category": "其他", "urgent": false}\n[1]\n')
    answers = [orjson.loads(line) for line in batch.output.splitlines()]
    assert answers[:2] == [{"result": 1, "matched_rules": ["DecisionRule_urgent"]},
                           {"result": 7, "matched_rules": ["DecisionRule_other"]}]
    assert "error" in answers[2] and batch.exit_code == 1
    unknown = runner.invoke(main, ["decide", dmn, "--decision", "nope", "--input", "{}"])
    assert unknown.exit_code == 1 and "wish_deadline" in unknown.output
