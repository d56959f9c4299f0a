// A decision: its table drawn by dmn-js, and a sandbox that evaluates it with typed inputs and
// highlights the rules that matched.
import { get, post, text } from "../api.js";
import { clear, field, h, toast } from "../dom.js";
import { value } from "../format.js";
import { markCells, openTable } from "./dmn.js";

// What a person types: "是"/"否" are booleans, numbers are numbers, anything else is text.
function parseInput(raw) {
  const trimmed = raw.trim();
  if (trimmed === "") return null;
  if (trimmed === "是") return true;
  if (trimmed === "否") return false;
  try { return JSON.parse(trimmed); } catch (_) { return trimmed; }
}

// DMN hit policies in the words the table editor uses (js/dmn-zh.js).
const HIT_POLICIES = { UNIQUE: "唯一", FIRST: "首条", PRIORITY: "优先级", ANY: "任一", COLLECT: "汇总",
  "RULE ORDER": "规则顺序", "OUTPUT ORDER": "输出顺序" };
const AGGREGATIONS = { SUM: "求和", MIN: "最小值", MAX: "最大值", COUNT: "计数" };
function hitPolicy(code) {
  const text = String(code || "UNIQUE").toUpperCase().replace("_", " ");
  const [head, tail] = text.startsWith("COLLECT ") ? ["COLLECT", text.slice(8)] : [text, ""];
  return `${HIT_POLICIES[head] || "其他"}${AGGREGATIONS[tail] ? `（${AGGREGATIONS[tail]}）` : ""}`;
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
    inputs.map((i) => field(i.label || i.expression, i.control, "文字、数字直接填写；是非题填“是”或“否”")),
    h("button", { type: "submit" }, "试算"));
  clear(main, h("h1", {}, decision.name || "决策"), h("p", {}, `第 ${decision.version} 版 · 命中策略：${hitPolicy(decision.hit_policy)}`),
    host, h("h2", {}, "试算"), sandbox, result);
  const modeler = await openTable(host, xml, decisionId);
  sandbox.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { inputs: Object.fromEntries(inputs.map((i) => [i.expression, parseInput(i.control.value)])) };
    try {
      const outcome = await post(`/decisions/${encodeURIComponent(decisionId)}/evaluate`, body);
      const matched = (outcome.matched_rules || []).map((r) => (typeof r === "string" ? r : r.id || r.rule_id));
      const outputs = Object.fromEntries((decision.outputs || []).filter((o) => o.name).map((o) => [o.name, o.label || ""]));
      clear(result, h("p", {}, `结果：${value(outcome.result, outputs)}`),
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
