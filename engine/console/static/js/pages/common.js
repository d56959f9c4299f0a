// Helpers several pages share: process names, paging controls, problem messages.
import { get } from "../api.js";
import { h } from "../dom.js";

let names = null;

// Process key -> its Chinese name (the definitions' names, never the key).
export async function processNames() {
  if (!names) {
    const list = await get("/process-definitions");
    names = new Map(list.items.map((d) => [d.key, d.name]));
  }
  return names;
}

export const processName = (map, key) => map.get(key) || "（未知流程）";

export function pager(page, perPage, total, go) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  return h("nav", { class: "pager", "aria-label": "分页" },
    h("button", { type: "button", class: "secondary", disabled: page <= 1, onclick: () => go(page - 1) }, "上一页"),
    h("span", {}, `第 ${page} / ${pages} 页，共 ${total} 条`),
    h("button", { type: "button", class: "secondary", disabled: page >= pages, onclick: () => go(page + 1) }, "下一页"));
}

export function problemText(error) {
  const errors = error.fieldErrors || [];
  return errors.length ? `${error.message}` : error.message;
}

export function setQuery(path, params) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== undefined && v !== null));
  location.hash = `#${path}${qs.toString() ? `?${qs}` : ""}`;
}
