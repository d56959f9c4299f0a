// Development sign-in (only with `gongzhi serve --dev`): pick a role and a region of the demo
// directory; the server mints a token for it.
import { config } from "../config.js";
import { setToken } from "../auth.js";
import { clear, field, h, select } from "../dom.js";

const REASONS = { expired: "登录已过期，请重新登录。", signin: "请先登录。" };

export async function render(main) {
  const reason = new URLSearchParams(location.search).get("reason");
  const roles = (await (await fetch(`${config.base}dev/roles`)).json()).roles;
  const role = select("group", roles.map((r) => [r.group, r.name]));
  const regionBox = h("div");
  const name = h("input", { name: "name", maxlength: "40", autocomplete: "name" });
  const error = h("p", { class: "error", role: "alert" });
  const fillRegions = () => {
    const chosen = roles.find((r) => r.group === role.value);
    clear(regionBox, chosen.regions.length
      ? field("所在区域", select("region", chosen.regions.map((r) => [r.path, r.name])))
      : h("p", {}, "管理员不限区域，可查看全部案件与个人信息。"));
  };
  role.addEventListener("change", fillRegions);
  const form = h("form", { class: "card", "aria-labelledby": "signin-title" },
    h("p", { class: "notice" }, "开发模式：任选角色登录，仅供本机试用。生产环境由门户传入令牌。"),
    field("角色", role), regionBox, field("显示姓名（可不填）", name),
    h("button", { type: "submit" }, "登录"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const regionSelect = form.querySelector("select[name=region]");
    const response = await fetch(`${config.base}dev/token`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ group: role.value, region: regionSelect ? regionSelect.value : "", name: name.value }),
    });
    const body = await response.json();
    if (!response.ok) { error.textContent = body.detail || "登录失败"; return; }
    setToken(body.token);
    location.assign(`${config.base}#/tasks`);
  });
  fillRegions();
  clear(main, h("h1", { id: "signin-title" }, "登录共治控制台"),
    reason && REASONS[reason] ? h("p", { class: "notice", role: "alert" }, REASONS[reason]) : null, form);
}
