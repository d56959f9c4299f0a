// The properties panel of the BPMN modeler: the settings Gongzhi reads from an element's
// spiffworkflow extension elements (see engine/spiff/parser.py and engine/definitions/model.py):
// candidate groups, form file, due date, instructions, called decision, asynchronous execution.
//
// bpmn-js keeps extension elements of a namespace it has no descriptor for as generic moddle
// objects ($type, attributes as properties, $children, $body) and writes them back unchanged;
// this panel reads and edits those objects, so everything else in the file survives a save.
import { clear, field, h, select } from "./dom.js";
import { group, groupOptions } from "./format.js";

const SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
const WORKING_DAYS = /^add_working_days\((\d{1,3})\)$/;

// --- the extension elements as data -------------------------------------------------------------

function extensions(bo) {
  return bo.extensionElements?.values || [];
}

function child(bo, type) {
  return extensions(bo).find((e) => e.$type === `spiffworkflow:${type}`);
}

export function property(bo, name) {
  const list = child(bo, "properties")?.$children || [];
  return list.find((p) => p.name === name)?.value ?? "";
}

function body(bo, type) {
  return child(bo, type)?.$body ?? "";
}

function ensureExtensions(bo, moddle) {
  if (!bo.extensionElements) {
    bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
    bo.extensionElements.$parent = bo;
  }
  return bo.extensionElements;
}

function ensureChild(bo, moddle, type) {
  let found = child(bo, type);
  if (!found) {
    found = moddle.createAny(`spiffworkflow:${type}`, SPIFF, {});
    ensureExtensions(bo, moddle).values.push(found);
  }
  return found;
}

// Set (or with "" remove) one spiffworkflow:property.
export function setProperty(bo, moddle, name, value) {
  const holder = value === "" ? child(bo, "properties") : ensureChild(bo, moddle, "properties");
  if (!holder) return;
  holder.$children ||= [];
  const index = holder.$children.findIndex((p) => p.name === name);
  if (value === "") {
    if (index >= 0) holder.$children.splice(index, 1);
  } else if (index >= 0) {
    holder.$children[index].value = value;
  } else {
    holder.$children.push(moddle.createAny("spiffworkflow:property", SPIFF, { name, value }));
  }
}

function setBody(bo, moddle, type, value) {
  if (value === "") {
    const values = extensions(bo);
    const index = values.findIndex((e) => e.$type === `spiffworkflow:${type}`);
    if (index >= 0) values.splice(index, 1);
    return;
  }
  ensureChild(bo, moddle, type).$body = value;
}

// --- the fields per element type ----------------------------------------------------------------

function groupsField(bo, onChange) {
  const chosen = new Set(property(bo, "candidateGroups").split(",").map((g) => g.trim()).filter(Boolean));
  const known = groupOptions().filter(([code]) => code !== "admin");
  const extra = [...chosen].filter((code) => !known.some(([c]) => c === code)).map((code) => [code, group(code)]);
  const boxes = [...known, ...extra].map(([code, name]) => {
    const box = h("input", { type: "checkbox", value: code, checked: chosen.has(code) });
    box.addEventListener("change", () => onChange("candidateGroups",
      [...boxes.filter((b) => b.firstChild.checked).map((b) => b.firstChild.value)].join(",")));
    return h("label", { class: "check" }, box, name);
  });
  return h("fieldset", { class: "groups" }, h("legend", {}, "候选组（可办理的人员）"), boxes,
    property(bo, "candidateGroupsExpression") ? h("p", { class: "hint" }, "另有按案件数据决定的候选组（表达式），不在此修改。") : null);
}

function dueField(bo, onChange) {
  const current = property(bo, "dueDateExpression");
  const days = WORKING_DAYS.exec(current)?.[1];
  const mode = !current ? "none" : days ? "days" : "expression";
  const kind = select("due_mode", [["none", "无期限"], ["days", "若干个工作日内"], ["expression", "按表达式"]], mode);
  const number = h("input", { type: "number", name: "due_days", min: "1", max: "365", value: days || "3" });
  const expression = h("input", { name: "due_expression", value: days ? "" : current, maxlength: "500" });
  const numberField = field("工作日数", number);
  const expressionField = field("期限表达式", expression, "如 add_working_days(handle_days)：按案件数据计算");
  const show = () => {
    numberField.hidden = kind.value !== "days";
    expressionField.hidden = kind.value !== "expression";
  };
  const save = () => {
    show();
    const value = kind.value === "days" ? `add_working_days(${Math.max(1, Number(number.value) || 1)})`
      : kind.value === "expression" ? expression.value.trim() : "";
    onChange("dueDateExpression", value);
  };
  kind.addEventListener("change", save);
  number.addEventListener("change", save);
  expression.addEventListener("change", save);
  show();
  return h("div", {}, field("办理期限", kind), numberField, expressionField);
}

