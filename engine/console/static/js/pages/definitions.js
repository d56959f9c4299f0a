// 流程与规则: every deployed process and decision with its versions.
import { get } from "../api.js";
import { isAdmin } from "../auth.js";
import { clear, h, table } from "../dom.js";
import { when } from "../format.js";

export async function render(main) {
  const [processes, decisions] = await Promise.all([get("/process-definitions"), get("/decisions")]);
  const admin = isAdmin();
  const processColumns = [
    { title: "流程", cell: (d) => h("a", { href: `#/definitions/process/${encodeURIComponent(d.key)}` }, d.name) },
    { title: "最新版本", cell: (d) => `第 ${d.version} 版（共 ${d.versions} 版）` },
    { title: "部署时间", cell: (d) => when(d.updated_at) },
    { title: "操作", cell: (d) => [h("a", { href: `#/start/${encodeURIComponent(d.key)}` }, "发起"),
      admin ? [" · ", h("a", { href: `#/designer/${encodeURIComponent(d.key)}` }, "修改规则")] : null] },
  ];
  const decisionColumns = [
    { title: "决策", cell: (d) => h("a", { href: `#/definitions/decision/${encodeURIComponent(d.id)}` }, d.name || "（未命名）") },
    { title: "版本", cell: (d) => `第 ${d.version} 版` },
    { title: "规则数", cell: (d) => (d.rules ? `${d.rules.length} 条` : "表达式") },
  ];
  clear(main, h("h1", {}, "流程与规则"), h("h2", {}, "流程"), table(processColumns, processes.items),
    h("h2", {}, "决策表"), table(decisionColumns, decisions.items));
}
