// The vendored libraries are classic scripts (UMD): loaded on first use, from this origin.
import { config } from "./config.js";

const loading = new Map();

export function script(path) {
  if (!loading.has(path)) {
    loading.set(path, new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = `${config.assets}/vendor/${path}`;
      el.onload = resolve;
      el.onerror = () => reject(new Error(`无法加载 ${path}`));
      document.head.append(el);
    }));
  }
  return loading.get(path);
}

export function css(...paths) {
  for (const path of paths) {
    const href = `${config.assets}/vendor/${path}`;
    if (document.querySelector(`link[href="${href}"]`)) continue;
    const el = document.createElement("link");
    el.rel = "stylesheet";
    el.href = href;
    document.head.append(el);
  }
}

// Both bpmn-js bundles define window.BpmnJS: each class is kept as its script leaves it.
const bpmnClasses = {};

async function bpmnClass(kind, file) {
  css("bpmn-js/assets/diagram-js.css", "bpmn-js/assets/bpmn-js.css", "bpmn-js/assets/bpmn-font/css/bpmn.css");
  await script(file).then(() => { bpmnClasses[kind] ||= window.BpmnJS; });
  return bpmnClasses[kind];
}

export const bpmnViewer = () => bpmnClass("viewer", "bpmn-js/bpmn-navigated-viewer.production.min.js");
export const bpmnModeler = () => bpmnClass("modeler", "bpmn-js/bpmn-modeler.production.min.js");

export async function dmnModeler() {
  css("dmn-js/assets/diagram-js.css", "dmn-js/assets/dmn-js-shared.css", "dmn-js/assets/dmn-js-drd.css",
    "dmn-js/assets/dmn-js-decision-table.css", "dmn-js/assets/dmn-js-decision-table-controls.css",
    "dmn-js/assets/dmn-js-literal-expression.css", "dmn-js/assets/dmn-js-boxed-expression.css",
    "dmn-js/assets/dmn-js-boxed-expression-controls.css", "dmn-js/assets/dmn-font/css/dmn.css");
  await script("dmn-js/dmn-modeler.production.min.js");
  return window.DmnJS;
}

export async function echarts() {
  await script("echarts/echarts.min.js");
  return window.echarts;
}

export async function jsonEditor() {
  await script("json-editor/jsoneditor.js");
  return window.JSONEditor;
}
