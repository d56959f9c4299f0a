// The BPMN modeler: bpmn-js Modeler with a properties panel for what Gongzhi reads; the server
// validates the changed files (each problem marked on its element) before a new version is deployed.
import { get, post } from "../api.js";
import { bpmnModeler } from "../loader.js";
import { clear, h, table } from "../dom.js";
import { deployNewVersion, showValidation } from "../deploy.js";
import { LABELS, describe, renderPanel } from "../properties.js";

const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";
const DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/";

function defines(xml, ns, tag, id) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  return [...doc.getElementsByTagNameNS(ns, tag)].filter((el) => id === undefined || el.getAttribute("id") === id);
}

// The forms a task may name, relative to the process file's folder (as the parser resolves them).
function context(files, processFile) {
  const folder = processFile.includes("/") ? processFile.slice(0, processFile.lastIndexOf("/") + 1) : "";
  return {
    forms: files.filter((f) => f.name.endsWith(".json") && f.name.startsWith(folder)).map((f) => f.name.slice(folder.length)),
    decisions: files.filter((f) => f.name.endsWith(".dmn"))
      .flatMap((f) => defines(f.content, DMN, "decision").map((d) => [d.getAttribute("id"), d.getAttribute("name") || "（未命名决策）"])),
  };
}

export async function render(main, key) {
  const [definition, sources] = await Promise.all([
    get(`/process-definitions/${encodeURIComponent(key)}`),
    get(`/process-definitions/${encodeURIComponent(key)}/files`),
  ]);
  const files = sources.files.map((f) => ({ name: f.name, content: f.content }));
  const file = files.find((f) => f.name.endsWith(".bpmn") && defines(f.content, BPMN, "process", key).length);
  const canvasHost = h("div", { class: "diagram modeler", role: "application", "aria-label": "流程建模" });
  const panel = h("aside", { class: "card props", "aria-label": "环节属性" });
  const status = h("div", { class: "card", role: "status", "aria-live": "polite" });
  const validateButton = h("button", { type: "button" }, "校验");
  const deployButton = h("button", { type: "button", disabled: true }, "部署新版本");
  clear(main, h("h1", {}, `修改流程：${definition.name}`),
    h("p", {}, `在第 ${sources.version} 版的基础上修改；校验通过后部署为新版本，已在办的案件仍按原版本办理。`),
    h("div", { class: "modeler-layout" }, canvasHost, panel), h("p", {}, validateButton, " ", deployButton), status);

  const Modeler = await bpmnModeler();
  const modeler = new Modeler({ container: canvasHost });
  await modeler.importXML(file.content);
  modeler.get("canvas").zoom("fit-viewport");
  const choices = context(files, file.name);
  const changes = new Map(); // "element|key" -> { element, key, before, after }
  let marked = [];

  const show = (element) => renderPanel(panel, element, modeler, choices, (el, prop) => {
    const id = `${el.id}|${prop}`;
    const entry = changes.get(id) || { element: el, key: prop, before: before.get(id) };
    entry.after = describe(el.businessObject, prop);
    changes.set(id, entry);
    deployButton.disabled = true; // a change needs a new validation before it can be deployed
  });
  // The value each property had when the element was first shown: the "before" of the change list.
  const before = new Map();
  const remember = (element) => {
    if (!element?.businessObject) return;
    for (const prop of Object.keys(LABELS)) {
      const id = `${element.id}|${prop}`;
      if (!before.has(id)) before.set(id, describe(element.businessObject, prop));
    }
  };
  modeler.on("selection.changed", ({ newSelection }) => {
    remember(newSelection[0]);
    show(newSelection[0]);
  });
  show(null);

  async function edited() {
    const { xml } = await modeler.saveXML({ format: true });
    return files.map((f) => (f.name === file.name ? { name: f.name, content: xml } : f));
  }

  function mark(problems) {
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    for (const id of marked) if (registry.get(id)) canvas.removeMarker(id, "gz-problem");
    marked = problems.filter((p) => p.file === file.name).map((p) => p.target_id || p.element_id).filter((id) => registry.get(id));
    for (const id of marked) canvas.addMarker(id, "gz-problem");
  }

  const diff = () => table([
    { title: "环节", cell: (c) => c.element.businessObject.name || "（未命名环节）" },
    { title: "设置", cell: (c) => LABELS[c.key] },
    { title: "原来", cell: (c) => c.before },
    { title: "现在", cell: (c) => c.after },
  ], [...changes.values()].filter((c) => c.before !== c.after), { empty: "与当前版本相比没有改动。" });

  validateButton.addEventListener("click", async () => {
    deployButton.disabled = true;
    try {
      const result = await post("/deployments/validate", { files: await edited() });
      mark(result.problems);
      deployButton.disabled = !result.valid;
      showValidation(status, result, "图中", diff());
    } catch (error) { clear(status, h("p", { class: "error" }, error.message)); }
  });

  deployButton.addEventListener("click", async () => {
    deployButton.disabled = true;
    await deployNewVersion({ key, files: await edited(), status,
      next: () => h("a", { href: `#/definitions/process/${encodeURIComponent(key)}` }, "查看流程的各个版本"),
      onProblems: (problems) => mark(problems.map((e) => ({ file: file.name, target_id: String(e.field || "").split("#")[1] }))) });
  });
}
