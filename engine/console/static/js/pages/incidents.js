// 故障: open incidents with their error and the element they stopped at; retry after fixing.
import { get, post } from "../api.js";
import { clear, h, table, toast } from "../dom.js";
import { region, when } from "../format.js";

const KINDS = { timer: "定时", service: "后台服务", delivery: "消息推送", message: "消息" };

export async function render(main) {
  const list = (await get("/incidents")).items;
  const open = list.filter((i) => !i.resolved_at);
  const columns = [
    { title: "类型", cell: (i) => KINDS[i.kind] || "后台任务" },
    { title: "案件", cell: (i) => (i.instance_id ? h("a", { href: `#/instances/${encodeURIComponent(i.instance_id)}` }, "查看案件") : "—") },
    { title: "区域", cell: (i) => region(i.region) },
    { title: "错误", cell: (i) => i.error },
    { title: "发生时间", cell: (i) => when(i.created_at) },
    { title: "操作", cell: (i) => h("button", { type: "button", onclick: async (event) => {
      event.target.disabled = true;
      try { await post(`/incidents/${i.id}/retry`); toast("已重新排队"); render(main); }
      catch (error) { toast(error.message); event.target.disabled = false; }
    } }, "重试") },
  ];
  clear(main, h("h1", {}, "故障"), h("p", {}, "后台任务多次失败后成为故障；排除原因后重试，作业会重新排队。"),
    table(columns, open, { empty: "没有未处理的故障。" }),
    h("p", {}, `已处理的故障：${list.length - open.length} 个。`));
}
