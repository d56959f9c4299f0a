// 案件: search the cases the actor may read by process, status, business key, region and start
// date, paginated on the server (the region list holds only the actor's own regions).
import { claims } from "../auth.js";
import { get } from "../api.js";
import { clear, field, h, select, table } from "../dom.js";
import { dayField } from "../dates.js";
import { namesReady, region, regionOptions, status, when } from "../format.js";
import { pager, processName, processNames, setQuery } from "./common.js";

const PER_PAGE = 20;
const FILTERS = ["process_key", "status", "business_key", "region", "from", "to", "parent_id"];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

// A Beijing calendar day as the instant it starts ("2026-12-01" -> "2026-12-01T00:00:00+08:00").
const dayStart = (day) => `${day}T00:00:00+08:00`;
function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// What the API is asked: dates become the start of the first day and of the day after the last.
export function apiQuery(filters) {
  const { from, to, ...rest } = filters;
  const query = Object.fromEntries(Object.entries(rest).filter(([, v]) => v));
  if (DATE.test(from)) query.started_after = dayStart(from);
  if (DATE.test(to)) query.started_before = dayStart(nextDay(to));
  return query;
}

function regionChoices() {
  const me = claims() || {};
  const mine = (me.regions?.length ? me.regions : [me.region]).filter(Boolean);  // none: the whole tree
  const inside = (path) => !mine.length || mine.some((r) => path === r || path.startsWith(`${r}/`));
  return regionOptions().filter(([path]) => path && inside(path)).map(([path]) => [path, region(path)]);
}

export const waitsForNames = true;  // its data is asked for while the directory loads

export async function render(main, query) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) || ""]));
  const page = Number(query.get("page") || 1);
  const [names, list] = await Promise.all([processNames(),
    get("/process-instances", { ...apiQuery(filters), page, per_page: PER_PAGE }), namesReady()]);
  const process = select("process_key", [["", "全部流程"], ...[...names.entries()]], filters.process_key);
  const state = select("status", [["", "全部状态"], ["running", "办理中"], ["completed", "已办结"], ["cancelled", "已撤销"]],
    filters.status);
  const key = h("input", { name: "business_key", value: filters.business_key, maxlength: "128" });
  const area = select("region", [["", "全部区域"], ...regionChoices()], filters.region);
  const from = dayField("from", filters.from);
  const to = dayField("to", filters.to);
  const form = h("form", { class: "filters card", role: "search" }, field("流程", process), field("状态", state),
    field("业务编号", key), field("区域", area), field("发起日期从", from), field("至", to),
    h("button", { type: "submit" }, "查询"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    setQuery("/instances", { process_key: process.value, status: state.value, business_key: key.value.trim(),
      region: area.value, from: from.isoValue(), to: to.isoValue() });
  });
  const columns = [
    { title: "流程", cell: (i) => h("a", { href: `#/instances/${encodeURIComponent(i.id)}` }, processName(names, i.process_key)) },
    { title: "业务编号", cell: (i) => i.business_key || "—" },
    { title: "状态", cell: (i) => h("span", { class: `badge ${i.status}` }, status(i.status)) },
    { title: "区域", cell: (i) => region(i.region) },
    { title: "发起时间", cell: (i) => when(i.created_at) },
    { title: "最近变化", cell: (i) => when(i.updated_at) },
  ];
  clear(main, h("h1", {}, "案件查询"), form,
    filters.parent_id ? h("p", { class: "notice" }, "只列出某个案件发起的子流程案件。", h("a", { href: "#/instances" }, "查看全部案件")) : null,
    table(columns, list.items, { empty: "没有符合条件的案件。" }),
    pager(page, PER_PAGE, list.total, (p) => setQuery("/instances", { ...filters, page: p })));
}
