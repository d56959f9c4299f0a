// Building the page from data: text only, never markup. Residents' words go through
// textContent, so a title such as <img src=x onerror=...> shows as the characters it is.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let fieldSeq = 0;

// A labelled control: the label names the control for screen readers.
export function field(labelText, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const hintEl = hint ? h("div", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, labelText), control, hintEl);
}

export function select(name, options, value) {
  const el = h("select", { name });
  for (const [v, text] of options) {
    const opt = h("option", { value: v }, text);
    if (String(v) === String(value ?? "")) opt.selected = true;
    el.append(opt);
  }
  return el;
}

export function table(columns, rows, { empty = "没有记录" } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.title))));
  const body = h("tbody", {}, rows.map((row) =>
    h("tr", {}, columns.map((c) => h("td", { "data-label": c.title }, c.cell(row))))));
  return h("div", { class: "table-wrap" }, h("table", { class: "responsive" }, head, body));
}

export function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.textContent = ""; }, 5000);
}
