// One task: instructions, due time, its case's data, and the form to complete it.
import { get, post } from "../api.js";
import { clear, h, toast } from "../dom.js";
import { due, groups, region, status, value, when } from "../format.js";
import { renderForm } from "../forms.js";
import { processName, processNames } from "./common.js";

// The case's data as people read it: each field under its form title, values in plain words.
// Fields no form names are the process's own working values (routing, counters): counted, not listed.
export function variables(data, labels = {}) {
  const entries = Object.entries(data || {}).filter(([k]) => !k.startsWith("_"));
  const named = entries.filter(([k]) => labels[k]);
  const rest = entries.length - named.length;
  const note = rest ? h("p", { class: "hint" }, `另有 ${rest} 项流程自动计算的数据，不在此列出。`) : null;
  if (!named.length) return [h("p", {}, "（无）"), note];
  return [h("dl", { class: "vars" }, named.map(([k, v]) => [h("dt", {}, labels[k]), h("dd", {}, value(v, labels))])), note];
}

// Field titles of the process's forms (the latest version: a task does not name its version).
export async function labelsOf(processKey, version) {
  try {
    return (await get(`/process-definitions/${encodeURIComponent(processKey)}/labels`, { version })).labels;
  } catch (error) {
    if (error.status === 401) throw error;
    return {};  // names unknown: the data is counted, never shown under its field names
  }
}

export async function render(main, taskId) {
  const [names, task] = await Promise.all([processNames(), get(`/tasks/${encodeURIComponent(taskId)}`)]);
  const formTitles = Object.fromEntries(Object.entries(task.form?.properties || {})
    .filter(([, v]) => v.title).map(([k, v]) => [k, v.title]));
  const titles = { ...(await labelsOf(task.process_key)), ...formTitles };
  const formHost = h("div");
  const submit = h("button", { type: "submit", disabled: "" }, "提交办理");  // enabled once the form is built
  const claim = h("button", { type: "button", class: "secondary" }, "认领");
  const form = h("form", { class: "card", "aria-label": "办理表单" }, formHost, submit, " ", task.assignee ? null : claim);
  const facts = h("dl", { class: "vars" },
    h("dt", {}, "流程"), h("dd", {}, h("a", { href: `#/instances/${encodeURIComponent(task.instance_id)}` },
      processName(names, task.process_key))),
    h("dt", {}, "状态"), h("dd", {}, status(task.status)),
    h("dt", {}, "区域"), h("dd", {}, region(task.region)),
    h("dt", {}, "交给"), h("dd", {}, groups(task.candidate_groups)),
    h("dt", {}, "期限"), h("dd", {}, task.due_at ? `${when(task.due_at)}（${due(task.due_at)}）` : "无期限"),
    h("dt", {}, "收到时间"), h("dd", {}, when(task.created_at)));
  clear(main, h("h1", {}, task.name),
    task.instructions ? h("p", { class: "notice instructions" }, task.instructions) : null,
    h("section", { class: "card" }, facts),
    task.status === "open" ? form : h("p", {}, "该任务已办理。"),
    h("h2", {}, "案件数据"), h("section", { class: "card" }, variables(task.data, titles)));
  if (task.status !== "open") return;
  let editor = null;
  claim.addEventListener("click", async () => {
    try { await post(`/tasks/${encodeURIComponent(taskId)}/claim`); toast("已认领"); claim.remove(); }
    catch (error) { toast(error.message); }
  });
  // Listen before the form is built: a press of Enter in a field must never submit the page natively.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editor) return;
    editor.clearErrors();
    submit.disabled = true;
    try {
      const instance = await post(`/tasks/${encodeURIComponent(taskId)}/complete`, { data: editor.value() });
      toast("已提交");
      const next = instance.open_tasks?.[0];
      location.hash = `#/instances/${encodeURIComponent(instance.id)}`;
      if (next) toast(`已提交，下一步：${next.name}`);
    } catch (error) {
      if (error.fieldErrors.length) editor.showErrors(error.fieldErrors, error.message);
      else editor.showErrors([], error.message);
    } finally {
      submit.disabled = false;
    }
  });
  editor = await renderForm(formHost, task.form);
  submit.disabled = false;
}
