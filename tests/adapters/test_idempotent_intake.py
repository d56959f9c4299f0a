"""Idempotent intake: 500 duplicate deliveries, 10 at a time concurrently, make exactly one case per external id."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from gongzhi import SYSTEM
from gongzhi.adapters.hotline12345 import HotlineAdapter
from gongzhi.adapters.open311 import Open311Adapter

API_KEY = "k-dup"
TOKEN = "hotline-token"
IDS = 50
COPIES = 10  # every report is delivered 10 times, all 10 at the same moment


def open311_form(n: int) -> dict[str, str]:
    return {"api_key": API_KEY, "service_code": "HJ-YY", "address_string": f"翠苑路 {n} 号", "phone": "13800138000",
            "description": f"第 {n} 号楼下餐馆油烟直排", "external_id": f"app-{n:04d}",
            "attribute[grid]": "990101/001/001/01"}


def hotline_order(n: int) -> dict[str, Any]:
    return {"order_no": f"GD{n:08d}", "category": ["生态环境", "餐饮油烟", "油烟直排"], "case_type": "投诉",
            "content": f"第 {n} 号楼下餐馆油烟直排", "address": f"翠苑路 {n} 号", "grid": "990101/001/001/01",
            "caller": {"name": "张三", "mobile": "13800138000"}}


def test_duplicates_delivered_concurrently_make_one_case_each(whistle_engine, app_for, serve) -> None:
    engine = whistle_engine(Open311Adapter({"api_keys": {API_KEY: "app"}}), HotlineAdapter({"token": TOKEN}))
    base = serve(app_for(engine))
    http = httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=COPIES))

    def deliver(n: int, barrier: threading.Barrier) -> tuple[int, Any]:
        barrier.wait()
        if n % 2:
            response = http.post("/adapters/open311/requests.json", data=open311_form(n))
            return response.status_code, response.json()
        response = http.post("/adapters/hotline12345/work-orders", json=hotline_order(n),
                             headers={"Authorization": f"Bearer {TOKEN}"})
        return response.status_code, response.json()

    answers: dict[int, list[tuple[int, Any]]] = {}
    with ThreadPoolExecutor(COPIES) as pool:
        for n in range(IDS):
            barrier = threading.Barrier(COPIES)
            answers[n] = list(pool.map(lambda _, n=n, barrier=barrier: deliver(n, barrier), range(COPIES)))
    http.close()

    assert sum(len(a) for a in answers.values()) == IDS * COPIES == 500
    for n, replies in answers.items():
        assert all(reply == replies[0] for reply in replies), (n, replies)  # the same answer, every time
        assert replies[0][0] in (200, 201)
    keys = [f"open311:app-{n:04d}" if n % 2 else f"hotline12345:GD{n:08d}" for n in range(IDS)]
    for key in keys:
        assert engine.instances(SYSTEM, business_key=key).total == 1, key
    assert engine.instances(SYSTEM, process_key="whistle_dispatch", per_page=200).total == IDS

    # The same id with another report is a conflict, also when sent concurrently with the original.
    changed = {**hotline_order(0), "content": "其实是噪音扰民的问题"}
    client = app_for(engine).test_client()
    conflict = client.post("/adapters/hotline12345/work-orders", json=changed,
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert conflict.status_code == 409
    assert client.post("/adapters/open311/requests.json",
                       data={**open311_form(1), "description": "另一件事：路灯不亮"}).status_code == 409
