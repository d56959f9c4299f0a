// 发起: take in a new case through the process's start form.
import { get, post } from "../api.js";
import { claims } from "../auth.js";
import { clear, field, h, select, toast } from "../dom.js";
import { regionOptions } from "../format.js";
import { renderForm } from "../forms.js";

export async function render(main, key) {
  const definition = await get(`/process-definitions/${encodeURIComponent(key)}`);
  const me = claims() || {};
  const mine = (me.regions?.length ? me.regions : [me.region]).filter(Boolean);
  const options = regionOptions().filter(([path]) => !mine.length || mine.some((r) => path === r || path.startsWith(`${r}/`)));
  const where = select("region", [["", "本人所在区域"], ...options.map(([path, name]) => [path, name])]);
  const businessKey = h("input", { name: "business_key", maxlength: "128" });
  const formHost = h("div");
  const submit = h("button", { type: "submit", disabled: "" }, "提交");  // enabled once the form is built
  const form = h("form", { class: "card", "aria-label": "启动表单" }, field("案件所属区域", where),
    field("业务编号（可不填）", businessKey), formHost, submit);
  let editor = null;
  // Listen before the form is built: a press of Enter in a field must never submit the page natively.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editor) return;
    editor.clearErrors();
    submit.disabled = true;
    const body = { process_key: key, variables: editor.value() };
    if (where.value) body.region = where.value;
    if (businessKey.value.trim()) body.business_key = businessKey.value.trim();
    try {
      const instance = await post("/process-instances", body, { "Idempotency-Key": crypto.randomUUID() });
      toast("已受理");
      location.hash = `#/instances/${encodeURIComponent(instance.id)}`;
    } catch (error) {
      editor.showErrors(error.fieldErrors.map((e) => ({ ...e, field: e.field.replace(/^variables\./, "") })), error.message);
    } finally {
      submit.disabled = false;
    }
  });
  clear(main, h("h1", {}, `发起：${definition.name}`), form);
  editor = await renderForm(formHost, definition.start_form);
  submit.disabled = false;
}
