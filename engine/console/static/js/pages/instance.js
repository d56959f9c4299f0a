// One case: its diagram with what is done and what waits, its data (masked as the API masks
// it), the audit trail as a timeline, and cancelling with a reason.
import { get, post, text } from "../api.js";
import { isAdmin } from "../auth.js";
import { clear, field, h, toast } from "../dom.js";
import { due, groups, region, status, value, when } from "../format.js";
import { drawProcess, legend } from "../diagram.js";
import { processName, processNames } from "./common.js";
import { labelsOf, variables } from "./task.js";

const ACTIONS = {
  start: "发起", complete: "完成", claim: "认领", timer: "计时到期", message: "收到消息", service: "后台调用完成",
  service_call: "调用服务", decision: "规则判定", cancel: "撤销", completed: "办结", cancelled: "撤销",
  incident_retry: "重试故障", deploy: "部署",
};

const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";
const SHOWN_CHILDREN = 3;

// A decision event in words, as the demo tells it: the rule's description (or its number) and the
// outputs under their labels; never rule ids.
function told(event, decisions) {
  const decision = decisions.get(event.decision_id) || {};
  const rules = new Map((decision.rules || []).map((r) => [r.id, r]));
  const why = (event.matched_rules || []).map((id) => {
    const rule = rules.get(typeof id === "string" ? id : id?.id);
    return rule ? rule.description || `第 ${rule.number} 条规则` : "一条规则";
  }).join("、") || "没有规则命中";
  const outputs = Object.fromEntries((decision.outputs || []).filter((o) => o.name).map((o) => [o.name, o.label || ""]));
  return `依据「${why}」，结果：${value(event.result, outputs)}`;
}

async function decisionsFor(events) {
  if (!events.some((e) => e.action === "decision")) return new Map();
  try { return new Map((await get("/decisions")).items.map((d) => [d.id, d])); } catch (_) { return new Map(); }
}

// The file of the version that defines process ``key`` (a called process travels with its caller).
function processElement(xml, key) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  return [...doc.getElementsByTagNameNS(BPMN, "process")].find((p) => p.getAttribute("id") === key);
}

function processFile(files, key) {
  return files.find((f) => f.name.endsWith(".bpmn") && processElement(f.content, key))?.content;
}

function timeline(events, names, titles, decisions) {
  return h("ol", { class: "timeline" }, events.map((e) => {
    const who = e.actor?.name || "系统";
    const element = names[e.element_id] || "";
    const detail = e.action === "decision"
      ? told(e, decisions)
      : e.action === "complete" && e.data ? Object.entries(e.data).filter(([k]) => titles[k]).slice(0, 4)
        .map(([k, v]) => `${titles[k]}：${value(v, titles)}`).join("；")
        : e.reason ? `原因：${e.reason}` : "";
    return h("li", {}, h("time", { datetime: e.at }, when(e.at)), `${who} ${ACTIONS[e.action] || "操作"}`,
      element ? `「${element}」` : "", detail ? h("div", { class: "detail" }, detail) : null);
  }));
}

function parse(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const names = {};
  for (const el of doc.querySelectorAll("[id][name]")) names[el.getAttribute("id")] = el.getAttribute("name");
  // call activity id -> the process key it starts
  const calls = Object.fromEntries([...doc.getElementsByTagNameNS(BPMN, "callActivity")]
    .map((el) => [el.getAttribute("id"), el.getAttribute("calledElement")]));
  return { names, calls };
}


// Links drawn on the diagram: a call activity opens the process it calls (run inside this case);
// a task that started another case (gongzhi.start_process, business key "<case>:<element>:<task>")
// opens that case.
function diagramLinks(calls, children, instanceId) {
  const base = `#/instances/${encodeURIComponent(instanceId)}`;
  const links = Object.fromEntries(Object.entries(calls).filter(([, key]) => key)
    .map(([element, key]) => [element, [{ href: `${base}?called=${encodeURIComponent(key)}`, label: "打开子流程" }]]));
  for (const child of children.items) {
    const [parent, element] = (child.business_key || "").split(":");
    if (parent !== instanceId || !element) continue;
    const list = (links[element] ||= []);
    if (list.length < SHOWN_CHILDREN) {
      list.push({ href: `#/instances/${encodeURIComponent(child.id)}`, label: `打开子案件（${status(child.status)}）` });
    }
  }
  return links;
}

