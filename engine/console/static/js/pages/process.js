// A process: its diagram (bpmn-js) and its versions.
import { get, text } from "../api.js";
import { isAdmin } from "../auth.js";
import { clear, h, table } from "../dom.js";
import { when } from "../format.js";
import { drawProcess } from "../diagram.js";

// What a version is made of, counted by kind (file names are paths, not words for people).
function files(names) {
  const count = (test) => names.filter(test).length;
  const parts = [["流程图", count((n) => n.endsWith(".bpmn"))], ["决策表", count((n) => n.endsWith(".dmn"))],
    ["表单", count((n) => n.endsWith(".json"))]].filter(([, n]) => n).map(([what, n]) => `${what} ${n} 个`);
  return parts.join("，") || "无";
}

export async function render(main, key, query) {
  const definition = await get(`/process-definitions/${encodeURIComponent(key)}`);
  const version = Number(query.get("version") || definition.version);
  const xml = await text(`/process-definitions/${encodeURIComponent(key)}/xml`, { version });
  const diagram = h("div");
  const columns = [
    { title: "版本", cell: (v) => h("a", { href: `#/definitions/process/${encodeURIComponent(key)}?version=${v.version}`,
      "aria-current": v.version === version ? "true" : false }, `第 ${v.version} 版`) },
    { title: "部署时间", cell: (v) => when(v.created_at) },
    { title: "文件", cell: (v) => files(v.files) },
  ];
  clear(main, h("h1", {}, definition.name), h("p", {},
    h("a", { class: "button", href: `#/start/${encodeURIComponent(key)}` }, "发起"),
    isAdmin() ? [" ", h("a", { href: `#/modeler/${encodeURIComponent(key)}` }, "修改流程（建模器）"),
      " ", h("a", { href: `#/designer/${encodeURIComponent(key)}` }, "修改规则并部署新版本")] : null),
    h("h2", {}, `流程图（第 ${version} 版）`), diagram, h("h2", {}, "版本"), table(columns, definition.versions));
  await drawProcess(diagram, xml);
}
