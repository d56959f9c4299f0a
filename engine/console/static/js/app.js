// The console's entry: token intake, navigation, and a hash router over the pages.
import { config } from "./config.js";
import { claims, isAdmin, listenForPortal, takeTokenFromFragment, token } from "./auth.js";
import { signOut } from "./api.js";
import { clear, h } from "./dom.js";
import { group, groups, loadDirectory, region } from "./format.js";

const PAGES = [
  // [pattern, module, nav title (if in the menu), admin only]
  [/^\/tasks\/([^/]+)$/, "task"],
  [/^\/tasks$/, "tasks", "待办"],
  [/^\/instances\/([^/]+)$/, "instance"],
  [/^\/instances$/, "instances", "案件"],
  [/^\/start\/([^/]+)$/, "start"],
  [/^\/definitions\/process\/([^/]+)$/, "process"],
  [/^\/definitions\/decision\/([^/]+)$/, "decision"],
  [/^\/definitions$/, "definitions", "流程与规则"],
  [/^\/designer\/([^/]+)$/, "designer"],
  [/^\/modeler\/([^/]+)$/, "modeler"],
  [/^\/incidents$/, "incidents", "故障", true],
  [/^\/jobs$/, "jobs", "任务调度", true],
  [/^\/reports\/([^/]+)$/, "report"],
  [/^\/reports$/, "reports", "报表"],
  [/^\/sign-in$/, "portal-sign-in"],
];

const main = document.getElementById("main");
// The directory's names, loading while the page's module and its data load (not before them).
let directoryReady = Promise.resolve();

function route() {
  const raw = location.hash.replace(/^#/, "") || "/tasks";
  const [path, qs = ""] = raw.split("?");
  return { path: path === "/" ? "/tasks" : path, query: new URLSearchParams(qs) };
}

function renderNav(current) {
  const nav = document.getElementById("nav");
  const items = PAGES.filter(([, , title, admin]) => title && (!admin || isAdmin()));
  clear(nav, h("ul", {}, items.map(([pattern, module, title]) => {
    const path = `/${module}`;
    return h("li", {}, h("a", { href: `#${path}`, "aria-current": current.startsWith(path) ? "page" : false }, title));
  })));
  const toggle = document.getElementById("menu-toggle");
  toggle.onclick = () => {
    const open = nav.hidden;
    nav.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  };
}

function renderWho() {
  const me = claims();
  const who = document.getElementById("who");
  if (!me) return clear(who);
  const where = me.regions?.length > 1 ? me.regions.map(region).join("、") : region(me.region);
  clear(who,
    h("span", { class: "me" }, `${me.name || "用户"}（${groups(me.groups)}，${where}）`),
    h("button", { type: "button", class: "secondary", onclick: () => signOut("") }, "退出"));
}

async function show() {
  const { path, query } = route();
  if (!token() && path !== "/sign-in") return signOut(query.get("reason") || "");
  renderNav(path);
  for (const [pattern, module] of PAGES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const page = await import(`./pages/${module}.js`);
    // A page that asks for its data first and awaits the names itself (namesReady) need not wait here.
    if (!page.waitsForNames) await directoryReady;
    clear(main, h("p", {}, "正在加载…"));
    try {
      await page.render(main, ...match.slice(1).map(decodeURIComponent), query);
    } catch (error) {
      if (error.status !== 401) clear(main, h("h1", {}, "出错了"), h("p", { class: "error", role: "alert" }, error.message));
    }
    main.focus();
    return;
  }
  clear(main, h("h1", {}, "页面不存在"), h("p", {}, h("a", { href: "#/tasks" }, "回到待办")));
}

async function start() {
  if (config.page === "dev-sign-in") {
    const page = await import("./pages/dev-sign-in.js");
    return page.render(main);
  }
  takeTokenFromFragment();
  listenForPortal(config.portalOrigins, () => { renderWho(); show(); });
  if (token()) directoryReady = loadDirectory();
  window.addEventListener("hashchange", show);
  const shown = show();
  await directoryReady;
  renderWho();
  await shown;
}

start();