function auditCheck(id) {
  const result = h("p", { role: "status" });
  const button = h("button", { type: "button", class: "secondary" }, "核验审计记录");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const report = await get(`/process-instances/${id}/audit/verify`);
      clear(result, report.ok
        ? h("span", { class: "audit-ok" }, `审计记录完好：${report.events} 条记录逐条核验无误（${when(report.checked_at)}）`)
        : [h("span", { class: "error" }, `审计记录有问题（${report.problems.length} 处）：`),
          h("ul", { class: "problems" }, report.problems.map((p) => h("li", {}, p)))]);
    } catch (error) { clear(result, h("span", { class: "error" }, error.message)); }
    button.disabled = false;
  });
  return h("section", { class: "card", "aria-label": "审计核验" }, button, result);
}

export async function render(main, instanceId, query = new URLSearchParams()) {
  const id = encodeURIComponent(instanceId);
  const called = query.get("called");
  const [names, instance, history] = await Promise.all([processNames(), get(`/process-instances/${id}`),
    get(`/process-instances/${id}/history`)]);
  const { files } = await get(`/process-definitions/${encodeURIComponent(instance.process_key)}/files`,
    { version: instance.version });
  const calledXml = called ? processFile(files, called) : null;
  const xml = calledXml || processFile(files, instance.process_key) ||
    await text(`/process-definitions/${encodeURIComponent(instance.process_key)}/xml`, { version: instance.version });
  const [incidentList, timers, children, titles, decisions] = await Promise.all([
    isAdmin() ? get("/incidents") : { items: [] },
    get(`/process-instances/${id}/timers`),  // every reader of the case sees when it moves on by itself
    get("/process-instances", { parent_id: instance.id, per_page: 200 }),
    labelsOf(instance.process_key, instance.version), decisionsFor(history.events)]);
  const incidents = incidentList.items.filter((i) => i.instance_id === instance.id && !i.resolved_at);
  const waiting = timers.items;
  const { names: labels, calls } = parse(xml);
  const calledName = calledXml ? processElement(calledXml, called).getAttribute("name") || "子流程" : null;
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
      render(main, instanceId, query);
    } catch (error) { toast(error.message); }
  });
  clear(main, h("h1", {}, processName(names, instance.process_key), instance.business_key ? ` · ${instance.business_key}` : ""),
    h("section", { class: "card" }, h("dl", { class: "vars" },
      h("dt", {}, "状态"), h("dd", {}, h("span", { class: `badge ${instance.status}` }, status(instance.status))),
      h("dt", {}, "区域"), h("dd", {}, region(instance.region)),
      h("dt", {}, "版本"), h("dd", {}, `第 ${instance.version} 版`),
      h("dt", {}, "发起时间"), h("dd", {}, when(instance.created_at)),
      h("dt", {}, "最近变化"), h("dd", {}, when(instance.updated_at)),
      instance.parent_id ? [h("dt", {}, "上级案件"), h("dd", {}, h("a", { class: "parent-case",
        href: `#/instances/${encodeURIComponent(instance.parent_id)}` }, "打开发起本案件的上级案件"))] : null)),
    h("h2", {}, calledName ? `流程图：子流程「${calledName}」` : "流程图"),
    calledName ? h("p", {}, h("a", { href: `#/instances/${id}` }, "返回主流程图")) : null, legend(), diagram,
    tasks.length ? [h("h2", {}, "待办"), h("ul", { class: "open-tasks" }, tasks)] : null,
    waiting.length ? [h("h2", {}, "定时器"), h("ul", { class: "timers" }, waiting.map((j) => h("li", {},
      `${j.element_name || labels[j.element_id] || "定时器"}：${when(j.due_at)}（${due(j.due_at)}）`)))] : null,
    children.total ? [h("h2", {}, "子流程案件"), h("ul", { class: "children" }, children.items.map((c) => h("li", {},
      h("a", { href: `#/instances/${encodeURIComponent(c.id)}` }, processName(names, c.process_key)),
      `：${status(c.status)}，${when(c.created_at)} 发起`)))] : null,
    incidents.length ? [h("h2", {}, "故障"), h("ul", {}, incidents.map((i) => h("li", { class: "error" },
      `${labels[i.element_id] || "后台任务"}：${i.error}`)))] : null,
    h("h2", {}, "案件数据"), h("section", { class: "card" }, variables(instance.variables, titles)),
    h("h2", {}, "办理记录"), h("section", { class: "card" }, timeline(history.events, labels, titles, decisions)), auditCheck(id),
    instance.status === "running" ? cancel : null);
  await drawProcess(diagram, xml, { done, open, incidents: incidents.map((i) => i.element_id),
    timers: waiting.map((j) => j.element_id), links: diagramLinks(calls, children, instance.id) });
}
