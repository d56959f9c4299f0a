// dmn-js helpers: open a decision's table, mark cells, read the cell texts.
import { dmnModeler } from "../loader.js";
import { h } from "../dom.js";
import { zhViews } from "../dmn-zh.js";

export async function openTable(host, xml, decisionId) {
  const DmnJS = await dmnModeler();
  const box = h("div", { class: "dmn-host", role: "region", "aria-label": "决策表" });
  host.replaceChildren(box);
  const modeler = new DmnJS({ container: box, common: { keyboard: { bindTo: document } }, ...zhViews });
  await modeler.importXML(xml);
  const views = modeler.getViews().filter((v) => v.type === "decisionTable");
  const view = views.find((v) => v.element.id === decisionId) || views[0];
  if (view) await modeler.open(view);
  return modeler;
}

export function markCells(host, ids) {
  for (const el of host.querySelectorAll(".gz-problem")) el.classList.remove("gz-problem");
  for (const id of ids) {
    for (const el of host.querySelectorAll(`[data-element-id="${CSS.escape(id)}"]`)) el.classList.add("gz-problem");
  }
}

// {cell id: text} of every rule cell in a DMN document.
export function cells(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const out = {};
  for (const el of doc.querySelectorAll("inputEntry, outputEntry")) {
    out[el.getAttribute("id")] = el.querySelector("text")?.textContent ?? "";
  }
  return out;
}

// The cells that differ between two versions: [{id, before, after}].
export function changedCells(before, after) {
  const a = cells(before);
  const b = cells(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((id) => a[id] !== b[id]).map((id) => ({ id, before: a[id] ?? "（无）", after: b[id] ?? "（已删除）" }));
}
