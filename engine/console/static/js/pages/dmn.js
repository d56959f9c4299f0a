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

// {cell id: {text, where}} of every rule cell in a DMN document; ``where`` names the cell as a
// person finds it in the table: the decision, the rule's number and the column.
export function cells(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const out = {};
  for (const table of doc.querySelectorAll("decisionTable")) {
    const decision = table.parentElement?.getAttribute("name") || "决策表";
    const columns = [...table.querySelectorAll(":scope > input, :scope > output")]
      .map((c, i) => c.getAttribute("label") || c.getAttribute("name") || `第 ${i + 1} 列`);
    [...table.querySelectorAll(":scope > rule")].forEach((rule, r) => {
      [...rule.querySelectorAll(":scope > inputEntry, :scope > outputEntry")].forEach((el, c) => {
        out[el.getAttribute("id")] = { text: el.querySelector("text")?.textContent ?? "",
          where: `「${decision}」第 ${r + 1} 条规则 · ${columns[c] || `第 ${c + 1} 列`}` };
      });
    });
  }
  return out;
}

// The cells that differ between two versions: [{id, where, before, after}].
export function changedCells(before, after) {
  const a = cells(before);
  const b = cells(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((id) => a[id]?.text !== b[id]?.text)
    .map((id) => ({ id, where: (b[id] || a[id]).where, before: a[id]?.text ?? "（无）", after: b[id]?.text ?? "（已删除）" }));
}
