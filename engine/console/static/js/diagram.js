// A process diagram with bpmn-js; markers show what happened and what is waiting.
import { bpmnViewer } from "./loader.js";
import { h } from "./dom.js";

export async function drawProcess(host, xml, { done = [], open = [], incidents = [], problems = [] } = {}) {
  const BpmnJS = await bpmnViewer();
  const canvasHost = h("div", { class: "diagram", role: "img", "aria-label": "流程图" });
  host.replaceChildren(canvasHost);
  const viewer = new BpmnJS({ container: canvasHost });
  await viewer.importXML(xml);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport");
  const mark = (ids, cls) => {
    for (const id of ids) if (registry.get(id)) canvas.addMarker(id, cls);
  };
  mark(done, "gz-done");
  mark(open, "gz-open");
  mark(incidents, "gz-incident");
  mark(problems, "gz-problem");
  return viewer;
}

export function legend() {
  return h("p", { class: "legend" }, "图例：绿色为已完成，蓝色粗框为待办，红色为故障。");
}
