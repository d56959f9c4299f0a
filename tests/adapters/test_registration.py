"""Adapters are plugins: found through the ``gongzhi`` entry points, mounted under /adapters/{name}/, replaceable."""

from __future__ import annotations

from pathlib import Path

import pytest
from gongzhi import SYSTEM, ConfigurationError
from gongzhi.adapters import hotline12345, open311, webhook, wechat
from gongzhi.adapters.open311 import Open311Adapter
from gongzhi.store.models import Job
from sqlalchemy import func, select

INTAKE = {"channel": "政务门户", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
          "case_type": "投诉", "description": "楼下餐馆油烟直排，影响居民生活", "address": "翠苑路 1 号",
          "grid": "990101/001/001/01", "reporter_name": "张三", "reporter_mobile": "13800138000",
          "urgency": "一般", "emergency": "无"}


def install_distribution(root: Path, name: str, entry_points: str) -> None:
    """What ``pip install`` leaves behind for a package with entry points (metadata only; the code is importable)."""
    info = root / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def test_a_third_party_adapter_is_found_through_its_entry_point(whistle_engine, app_for, tmp_path, monkeypatch) -> None:
    install_distribution(tmp_path / "site", "gongzhi-noticeboard",
                         "[gongzhi]\nnoticeboard = gongzhi.adapters.examples.noticeboard:plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    engine = whistle_engine(adapter_noticeboard={"kiosk_keys": ["kiosk-7"], "grid": "990101/001/002/01"})
    assert engine.pm.has_plugin("noticeboard")
    client = app_for(engine).test_client()
    report = {"report_no": "K7-0001", "text": "3 号楼电梯停运两天了", "mobile": "13800138000", "address": "湖畔小区 3 号楼"}
    first = client.post("/adapters/noticeboard/reports", json=report, headers={"X-Kiosk-Key": "kiosk-7"})
    again = client.post("/adapters/noticeboard/reports", json=report, headers={"X-Kiosk-Key": "kiosk-7"})
    assert first.status_code == 201 and first.get_json() == again.get_json()
    assert client.post("/adapters/noticeboard/reports", json=report).status_code == 401
    status = client.get("/adapters/noticeboard/reports/K7-0001", headers={"X-Kiosk-Key": "kiosk-7"}).get_json()
    assert status["open"] is True and status["stage"].startswith("办理中")
    engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01")  # not a kiosk case
    engine.run_due_jobs()
    from gongzhi.adapters.examples.noticeboard import plugin as kiosk

    assert [d["kind"] for d in kiosk.delivered] == ["start"]
    # Disabled by name, it is gone.
    off = whistle_engine(disable=["noticeboard"])
    assert not off.pm.has_plugin("noticeboard")
    assert app_for(off).test_client().get("/adapters/noticeboard/reports/K7-0001").status_code == 404


def test_two_adapters_with_one_name_stop_the_start_and_one_replaces_the_other(whistle_engine, app_for) -> None:
    class AcmeOpen311(Open311Adapter):
        """Acme's own Open311 endpoint (a third party's replacement)."""

        def blueprint(self, engine):  # type: ignore[no-untyped-def]
            bp = super().blueprint(engine)
            bp.add_url_rule("/acme.json", "acme", lambda: {"vendor": "acme"})
            return bp

    def make_acme() -> AcmeOpen311:
        acme = AcmeOpen311({"api_keys": {"k": "acme"}})
        acme.__name__ = "acme_open311"  # its plugin name (an entry point's name, when installed)
        return acme

    both = whistle_engine(Open311Adapter({}), make_acme())
    with pytest.raises(ConfigurationError) as exc:
        app_for(both)
    assert "gongzhi.adapters.open311" in str(exc.value) and "acme_open311" in str(exc.value)
    replaced = whistle_engine(Open311Adapter({}), make_acme(), disable=["gongzhi.adapters.open311"])
    client = app_for(replaced).test_client()
    assert client.get("/adapters/open311/acme.json").get_json() == {"vendor": "acme"}
    assert client.get("/adapters/open311/services.json").status_code == 200


def test_unconfigured_adapters_mount_but_accept_and_send_nothing(whistle_engine, app_for) -> None:
    modules = [open311, hotline12345, wechat, webhook]
    engine = whistle_engine(*[m.plugin for m in modules])
    client = app_for(engine).test_client()
    assert set(client.application.extensions["gongzhi_adapters"]) == {"open311", "hotline12345", "wechat", "webhook"}
    assert client.get("/adapters/open311/services.json").status_code == 200
    assert client.post("/adapters/open311/requests.json", data={"service_code": "HJ-YY"}).status_code == 403
    refused = client.post("/adapters/hotline12345/work-orders", json={}, headers={"Authorization": "Bearer x"})
    assert refused.status_code == 503
    assert client.post("/adapters/wechat/callback").status_code == 503
    engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01")
    with engine.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "delivery")) == 0


def test_the_process_profile_names_the_process_and_the_variables_that_summarise_a_case(whistle_engine) -> None:
    from gongzhi.adapters.cases import CaseProfile, pick, summarize

    bundled = CaseProfile.bundled()
    assert bundled.process_key == "whistle_dispatch" and bundled.summary.resolved == "case_record.resolved"
    assert pick({"r": {"ds": [{"d": "a"}, {"d": "b"}, "x"]}}, "r.ds[].d") == ["a", "b"] and pick({}, "a.b") is None
    for bad, message in (({}, "process_key is required"), ({"process_key": "p", "summary": {"colour": "x"}},
                                                          "unknown keys"),
                         ({"process_key": "p", "summary": {"resolved": 3}}, "must be variable paths")):
        with pytest.raises(ConfigurationError, match=message):
            CaseProfile.from_dict(bad, "adapter_x.process")
    bare = {"process_key": "whistle_dispatch", "summary": {"places": "location"}}  # no place groups named
    adapter = Open311Adapter({"process": bare})
    engine = whistle_engine(adapter)
    assert adapter.process_key == "whistle_dispatch" and adapter.profile.summary.place_groups == {}
    view = engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01")
    groups = [g for t in view.open_tasks for g in t.candidate_groups[:1]]
    named, raw = summarize(engine, view), summarize(engine, view, adapter.profile)
    assert named.agency and named.agency not in groups  # the bundled profile names the unit (翠苑社区 ...)
    assert raw.agency == "、".join(dict.fromkeys(groups))  # without place groups only the group is known


def test_adapters_learn_the_caller_from_the_app_that_mounts_them() -> None:
    from gongzhi.adapters.web import ACTOR_EXTENSION as adapters_side
    from gongzhi.api.portal_adapters import ACTOR_EXTENSION as app_side

    assert adapters_side == app_side
