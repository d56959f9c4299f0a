"""A set of definition files parsed once: BPMN indexes, DMN models, forms, and process bundles."""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable

import orjson
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..errors import DefinitionInvalid, Problem
from ..runtime.form_lists import options_problems
from ..runtime.forms import bind_problems
from . import personal
from ..spiff.parser import GongzhiParser
from .sources import SourceFile
from .xmlindex import NS, BpmnIndex, Element, parse_xml

__all__ = ["DefinitionSet", "ProcessBundle", "TaskMeta"]

FORM_PROPERTY = "formJsonSchemaFilename"
COMPLETED_BY_PROPERTY = "completedByVariable"  # on a user task: the variable the engine sets to its completer
STARTED_BY_PROPERTY = "startedByVariable"  # on the start event: the variable the engine sets to who started the case
VIEWER_PROPERTY = "viewerGroups"  # on the process: who may read its cases (default: its lanes' groups)
SENDER_PROPERTY = "senderGroups"  # on a message catch event or receive task: who may send it
ANYONE = "*"  # senderGroups="*": anyone who can see the case's region
_CATCHES = ("intermediateCatchEvent", "boundaryEvent", "receiveTask", "startEvent")


@dataclass(frozen=True)
class TaskMeta:
    """What the runtime needs to know about a user task beyond SpiffWorkflow's spec."""

    element_id: str
    name: str
    form_name: str | None
    form: dict[str, Any] | None
    candidate_groups: tuple[str, ...]
    groups_expression: str | None
    due_expression: str | None
    instructions: str | None
    reveal: tuple[str, ...] = ()  # declared personal variables the task's holder sees unmasked
    completed_by_variable: str | None = None  # set by the engine to who completed it: a form cannot forge it


@dataclass
class ProcessBundle:
    """Everything one deployed process version runs with; built once per version."""

    key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    tasks: dict[tuple[str, str], TaskMeta]
    start_form: dict[str, Any] | None
    files: list[SourceFile]
    version_id: int | None = None
    version: int | None = None
    personal: personal.PersonalData = personal.PersonalData()
    viewer_groups: frozenset[str] = frozenset()  # declared, or the groups of the lanes
    message_senders: dict[str, tuple[str, ...]] | None = None  # catch element id -> groups allowed to send
    started_by_variable: str | None = None  # set by the engine to who started the case: a start form cannot forge it

    @cached_property
    def content_hash(self) -> str:
        lines = sorted(f"{f.name}:{f.sha256}" for f in self.files)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def meta(self, process_id: str, element_id: str) -> TaskMeta | None:
        return self.tasks.get((process_id, element_id))

    def senders(self, element_id: str) -> tuple[str, ...]:
        """The groups that may send the message caught at ``element_id`` (empty: admins only)."""
        return (self.message_senders or {}).get(element_id, ())


