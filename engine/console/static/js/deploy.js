// What the designer (rule tables) and the modeler (diagrams) share: the server's dry-run result
// shown with the change list, and deploying the changed files as a new version.
import { post } from "./api.js";
import { clear, h, toast } from "./dom.js";

// The outcome of POST /deployments/validate; ``where`` says where the problems are marked ("表中", "图中").
export function showValidation(status, result, where, diff) {
  if (result.valid) {
    clear(status, h("p", { class: "ok" }, "校验通过。"), h("h2", {}, "与当前版本的差异"), diff);
    return;
  }
  clear(status, h("p", { class: "error" }, `校验未通过，共 ${result.problems.length} 个问题（已在${where}标出）：`),
    h("ul", { class: "problems" }, result.problems.map((p) => h("li", {}, p.message))),
    h("h2", {}, "与当前版本的差异"), diff);
}

// Deploy ``files`` as a new version of process ``key`` (one idempotency key per click: a retried
// request deploys once). On success the status names the version and offers ``next(version)``;
// a refused deployment changes nothing and its problems go to ``onProblems`` and the status.
export async function deployNewVersion({ key, files, status, next, onProblems = () => {} }) {
  try {
    const result = await post("/deployments", { files }, { "Idempotency-Key": crypto.randomUUID() });
    const process = result.created.find((c) => c.kind === "process" && c.key === key);
    clear(status, h("p", { class: "ok" }, process ? `已部署第 ${process.version} 版。` : "没有新版本（内容未变）。"),
      next ? h("p", {}, next(process?.version)) : null);
    toast("部署完成");
    return result;
  } catch (error) {
    if (error.status === 401) throw error;
    const problems = error.fieldErrors || [];
    onProblems(problems);
    clear(status, h("p", { class: "error" }, error.message),
      h("ul", { class: "problems" }, problems.map((e) => h("li", {}, e.message))));
    return null;
  }
}
