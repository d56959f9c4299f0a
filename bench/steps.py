"""Cost per step against case length: a chain of N user tasks, for N = 5 and N = 50.

With the whole state rewritten by every command, a step of a long case costs more
than a step of a short one (the state grows with every finished task). With
incremental state it should not. Each case is generated here (start → N user
tasks → end, with a drawn diagram so it deploys like any other file), run
durable in-process with the workflow cache and with every step restored from the
database (``CACHE_SIZE=0``), interleaved, medians of repeats.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REGION = "990101/001/001/01"
START = {"title": "链式流程", "notes": "每一步写一条意见"}
OPINION = ('{"title": "办理意见", "type": "object", "required": ["opinion"], "properties": {'
           '"opinion": {"type": "string", "title": "意见", "maxLength": 200}, "step": {"type": "integer", "title": "步骤"}}}')


def chain_bpmn(n: int) -> str:
    """A process ``chain_<n>``: start, ``n`` user tasks in a row, end."""
    pid = f"chain_{n}"
    ids = ["start", *(f"step_{i}" for i in range(1, n + 1)), "end"]
    nodes, shapes, flows, edges = [], [], [], []
    for i, node in enumerate(ids):
        incoming = f"<bpmn:incoming>f{i}</bpmn:incoming>" if i else ""
        outgoing = f"<bpmn:outgoing>f{i + 1}</bpmn:outgoing>" if i < len(ids) - 1 else ""
        x = 100 + 150 * i
        if node == "start":
            nodes.append(f'<bpmn:startEvent id="start" name="开始">{outgoing}</bpmn:startEvent>')
            shapes.append(f'<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="{x}" y="102" width="36" height="36" /></bpmndi:BPMNShape>')
        elif node == "end":
            nodes.append(f'<bpmn:endEvent id="end" name="结束">{incoming}</bpmn:endEvent>')
            shapes.append(f'<bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="{x}" y="102" width="36" height="36" /></bpmndi:BPMNShape>')
        else:
            nodes.append(f'<bpmn:userTask id="{node}" name="第{i}步办理"><bpmn:extensionElements><spiffworkflow:properties>'
                         '<spiffworkflow:property name="formJsonSchemaFilename" value="opinion.json"/>'
                         f'</spiffworkflow:properties></bpmn:extensionElements>{incoming}{outgoing}</bpmn:userTask>')
            shapes.append(f'<bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}"><dc:Bounds x="{x}" y="80" width="100" height="80" /></bpmndi:BPMNShape>')
        if i < len(ids) - 1:
            flows.append(f'<bpmn:sequenceFlow id="f{i + 1}" sourceRef="{node}" targetRef="{ids[i + 1]}" />')
            edges.append(f'<bpmndi:BPMNEdge id="f{i + 1}_di" bpmnElement="f{i + 1}"><di:waypoint x="{x + 50}" y="120" />'
                         f'<di:waypoint x="{x + 150}" y="120" /></bpmndi:BPMNEdge>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
            'id="Definitions_' + pid + '" '
            'targetNamespace="http://bpmn.io/schema/bpmn">'
            f'<bpmn:process id="{pid}" name="{n} 步链式流程（bench/steps.py）" isExecutable="true">'
            + "".join(nodes) + "".join(flows) + '</bpmn:process>'
            f'<bpmndi:BPMNDiagram id="Diagram_{pid}"><bpmndi:BPMNPlane id="Plane_{pid}" bpmnElement="{pid}">'
            + "".join(shapes) + "".join(edges) + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>\n')


def _run(engine: Any, actor: Any, n: int) -> int:
    view = engine.start(f"chain_{n}", actor, START, region=REGION)
    steps = 0
    while view.open_tasks:
        steps += 1
        view = engine.complete(view.open_tasks[0].id, actor, {"opinion": f"第{steps}步同意", "step": steps})
    if view.status != "completed" or steps != n:
        raise AssertionError(f"chain_{n} ended {view.status} after {steps} steps")
    return steps


class Bare:
    """The same chains run by SpiffWorkflow alone, in memory, with the same specs and script engine."""

    def __init__(self, folder: Path, script_engine: Any) -> None:
        from gongzhi.definitions.model import DefinitionSet
        from gongzhi.definitions.sources import load_sources

        self.definitions = DefinitionSet(load_sources([folder]))
        self.script_engine = script_engine

    def run(self, n: int) -> int:
        from light import drive_bare

        steps = drive_bare(self.definitions.bundle(f"chain_{n}"), self.script_engine, START,
                           lambda _, step: {"opinion": f"第{step}步同意", "step": step})
        if steps != n:
            raise AssertionError(f"bare chain_{n} ran {steps} steps")
        return steps


def measure(lengths: tuple[int, ...] = (5, 50), steps: int = 200, repeats: int = 3) -> dict[str, Any]:
    """Milliseconds per step (start included) for each case length, cached and cold; about ``steps`` steps a run."""
    from gongzhi import Engine

    from run import SECRET, admin, sqlite_url

    boss = admin()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "chains"
        folder.mkdir()
        for n in lengths:
            (folder / f"chain_{n}.bpmn").write_text(chain_bpmn(n), encoding="utf-8")
        (folder / "opinion.json").write_text(OPINION, encoding="utf-8")
        engines = {}
        for cold in (False, True):
            (Path(tmp) / ("cold" if cold else "cached")).mkdir()
            config: dict[str, Any] = {"database_url": sqlite_url(Path(tmp) / ("cold" if cold else "cached")),
                                      "secret_key": SECRET, **({"cache_size": 0} if cold else {})}
            engine = Engine(config)
            engine.upgrade_db()
            engine.deploy([folder])
            engines["cold" if cold else "cached"] = engine
        bare = Bare(folder, engines["cached"].script_engine)
        runners = {"bare": lambda n: bare.run(n),
                   **{side: (lambda n, e=engine: _run(e, boss, n)) for side, engine in engines.items()}}
        samples: dict[str, list[float]] = {f"{side}_{n}": [] for side in runners for n in lengths}
        for run_one in runners.values():  # warm-up: parse, caches, first rows
            for n in lengths:
                run_one(n)
        for _ in range(repeats):
            for n in lengths:
                for side, run_one in runners.items():
                    cases = max(1, steps // n)
                    began = time.perf_counter()
                    done = sum(run_one(n) + 1 for _ in range(cases))
                    samples[f"{side}_{n}"].append((time.perf_counter() - began) * 1000 / done)
        for engine in engines.values():
            engine.close()
    ms = {k: statistics.median(v) for k, v in samples.items()}
    short, long = min(lengths), max(lengths)
    return {"lengths": list(lengths), "ms_per_step": ms,
            "long_over_short": {side: ms[f"{side}_{long}"] / ms[f"{side}_{short}"] for side in runners},
            "runs": {k: [round(x, 2) for x in v] for k, v in samples.items()}}
