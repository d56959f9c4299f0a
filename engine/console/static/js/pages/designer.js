// The designer's loop: change a rule cell in the dmn-js editor, validate on the server (each
// problem marked on its cell), deploy the process together with the changed decision as a new
// version, and start a case that uses it.
import { get, post } from "../api.js";
import { append, clear, field, h, select, table } from "../dom.js";
import { deployNewVersion, showValidation } from "../deploy.js";
import { changedCells, markCells, openTable } from "./dmn.js";

export async function render(main, key) {
  const [definition, sources] = await Promise.all([
    get(`/process-definitions/${encodeURIComponent(key)}`),
    get(`/process-definitions/${encodeURIComponent(key)}/files`),
  ]);
  const files = sources.files.map((f) => ({ ...f }));
  const dmnFiles = files.filter((f) => f.kind === "dmn");
  clear(main, h("h1", {}, `修改规则：${definition.name}`));
  if (!dmnFiles.length) {
    main.append(h("p", {}, "该流程没有决策表。"));
    return;
  }
  const chooser = select("file", dmnFiles.map((f, i) => [String(i), f.name]));
  const host = h("div");
  const status = h("div", { class: "card", role: "status", "aria-live": "polite" });
  const validateButton = h("button", { type: "button" }, "校验");
  const deployButton = h("button", { type: "button", disabled: true }, "部署新版本");
  append(main, [dmnFiles.length > 1 ? field("决策文件", chooser) : null, host,
    h("p", {}, validateButton, " ", deployButton), status]);

  let current = dmnFiles[0];
  let modeler = await openTable(host, current.content, null);
  chooser.addEventListener("change", async () => {
    current = dmnFiles[Number(chooser.value)];
    modeler = await openTable(host, current.content, null);
  });

  async function edited() {
    const { xml } = await modeler.saveXML({ format: true });
    return files.map((f) => (f.name === current.name ? { name: f.name, content: xml } : { name: f.name, content: f.content }));
  }

  validateButton.addEventListener("click", async () => {
    deployButton.disabled = true;
    const candidate = await edited();
    const result = await post("/deployments/validate", { files: candidate });
    markCells(host, result.problems.filter((p) => p.file === current.name).map((p) => p.target_id));
    const changes = changedCells(current.content, candidate.find((f) => f.name === current.name).content);
    const diff = table([
      { title: "单元格", cell: (c) => c.where },
      { title: "原来", cell: (c) => c.before },
      { title: "现在", cell: (c) => c.after },
    ], changes, { empty: "与当前版本相比没有改动。" });
    if (result.valid) deployButton.disabled = changes.length === 0;
    showValidation(status, result, "表中", diff);
  });

  deployButton.addEventListener("click", async () => {
    deployButton.disabled = true;
    await deployNewVersion({ key, files: await edited(), status,
      next: () => h("a", { class: "button", href: `#/start/${encodeURIComponent(key)}` }, "用新版本发起案件") });
  });
}
