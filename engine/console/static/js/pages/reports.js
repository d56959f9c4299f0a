// 报表: every report the plugins register.
import { get } from "../api.js";
import { clear, h } from "../dom.js";

export async function render(main) {
  const list = (await get("/reports")).items;
  clear(main, h("h1", {}, "报表"), h("ul", { class: "report-list" }, list.map((r) => h("li", {},
    h("a", { href: `#/reports/${encodeURIComponent(r.name)}` }, r.title), h("div", { class: "hint" }, r.description)))));
}
