// JSON Schema forms through json-editor (no eval, so it runs under the console's CSP).
// The server validates again; its field errors are shown on the fields they name.
import { jsonEditor } from "./loader.js";
import { clear, h } from "./dom.js";

const OPTIONS = {
  theme: "html", iconlib: null, disable_edit_json: true, disable_properties: true, disable_collapse: true,
  disable_array_delete_all_rows: true, disable_array_delete_last_row: true, array_controls_top: false,
  remove_empty_properties: true, show_errors: "interaction", no_additional_properties: true,
  prompt_before_delete: false, use_default_values: false,
};

// Chinese for json-editor's own words: every message it may show, without the field names or
// patterns some English messages quote (people read the field's title above the message).
const WORDS = {
  error_notset: "必填", error_notempty: "必填", error_required: "必填", error_enum: "请从选项中选择",
  error_const: "只能填写规定的内容", error_minLength: "至少 {{0}} 个字", error_maxLength: "最多 {{0}} 个字",
  error_type: "类型不正确", error_type_union: "类型不正确", error_disallow: "类型不正确", error_disallow_union: "类型不正确",
  error_minimum_incl: "不能小于 {{0}}", error_maximum_incl: "不能大于 {{0}}", error_minimum_excl: "须大于 {{0}}",
  error_maximum_excl: "须小于 {{0}}", error_multipleOf: "须是 {{0}} 的倍数", error_pattern: "格式不正确",
  error_minItems: "至少 {{0}} 项", error_maxItems: "最多 {{0}} 项", error_uniqueItems: "各项不能重复",
  error_additionalItems: "项数超出", error_contains: "缺少规定的项", error_minContains: "缺少规定的项",
  error_maxContains: "规定的项过多", error_minProperties: "填写的项目太少", error_maxProperties: "填写的项目太多",
  error_additional_properties: "有表单以外的项目", error_dependency: "还需填写相关的项目", error_not: "填写的内容不符合要求",
  error_anyOf: "填写的内容不符合要求", error_oneOf: "填写的内容不符合要求", error_date: "请填写日期",
  error_time: "请填写时间", error_datetime_local: "请填写日期和时间", error_invalid_epoch: "日期不能早于 1970 年",
  error_hostname: "网址格式不正确",
  button_add_row_title: "添加{{0}}", button_delete_row_title: "删除{{0}}", button_add: "添加", button_delete: "删除",
};

let languageSet = false;

function dropClosed(schema) {
  if (!schema || typeof schema !== "object") return;
  if (schema.additionalProperties === false) delete schema.additionalProperties;
  for (const value of Object.values(schema)) {
    if (Array.isArray(value)) value.forEach(dropClosed);
    else if (value && typeof value === "object") dropClosed(value);
  }
}

function stripFormat(schema) {
  // The server checks $schema and $id; json-editor would try to fetch them.
  const copy = JSON.parse(JSON.stringify(schema || { type: "object", properties: {} }));
  delete copy.$schema;
  delete copy.$id;
  // json-editor checks "no other fields" against each allOf/if branch too and then complains about
  // the form's own conditional fields; the form only ever sends its own fields, and the server
  // refuses any other (422, on the field), so that check stays on the server.
  dropClosed(copy);
  return copy;
}

export async function renderForm(host, schema, startval) {
  const JSONEditor = await jsonEditor();
  if (!languageSet) {
    JSONEditor.defaults.languages.zh = { ...JSONEditor.defaults.languages.en, ...WORDS };
    JSONEditor.defaults.language = "zh";
    languageSet = true;
  }
  const box = h("div", { class: "je-form" });
  const summary = h("div", { class: "form-errors", role: "alert" });
  clear(host, summary, box);
  const editor = new JSONEditor(box, { ...OPTIONS, schema: stripFormat(schema), startval });
  await new Promise((resolve) => editor.on("ready", resolve));
  return {
    value: () => editor.getValue(),
    clearErrors() { clear(summary); editor.showValidationErrors([]); },
    // Server errors: [{field: "a.b", message}] -> on the field, and listed above the form.
    showErrors(errors, detail) {
      const onFields = errors.map((e) => ({ path: `root.${e.field}`, property: "server", message: e.message }));
      editor.showValidationErrors(onFields);
      clear(summary, h("p", { class: "error" }, detail || "提交未通过，请检查标出的项目："),
        h("ul", {}, errors.map((e) => h("li", {}, e.message))));
      for (const e of errors) {
        const input = box.querySelector(`[name="root[${e.field.split(".").join("][")}]"]`);
        if (input) input.setAttribute("aria-invalid", "true");
      }
      summary.scrollIntoView({ block: "nearest" });
    },
  };
}
