// Without --dev the console has no sign-in of its own: the portal hands over the token.
import { clear, h } from "../dom.js";

const REASONS = { expired: "登录已过期，请从门户重新进入。", signin: "请从门户进入共治控制台。" };

export async function render(main, query) {
  clear(main, h("h1", {}, "请登录"),
    h("p", { class: "notice", role: "alert" }, REASONS[query.get("reason")] || REASONS.signin),
    h("p", {}, "控制台使用门户签发的令牌：门户打开本页时在地址的 # 之后附上令牌，或在内嵌页面中通过 postMessage 传入。"));
}