class DefinitionSet:
    """Parse a set of source files once; find problems; build bundles for processes."""

    def __init__(self, sources: Iterable[SourceFile]) -> None:
        self.sources = {s.name: s for s in sources}
        self.problems: list[Problem] = []
        self.indexes: dict[str, BpmnIndex] = {}
        self.forms: dict[str, Any] = {}
        self.dmn: dict[str, Any] = {}  # file name -> DmnModel
        self.dmn_roots: dict[str, etree._Element] = {}
        self.decision_files: dict[str, str] = {}  # decision id -> file name
        for source in self.sources.values():
            getattr(self, f"_read_{source.kind}")(source)
        self._check_form_lists()
        self._parser: GongzhiParser | None = None

    # --- reading ---------------------------------------------------------

    def _xml(self, source: SourceFile) -> etree._Element | None:
        try:
            return parse_xml(source.name, source.content)
        except DefinitionInvalid as exc:
            self.problems.extend(exc.problems)
            return None

    def _read_bpmn(self, source: SourceFile) -> None:
        root = self._xml(source)
        if root is not None:
            index = self.indexes[source.name] = BpmnIndex.build(source.name, root)
            for proc in index.processes.values():
                _, bad = personal.parse_property(proc.properties.get(personal.PROPERTY, ""))
                for entry in bad:
                    self.problems.append(Problem(
                        source.name, f"流程 “{proc.name or proc.id}” 的 {personal.PROPERTY} 项 '{entry}' 无效："
                        f"应写成 变量路径:类别，类别为 {'、'.join(personal.KINDS)} 之一",
                        element_id=proc.id, line=proc.line, code="personal-data"))

    def _read_form(self, source: SourceFile) -> None:
        try:
            self.forms[source.name] = orjson.loads(source.content)
        except orjson.JSONDecodeError as exc:
            self.problems.append(Problem(source.name, f"JSON 格式错误：{exc}", code="json-syntax"))
            return
        if isinstance(self.forms[source.name], dict):
            self.problems.extend(personal.form_problems(source.name, self.forms[source.name]))
            self.problems.extend(Problem(source.name, text, code="form-bind") for text in bind_problems(self.forms[source.name]))

    def _check_form_lists(self) -> None:
        """``x-options`` naming a list nobody provides (needs every DMN read first)."""
        decisions = {d: self.dmn[f] for d, f in self.decision_files.items() if f in self.dmn}
        for name, form in self.forms.items():
            self.problems.extend(Problem(name, text, code="form-options") for text in options_problems(form, decisions))

    def _read_dmn(self, source: SourceFile) -> None:
        from ..rules import load_dmn

        root = self._xml(source)
        if root is None:
            return
        self.dmn_roots[source.name] = root
        try:
            model = load_dmn(source.content, filename=source.name)
        except DefinitionInvalid as exc:
            self.problems.extend(exc.problems)
            return
        self.dmn[source.name] = model
        for decision_id in model.decisions:
            if decision_id in self.decision_files:
                self.problems.append(
                    Problem(source.name, f"决策 id '{decision_id}' 与 {self.decision_files[decision_id]} 重复",
                            element_id=decision_id, code="duplicate-decision")
                )
            self.decision_files[decision_id] = source.name

    # --- lookups -----------------------------------------------------------

    def executable_processes(self) -> dict[str, tuple[str, Element]]:
        found: dict[str, tuple[str, Element]] = {}
        for file, index in self.indexes.items():
            for pid, proc in index.processes.items():
                if proc.node is not None and proc.node.get("isExecutable", "true") != "false":
                    found[pid] = (file, proc)
        return found

    def element(self, process_id: str, element_id: str) -> tuple[str, Element] | None:
        for file, index in self.indexes.items():
            el = index.elements.get(element_id)
            if el is not None and el.process_id == process_id:
                return file, el
        return None

    def resolve_form(self, bpmn_file: str, form_name: str) -> str | None:
        """Forms are looked up next to the BPMN file, then by unique file name anywhere."""
        folder = posixpath.dirname(bpmn_file)
        for candidate in (posixpath.normpath(posixpath.join(folder, form_name)),
                          posixpath.normpath(posixpath.join(folder, "forms", form_name))):
            if candidate in self.forms:
                return candidate
        matches = [n for n in self.forms if posixpath.basename(n) == posixpath.basename(form_name)]
        return matches[0] if len(matches) == 1 else None

    @property
    def parser(self) -> GongzhiParser:
        if self._parser is None:
            decisions = {
                did: (model, f"{file}@{self.sources[file].sha256[:12]}")
                for file, model in self.dmn.items()
                for did in model.decisions
            }
            parser = GongzhiParser(decisions)
            for file, index in self.indexes.items():
                try:
                    parser.add_bpmn_xml(index.root, filename=file)
                except ValidationException as exc:
                    self.problems.append(_spiff_problem(exc, file))
            self._parser = parser
        return self._parser

    # --- bundles -------------------------------------------------------------

    def bundle(self, process_id: str) -> ProcessBundle:
        """Parse one process with its called subprocesses; raises DefinitionInvalid."""
        processes = self.executable_processes()
        file, proc = processes[process_id]
        try:
            spec = self.parser.get_spec(process_id)
            subprocess_specs = self.parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            raise DefinitionInvalid([_spiff_problem(exc, file)]) from exc
        # Embedded (event) sub-processes are specs of their own to SpiffWorkflow; their elements are
        # indexed with the process that holds them, so only processes of their own are walked here.
        process_ids = [p for p in (process_id, *subprocess_specs) if p in processes]
        used_files = {processes[p][0] for p in process_ids}
        tasks: dict[tuple[str, str], TaskMeta] = {}
        start_form = None
        started_by = None
        async_ids: dict[str, set[str]] = {}
        declared = personal.PersonalData()
        lanes: set[str] = set()
        viewers: set[str] = set()
        senders: dict[str, tuple[str, ...]] = {}
        for pid in process_ids:
            pfile, process = processes[pid]
            declared = declared.merge(personal.parse_property(process.properties.get(personal.PROPERTY, ""))[0])
            viewers.update(_groups(process.properties.get(VIEWER_PROPERTY, "")))
            for el in self.indexes[pfile].in_process(pid):
                form_file = self.resolve_form(pfile, el.properties[FORM_PROPERTY]) if FORM_PROPERTY in el.properties else None
                if form_file:
                    used_files.add(form_file)
                    if isinstance(self.forms[form_file], dict):
                        declared = declared.merge(personal.from_form(self.forms[form_file]))
                if el.tag == "lane":
                    lanes.add(lane_group(el.id))
                if el.tag in _CATCHES and el.node is not None and el.node.find(".//bpmn:messageEventDefinition", NS) \
                        is not None or el.tag == "receiveTask":
                    own = _groups(el.properties.get(SENDER_PROPERTY, ""))
                    senders[el.id] = own or ((lane_group(el.lane_id),) if el.lane_id else ())
                if el.tag in ("userTask", "manualTask"):
                    tasks[(pid, el.id)] = self._task_meta(el, form_file)
                elif el.tag == "serviceTask" and el.properties.get("async", "").lower() == "true":
                    async_ids.setdefault(pid, set()).add(el.id)
                elif el.tag == "startEvent" and pid == process_id:
                    start_form = self.forms[form_file] if form_file else start_form
                    started_by = el.properties.get(STARTED_BY_PROPERTY) or started_by
                elif el.tag == "businessRuleTask":
                    ref = el.node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS) if el.node is not None else None
                    if ref is not None and (ref.text or "").strip() in self.decision_files:
                        used_files.add(self.decision_files[(ref.text or "").strip()])
        _adapt_specs(spec, subprocess_specs, async_ids)
        return ProcessBundle(
            key=process_id,
            name=proc.name or process_id,
            spec=spec,
            subprocess_specs=subprocess_specs,
            tasks=tasks,
            start_form=start_form,
            files=sorted((self.sources[f] for f in used_files), key=lambda s: s.name),
            personal=declared,
            viewer_groups=frozenset(viewers or lanes),
            message_senders=senders,
            started_by_variable=started_by,
        )

    def _task_meta(self, el: Element, form_file: str | None) -> TaskMeta:
        props = el.properties
        groups = tuple(g.strip() for g in props.get("candidateGroups", "").split(",") if g.strip())
        if not groups and el.lane_id:
            groups = (lane_group(el.lane_id),)
        instructions = None
        if el.node is not None:
            node = el.node.find("bpmn:extensionElements/spiffworkflow:instructionsForEndUser", NS)
            instructions = node.text if node is not None else None
        return TaskMeta(
            element_id=el.id,
            name=el.name or el.id,
            form_name=form_file,
            form=self.forms.get(form_file) if form_file else None,
            candidate_groups=groups,
            groups_expression=props.get("candidateGroupsExpression") or None,
            due_expression=props.get("dueDateExpression") or None,
            instructions=instructions,
            reveal=_groups(props.get(personal.REVEAL_PROPERTY, "")),
            completed_by_variable=props.get(COMPLETED_BY_PROPERTY) or None,
        )


