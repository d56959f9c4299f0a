// 任务调度: the background worker's queue — due, held, waiting and failed jobs — and whether the
// worker keeps up (read from the queue itself: leases, its last audit event, overdue jobs).
import { get } from "../api.js";
import { clear, field, h, select, table } from "../dom.js";
import { due, region, span, when } from "../format.js";
import { pager, processName, processNames, setQuery } from "./common.js";

const PER_PAGE = 20;
const KINDS = { timer: "定时", service: "后台服务", delivery: "消息推送" };
const STATES = [["", "全部"], ["due", "已到期待执行"], ["leased", "正在执行"], ["scheduled", "未到期"], ["failed", "失败（已成故障）"]];
const STATE_NAMES = Object.fromEntries(STATES);

function workerCard(w) {
  const verdict = {
    working: ["ok", "后台作业进程正在运行"],
    idle: ["ok", "后台作业进程运行正常，没有积压的作业"],
    behind: ["error", `有 ${w.overdue} 项作业到期超过 ${span(w.lease_seconds)} 仍无人执行：后台作业进程可能未运行或忙不过来`],
  }[w.state] || ["", "状态未知"];
  return h("section", { class: "card worker", "aria-label": "后台作业进程" },
    h("p", { class: `verdict ${verdict[0]}`, role: "status" }, verdict[1]),
    h("dl", { class: "vars" },
      h("dt", {}, "最近一次推进案件"), h("dd", {}, w.last_activity_at ? when(w.last_activity_at) : "尚无记录"),
      h("dt", {}, "正在执行的进程"), h("dd", {}, w.workers.length ? `${w.workers.length} 个` : "无"),
      h("dt", {}, "最早到期未执行"), h("dd", {}, w.oldest_due_at ? `${when(w.oldest_due_at)}（${due(w.oldest_due_at)}）` : "无"),
      h("dt", {}, "作业数"), h("dd", {}, `已到期 ${w.counts.due}，正在执行 ${w.counts.leased}，未到期 ${w.counts.scheduled}，失败 ${w.counts.failed}`),
      h("dt", {}, "检查时间"), h("dd", {}, when(w.checked_at))));
}

export async function render(main, query) {
  const status = query.get("status") || "";
  const page = Number(query.get("page") || 1);
  const [names, worker, list] = await Promise.all([processNames(), get("/jobs/worker"),
    get("/jobs", { ...(status ? { status } : {}), page, per_page: PER_PAGE })]);
  const picker = select("status", STATES, status);
  const form = h("form", { class: "filters card", role: "search" }, field("作业状态", picker), h("button", { type: "submit" }, "查询"));
  form.addEventListener("submit", (e) => { e.preventDefault(); setQuery("/jobs", { status: picker.value }); });
  const columns = [
    { title: "类型", cell: (j) => KINDS[j.kind] || "后台任务" },
    { title: "状态", cell: (j) => h("span", { class: `badge job-${j.status}` }, STATE_NAMES[j.status] || "—") },
    { title: "案件", cell: (j) => (j.instance_id ? h("a", { href: `#/instances/${encodeURIComponent(j.instance_id)}` },
      `${processName(names, j.process_key)}${j.business_key ? ` · ${j.business_key}` : ""}`) : "—") },
    { title: "环节", cell: (j) => j.element_name || "—" },
    { title: "区域", cell: (j) => region(j.region) },
    { title: "到期时间", cell: (j) => `${when(j.due_at)}（${due(j.due_at)}）` },
    { title: "已尝试", cell: (j) => `${j.attempts} 次` },
    { title: "说明", cell: (j) => j.status === "leased" ? `执行中，租约至 ${when(j.locked_until)}` : j.last_error || "—" },
  ];
  clear(main, h("h1", {}, "任务调度"),
    h("p", {}, "定时器、异步服务和消息推送由后台作业进程执行；这里看它是否在运行、有哪些作业在排队。"),
    workerCard(worker), form, table(columns, list.items, { empty: "没有符合条件的作业。" }),
    pager(page, PER_PAGE, list.total, (p) => setQuery("/jobs", { status, page: p })));
}
