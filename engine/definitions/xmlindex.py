"""An index over BPMN XML: processes, flow elements, lanes, properties, diagram shapes, lines.

SpiffWorkflow's parser builds executable specs; this index keeps what it drops
and what validation and the runtime need: line numbers, lane ids, extension
properties of any element, and which elements are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ..errors import DefinitionInvalid, Problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "spiffworkflow": SPIFF}

# Elements a modeler draws as a shape or an edge.
DRAWN = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction", "exclusiveGateway", "inclusiveGateway",
    "parallelGateway", "eventBasedGateway", "complexGateway", "sequenceFlow", "lane", "participant",
    "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "messageFlow",
}

__all__ = ["BpmnIndex", "Element", "parse_xml", "NS", "BPMN", "SPIFF"]


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


@dataclass
class Element:
    id: str
    tag: str
    name: str
    line: int
    process_id: str
    properties: dict[str, str] = field(default_factory=dict)
    lane_id: str | None = None
    node: etree._Element | None = field(default=None, repr=False)


@dataclass
class BpmnIndex:
    file: str
    root: etree._Element
    processes: dict[str, Element] = field(default_factory=dict)
    elements: dict[str, Element] = field(default_factory=dict)
    drawn: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, file: str, root: etree._Element) -> "BpmnIndex":
        index = cls(file, root)
        index.drawn = {
            el.get("bpmnElement") for el in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")
        }
        for proc in root.iter(f"{{{BPMN}}}process"):
            index._add_process(proc)
        for part in root.iter(f"{{{BPMN}}}participant", f"{{{BPMN}}}messageFlow", f"{{{BPMN}}}textAnnotation"):
            index._add(part, process_id="")
        return index

    def _add_process(self, proc: etree._Element) -> None:
        pid = proc.get("id", "")
        self.processes[pid] = Element(pid, "process", proc.get("name", ""), proc.sourceline or 0, pid,
                                      _properties(proc), node=proc)
        lanes = {}
        for lane in proc.iter(f"{{{BPMN}}}lane"):
            self._add(lane, pid)
            for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
                lanes[(ref.text or "").strip()] = lane.get("id")
        for node in proc.iter():
            tag = local(node.tag)
            if tag in DRAWN and tag != "lane" and node.get("id"):
                el = self._add(node, pid)
                el.lane_id = lanes.get(el.id) or self._parent_lane(node, lanes)

    def _parent_lane(self, node: etree._Element, lanes: dict[str, str]) -> str | None:
        # Elements inside an embedded subprocess sit in their container's lane.
        parent = node.getparent()
        while parent is not None and local(parent.tag) != "process":
            if parent.get("id") in lanes:
                return lanes[parent.get("id")]
            parent = parent.getparent()
        return None

    def _add(self, node: etree._Element, process_id: str) -> Element:
        el = Element(node.get("id", ""), local(node.tag), node.get("name", ""), node.sourceline or 0, process_id,
                     _properties(node), node=node)
        self.elements[el.id] = el
        return el

    def in_process(self, process_id: str) -> list[Element]:
        return [e for e in self.elements.values() if e.process_id == process_id]


def _properties(node: etree._Element) -> dict[str, str]:
    return {
        p.get("name", ""): p.get("value", "")
        for p in node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
    }

def _line_of(content: bytes, marker: bytes) -> int | None:
    at = content.find(marker)
    return content.count(b"\n", 0, at) + 1 if at >= 0 else None


def parse_xml(file: str, content: bytes) -> etree._Element:
    """Parse XML safely: no entity expansion, no network, no DTD at all.

    Modelers never write a DOCTYPE; one in a definition file is either a mistake
    or an attempt at entity tricks (expansion bombs, external files), and entity
    references left unexpanded would break every later step. Raises
    ``DefinitionInvalid`` with one ``Problem`` naming the file and line.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             remove_comments=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise DefinitionInvalid([Problem(file, f"XML 格式错误：{exc.msg}", line=exc.lineno, code="xml-syntax")]) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DefinitionInvalid([Problem(
            file, "不接受 DTD 与实体声明（<!DOCTYPE ...>），请删除后重新上传 (DTDs and entities are not allowed)",
            line=_line_of(content, b"<!DOCTYPE") or 1, code="xml-dtd")])
    return root
