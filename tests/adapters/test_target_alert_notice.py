"""The escalation-target alert (考核预警) travels like every notice kind: the alert instance's
``whistle.notify`` call reaches the notify channel through the outbox, and its route (channel per
kind and group) sends it — here to a fake WeCom API (``gettoken``, ``message/send``, errcodes as
documented) reached through wechatpy's own configurable endpoint.
"""

from __future__ import annotations

import pytest
from gongzhi import SYSTEM
from gongzhi.adapters.notify import NotifyAdapter
from gongzhi.plugins.whistle import Directory
from gongzhi.plugins.whistle.targets import check_targets, names_of_directory

pytest.importorskip("wechatpy")

from .test_notify import FakeWeCom  # noqa: E402  (the WeCom server API as documented)

INTAKE = {"channel": "政务门户", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
          "case_type": "投诉", "description": "楼下餐馆油烟直排", "address": "翠苑路 1 号",
          "grid": "990101/001/001/01", "reporter_name": "张三", "reporter_mobile": "13800138000",
          "urgency": "一般", "emergency": "无"}


def test_a_target_alert_goes_out_on_the_channel_its_kind_is_routed_to(whistle_engine, driver, local_server) -> None:
    wecom = FakeWeCom(users=("duchashi",))
    server = local_server(wecom)
    notify = NotifyAdapter({  # no process_keys: the default includes the alert process
        "contacts": {"district": [{"id": "DC-01", "mobile": "139 0000 4001", "wecom": "duchashi"}]},
        "routes": [{"kinds": ["考核预警"], "groups": ["district"], "channels": ["wecom"]}],
        "default_channels": ["wecom"],
        "wecom": {"corp_id": "ww-corp", "secret": "wecom-secret", "agent_id": 1000002,
                  "api_base_url": server.url + "/cgi-bin/"}})
    engine = whistle_engine(notify)
    run = driver(engine)
    for _ in range(5):  # five dispatches to 生态环境分局, signed, none finished: 办结率 0%
        iid = engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01").id
        run.whistle(iid)
        run.sign(iid)
    result = check_targets(engine, level="部门", names=names_of_directory(Directory.load()),
                           region_of_district="990101")
    [opened] = result.opened
    engine.run_due_jobs()

    [message] = wecom.messages
    assert message["touser"] == "duchashi" and message["msgtype"] == "text"
    assert message["text"]["content"] == "【考核预警】11月份 生态环境分局 办结率 0%，低于目标 98%"
    sent = [(r.kind, r.group, r.channel, r.outcome) for r in notify.records if r.instance_id == opened["instance_id"]]
    assert sent == [("考核预警", "district", "wecom", "sent")]

    check_targets(engine, level="部门", names=names_of_directory(Directory.load()), region_of_district="990101")
    engine.run_due_jobs()
    assert len(wecom.messages) == 1  # the same breach: nothing more goes out
