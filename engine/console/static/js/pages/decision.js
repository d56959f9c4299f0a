// A decision: its table drawn by dmn-js, and a sandbox that evaluates it with typed inputs and
// highlights the rules that matched.
import { get, post, text } from "../api.js";
import { clear, field, h, toast } from "../dom.js";
import { value } from "../format.js";
import { markCells, openTable } from "./dmn.js";

function parseInput(raw) {
  const trimmed = raw.trim();
  if (trimmed === "") return null;
  try { return JSON.parse(trimmed); } catch (_) { return trimmed; }
}

export async function render(main, decisionId) {
  const decisions = (await get("/decisions")).items;
  const decision = decisions.find((d) => d.id === decisionId);
  if (!decision) throw new Error("没有这个决策");
  const xml = await text(`/decisions/${encodeURIComponent(decisionId)}/xml`);
  const host = h("div");
  const inputs = (decision.inputs || []).map((i) => ({ ...i, control: h("input", { name: i.expression }) }));
  const result = h("div", { class: "card", "aria-live": "polite" });
  const sandbox = h("form", { class: "card", "aria-label": "试算" },
    inputs.map((i) => field(i.label || i.expression, i.control, "文字直接填写；数字、true/false 按原样填写")),
    h("button", { type: "submit" }, "试算"));
  clear(main, h("h1", {}, decision.name || "决策"), h("p", {}, `第 ${decision.version} 版 · 命中策略 ${decision.hit_policy || "—"}`),
    host, h("h2", {}, "试算"), sandbox, result);
  const modeler = await openTable(host, xml, decisionId);
  sandbox.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { inputs: Object.fromEntries(inputs.map((i) => [i.expression, parseInput(i.control.value)])) };
    try {
      const outcome = await post(`/decisions/${encodeURIComponent(decisionId)}/evaluate`, body);
      const matched = (outcome.matched_rules || []).map((r) => (typeof r === "string" ? r : r.id || r.rule_id));
      clear(result, h("p", {}, `结果：${value(outcome.result)}`),
        h("p", {}, `命中规则：${matched.map((id) => {
          const rule = (decision.rules || []).find((r) => r.id === id);
          return rule ? `第 ${rule.number} 条${rule.description ? `（${rule.description}）` : ""}` : "—";
        }).join("、") || "无"}`));
      const rows = host.querySelectorAll("tbody tr");
      (decision.rules || []).forEach((rule, index) => rows[index]?.classList.toggle("gz-matched", matched.includes(rule.id)));
      markCells(host, []);
    } catch (error) { toast(error.message); }
  });
  void modeler;
}