def _groups(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(g.strip() for g in value.split(",") if g.strip()))


def lane_group(lane_id: str) -> str:
    """Lane ``lane_street`` offers its tasks to group ``street``."""
    for prefix in ("lane_", "Lane_"):
        if lane_id.startswith(prefix):
            return lane_id[len(prefix):]
    return lane_id


def _spiff_problem(exc: ValidationException, file: str) -> Problem:
    line = exc.line_number if isinstance(exc.line_number, int) else None
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Problem(exc.file_name or file, message, element_id=exc.id or None, line=line, code="bpmn-parse")


def _adapt_specs(spec: Any, subprocess_specs: dict[str, Any], async_ids: dict[str, set[str]]) -> None:
    """Clock-aware timers and tolerant message events everywhere; asynchronous service tasks
    where the diagram asks for them."""
    from ..spiff.async_tasks import adopt_async
    from ..spiff.message_events import adopt_messages
    from ..spiff.multi_instance import adopt_multi_instance
    from ..spiff.timers import adopt_timers

    for s in [spec, *subprocess_specs.values()]:
        adopt_timers(s)
        adopt_multi_instance(s)  # multi-instance counts capped (Limits.multi_instance)
        adopt_messages(s)
        adopt_async(s, async_ids.get(s.name, set()))
