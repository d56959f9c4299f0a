// One case: its diagram with what is done and what waits, its data (masked as the API masks
// it), the audit trail as a timeline, and cancelling with a reason.
import { get, post, text } from "../api.js";
import { isAdmin } from "../auth.js";
import { clear, field, h, toast } from "../dom.js";
import { due, groups, region, status, value, when } from "../format.js";
import { drawProcess, legend } from "../diagram.js";
import { processName, processNames } from "./common.js";
import { variables } from "./task.js";

const ACTIONS = {
  start: "发起", complete: "完成", claim: "认领", timer: "计时到期", message: "收到消息", service: "后台调用完成",
  service_call: "调用服务", decision: "规则判定", cancel: "撤销", completed: "办结", cancelled: "撤销",
  incident_retry: "重试故障", deploy: "部署",
};

// Field titles from every form of the version: people read "事项标题", not "title".
async function fieldTitles(key, version) {
  const { files } = await get(`/process-definitions/${encodeURIComponent(key)}/files`, { version });
  const titles = {};
  for (const f of files.filter((x) => x.kind === "json")) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(f.content).properties || {})) if (v.title) titles[k] ||= v.title;
    } catch (_) { /* not a form */ }
  }
  return titles;
}

function timeline(events, names, titles) {
  return h("ol", { class: "timeline" }, events.map((e) => {
    const who = e.actor?.name || "系统";
    const element = names[e.element_id] || "";
    const detail = e.action === "decision"
      ? `命中规则 ${(e.matched_rules || []).join("、") || "（无）"}，结果：${value(e.result)}`
      : e.action === "complete" && e.data ? Object.entries(e.data).slice(0, 4).map(([k, v]) => `${titles[k] || k}：${value(v)}`).join("；")
        : e.reason ? `原因：${e.reason}` : "";
    return h("li", {}, h("time", { datetime: e.at }, when(e.at)), `${who} ${ACTIONS[e.action] || "操作"}`,
      element ? `「${element}」` : "", detail ? h("div", { class: "detail" }, detail) : null);
  }));
}

function elementNames(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const names = {};
  for (const el of doc.querySelectorAll("[id][name]")) names[el.getAttribute("id")] = el.getAttribute("name");
  return names;
}

export async function render(main, instanceId) {
  const id = encodeURIComponent(instanceId);
  const [names, instance, history] = await Promise.all([processNames(), get(`/process-instances/${id}`),
    get(`/process-instances/${id}/history`)]);
  const xml = await text(`/process-definitions/${encodeURIComponent(instance.process_key)}/xml`,
    { version: instance.version });
  const incidents = isAdmin() ? (await get("/incidents")).items.filter((i) => i.instance_id === instance.id && !i.resolved_at) : [];
  const labels = elementNames(xml);
  const titles = await fieldTitles(instance.process_key, instance.version);
  const done = history.events.filter((e) => e.element_id && e.action !== "claim").map((e) => e.element_id);
  const open = instance.open_tasks.map((t) => t.element_id);
  const diagram = h("div");
  const tasks = instance.open_tasks.map((t) => h("li", {},
    h("a", { href: `#/tasks/${encodeURIComponent(t.id)}` }, t.name),
    `：交给 ${groups(t.candidate_groups)}，${t.due_at ? `期限 ${when(t.due_at)}（${due(t.due_at)}）` : "无期限"}`));
  const reason = h("textarea", { name: "reason", required: true, maxlength: "500" });
  const cancel = h("form", { class: "card", "aria-label": "撤销案件" }, field("撤销原因", reason),
    h("button", { type: "submit", class: "danger" }, "撤销案件"));
  cancel.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await post(`/process-instances/${id}/cancel`, { reason: reason.value.trim() });
      toast("案件已撤销");
      render(main, instanceId);
    } catch (error) { toast(error.message); }
  });
  clear(main, h("h1", {}, processName(names, instance.process_key), instance.business_key ? ` · ${instance.business_key}` : ""),
    h("section", { class: "card" }, h("dl", { class: "vars" },
      h("dt", {}, "状态"), h("dd", {}, h("span", { class: `badge ${instance.status}` }, status(instance.status))),
      h("dt", {}, "区域"), h("dd", {}, region(instance.region)),
      h("dt", {}, "版本"), h("dd", {}, `第 ${instance.version} 版`),
      h("dt", {}, "发起时间"), h("dd", {}, when(instance.created_at)),
      h("dt", {}, "最近变化"), h("dd", {}, when(instance.updated_at)))),
    h("h2", {}, "流程图"), legend(), diagram,
    tasks.length ? [h("h2", {}, "待办"), h("ul", { class: "open-tasks" }, tasks)] : null,
    incidents.length ? [h("h2", {}, "故障"), h("ul", {}, incidents.map((i) => h("li", { class: "error" },
      `${labels[i.element_id] || "后台任务"}：${i.error}`)))] : null,
    h("h2", {}, "案件数据"), h("section", { class: "card" }, variables(instance.variables, titles)),
    h("h2", {}, "办理记录"), h("section", { class: "card" }, timeline(history.events, labels, titles)),
    instance.status === "running" ? cancel : null);
  await drawProcess(diagram, xml, { done, open, incidents: incidents.map((i) => i.element_id) });
}
