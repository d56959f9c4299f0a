// 待办: the signed-in actor's work list (their groups, their regions).
import { get } from "../api.js";
import { clear, h, table } from "../dom.js";
import { due, groups, namesReady, region, when } from "../format.js";
import { pager, processName, processNames, setQuery } from "./common.js";

export const waitsForNames = true;  // its data is asked for while the directory loads

export async function render(main, query) {
  const page = Number(query.get("page") || 1);
  const mine = query.get("mine") === "true";
  const [names, list] = await Promise.all([processNames(), get("/tasks", { page, per_page: 20, mine: mine || undefined }),
    namesReady()]);
  const columns = [
    { title: "任务", cell: (t) => h("a", { href: `#/tasks/${encodeURIComponent(t.id)}` }, t.name) },
    { title: "流程", cell: (t) => processName(names, t.process_key) },
    { title: "区域", cell: (t) => region(t.region) },
    { title: "办理人", cell: (t) => (t.assignee ? "已认领" : groups(t.candidate_groups)) },
    { title: "期限", cell: (t) => h("span", { class: t.overdue ? "badge overdue" : "" }, due(t.due_at)) },
    { title: "收到时间", cell: (t) => when(t.created_at) },
  ];
  const toggle = h("label", {}, h("input", {
    type: "checkbox", checked: mine, onchange: (e) => setQuery("/tasks", { mine: e.target.checked ? "true" : "" }),
  }), " 只看我已认领的");
  clear(main, h("h1", {}, "我的待办"), toggle, h("p", {}, h("a", { href: "#/definitions" }, "发起新的事项 →")),
    table(columns, list.items, { empty: "暂时没有待办。" }),
    pager(page, 20, list.total, (p) => setQuery("/tasks", { page: p, mine: mine ? "true" : "" })));
}
