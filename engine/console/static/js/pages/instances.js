// 案件: search the cases the actor may read, paginated on the server.
import { get } from "../api.js";
import { clear, field, h, select, table } from "../dom.js";
import { region, status, when } from "../format.js";
import { pager, processName, processNames, setQuery } from "./common.js";

const PER_PAGE = 20;

export async function render(main, query) {
  const filters = {
    process_key: query.get("process_key") || "", status: query.get("status") || "",
    business_key: query.get("business_key") || "",
  };
  const page = Number(query.get("page") || 1);
  const [names, list] = await Promise.all([processNames(), get("/process-instances", { ...filters, page, per_page: PER_PAGE })]);
  const process = select("process_key", [["", "全部流程"], ...[...names.entries()]], filters.process_key);
  const state = select("status", [["", "全部状态"], ["running", "办理中"], ["completed", "已办结"], ["cancelled", "已撤销"]],
    filters.status);
  const key = h("input", { name: "business_key", value: filters.business_key, maxlength: "128" });
  const form = h("form", { class: "filters card", role: "search" }, field("流程", process), field("状态", state),
    field("业务编号", key), h("button", { type: "submit" }, "查询"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setQuery("/instances", { process_key: process.value, status: state.value, business_key: key.value.trim() });
  });
  const columns = [
    { title: "流程", cell: (i) => h("a", { href: `#/instances/${encodeURIComponent(i.id)}` }, processName(names, i.process_key)) },
    { title: "业务编号", cell: (i) => i.business_key || "—" },
    { title: "状态", cell: (i) => h("span", { class: `badge ${i.status}` }, status(i.status)) },
    { title: "区域", cell: (i) => region(i.region) },
    { title: "发起时间", cell: (i) => when(i.created_at) },
    { title: "最近变化", cell: (i) => when(i.updated_at) },
  ];
  clear(main, h("h1", {}, "案件查询"), form, table(columns, list.items, { empty: "没有符合条件的案件。" }),
    pager(page, PER_PAGE, list.total, (p) => setQuery("/instances", { ...filters, page: p })));
}
