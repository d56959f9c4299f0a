// A process diagram with bpmn-js; markers show what happened and what is waiting.
import { bpmnViewer } from "./loader.js";
import { h } from "./dom.js";

// ``links``: element id -> [{ href, label }] drawn as links on the element (a call activity's
// child cases); ``timers``: ids of timer events that wait for their time.
export async function drawProcess(host, xml, { done = [], open = [], incidents = [], problems = [], timers = [], links = {} } = {}) {
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
  mark(timers, "gz-timer");
  const overlays = viewer.get("overlays");
  for (const [id, targets] of Object.entries(links)) {
    if (!registry.get(id)) continue;
    const badge = h("span", { class: "gz-links" }, targets.map((t) => h("a", { href: t.href, class: "gz-link" }, t.label)));
    overlays.add(id, { position: { bottom: -4, left: 0 }, html: badge });
  }
  return viewer;
}

export function legend() {
  return h("p", { class: "legend" }, "图例：绿色为已完成，蓝色粗框为待办，橙色为等待中的定时器，红色为故障；子流程环节下方的链接打开子流程或它发起的案件。");
}