function choice(label, name, options, current, onChange) {
  const known = options.some(([v]) => v === current);
  const control = select(name, [["", "（未设置）"], ...options, ...(current && !known ? [[current, "（本组文件中没有）"]] : [])], current);
  control.addEventListener("change", () => onChange(control.value));
  return field(label, control);
}

function userTaskFields(bo, moddle, context, changed) {
  const set = (name, value) => { setProperty(bo, moddle, name, value); changed(name); };
  const instructions = h("textarea", { name: "instructions", rows: "4", maxlength: "5000" }, body(bo, "instructionsForEndUser"));
  instructions.addEventListener("change", () => {
    setBody(bo, moddle, "instructionsForEndUser", instructions.value.trim());
    changed("instructionsForEndUser");
  });
  return [
    groupsField(bo, set),
    choice("表单文件", "form", context.forms.map((f) => [f, f]), property(bo, "formJsonSchemaFilename"),
      (v) => set("formJsonSchemaFilename", v)),
    dueField(bo, set),
    field("办理说明", instructions, "可用 {{ 变量 }} 与过滤器，如 {{ due_at | beijing }}"),
  ];
}

function decisionFields(bo, moddle, context, changed) {
  return [choice("调用的决策", "decision", context.decisions, body(bo, "calledDecisionId"), (v) => {
    setBody(bo, moddle, "calledDecisionId", v);
    changed("calledDecisionId");
  })];
}

function serviceFields(bo, moddle, changed) {
  const box = h("input", { type: "checkbox", name: "async", checked: property(bo, "async").toLowerCase() === "true" });
  box.addEventListener("change", () => { setProperty(bo, moddle, "async", box.checked ? "true" : ""); changed("async"); });
  return [h("label", { class: "check" }, box, "由后台作业执行（异步：调用外部服务时不让办理人等待）")];
}

// What a person reads for each property in the list of changes.
export const LABELS = {
  name: "名称", candidateGroups: "候选组", formJsonSchemaFilename: "表单文件", dueDateExpression: "办理期限",
  instructionsForEndUser: "办理说明", calledDecisionId: "调用的决策", async: "异步执行",
};

// Draw the panel for ``element``; ``onChange(element, key)`` after each edit.
// ``context``: { forms: [file names], decisions: [[id, name]] }.
export function renderPanel(host, element, modeler, context, onChange) {
  if (!element || element.type === "bpmn:Process" || element.type === "bpmn:Collaboration") {
    return clear(host, h("h2", {}, "属性"), h("p", { class: "hint" }, "点击流程图中的环节查看和修改它的设置。"));
  }
  const bo = element.businessObject;
  const moddle = modeler.get("moddle");
  const changed = (key) => onChange(element, key);
  const name = h("input", { name: "element_name", value: bo.name || "", maxlength: "200" });
  name.addEventListener("change", () => {
    modeler.get("modeling").updateLabel(element, name.value.trim());
    changed("name");
  });
  const fields = element.type === "bpmn:UserTask" ? userTaskFields(bo, moddle, context, changed)
    : element.type === "bpmn:BusinessRuleTask" ? decisionFields(bo, moddle, context, changed)
      : element.type === "bpmn:ServiceTask" ? serviceFields(bo, moddle, changed) : [];
  return clear(host, h("h2", {}, "属性"), field("名称", name), fields,
    fields.length ? null : h("p", { class: "hint" }, "这类环节没有共治读取的其他设置。"));
}

// A property's value for the list of changes, in words.
export function describe(bo, key) {
  if (key === "name") return bo.name || "—";
  if (key === "instructionsForEndUser" || key === "calledDecisionId") return body(bo, key) || "（未设置）";
  const value = property(bo, key);
  if (key === "candidateGroups") return value.split(",").filter(Boolean).map(group).join("、") || "（未设置）";
  if (key === "async") return value === "true" ? "是" : "否";
  if (key === "dueDateExpression") {
    const days = WORKING_DAYS.exec(value)?.[1];
    return days ? `${days} 个工作日内` : value || "无期限";
  }
  return value || "（未设置）";
}
