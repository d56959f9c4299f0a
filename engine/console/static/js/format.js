// Plain Chinese for people: Beijing time ("12月3日 17:30"), durations ("1 小时内"), and names
// from the organisation directory instead of codes. The Python side has its own filters;
// these follow the same wording.
import { get } from "./api.js";

const ZONE = "Asia/Shanghai";
const parts = (date, options) => Object.fromEntries(
  new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, hour12: false, ...options })
    .formatToParts(date).map((p) => [p.type, p.value]));

// "12月3日 17:30"; the year is added when it is not this year's.
export function when(iso, { now = new Date() } = {}) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  const p = parts(date, { year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const year = parts(now, { year: "numeric" }).year;
  const hour = p.hour === "24" ? "00" : p.hour;
  return `${p.year === year ? "" : `${p.year}年`}${p.month}月${p.day}日 ${hour}:${p.minute}`;
}

const UNITS = [["天", 86400], ["小时", 3600], ["分钟", 60]];

// Seconds as the largest whole unit people use: 3600 -> "1 小时", 90000 -> "1 天 1 小时".
export function span(seconds) {
  let rest = Math.max(0, Math.round(seconds));
  if (rest < 60) return "不到 1 分钟";
  const out = [];
  for (const [name, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n && out.length < 2) out.push(`${n} ${name}`);
    rest -= n * size;
  }
  return out.join(" ");
}

// ISO 8601 durations as written in definitions ("PT1H", "P3D") in words.
export function duration(text) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text || "");
  if (!m) return text || "—";
  const [, d = 0, h = 0, min = 0, s = 0] = m.map((v) => Number(v || 0));
  return span(d * 86400 + h * 3600 + min * 60 + s);
}

// How long until a due time, rounded up the way a clerk says it: "1 小时内", "已超期 2 天".
export function due(iso, now = new Date()) {
  if (!iso) return "无期限";
  const seconds = (new Date(iso) - now) / 1000;
  if (seconds < 0) return `已超期 ${span(-seconds)}`;
  for (const [name, size] of [["天", 86400], ["小时", 3600]]) {
    if (seconds >= size) return `${Math.ceil(seconds / size)} ${name}内`;
  }
  return `${Math.max(1, Math.ceil(seconds / 60))} 分钟内`;
}

const STATUS = { running: "办理中", completed: "已办结", cancelled: "已撤销", open: "待办", done: "已办" };
export const status = (value) => STATUS[value] || value || "—";

const NONE = "无";
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DURATION = /^P(?=\d|T\d)(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$/;

// A calendar day as people write it: "12月1日", with the year when it is not this year's.
export function day(text, now = new Date()) {
  const m = DAY.exec(text || "");
  if (!m) return text || NONE;
  const year = parts(now, { year: "numeric" }).year;
  return `${m[1] === year ? "" : `${m[1]}年`}${Number(m[2])}月${Number(m[3])}日`;
}

// Any value as a person reads it (the console's twin of gongzhi.humanize.plain): "无" for no value,
// 是/否, Beijing times, durations in words, and department, group and region codes as their names.
// ``labels`` (field name -> form title) names the fields of objects; unnamed fields show their values only.
export function value(v, labels = {}) {
  if (v === true) return "是";
  if (v === false) return "否";
  if (v === null || v === undefined || v === "") return NONE;
  if (Array.isArray(v)) return v.map((x) => value(x, labels)).join("、") || NONE;
  if (typeof v === "object") {
    const entries = Object.entries(v).filter(([k]) => !k.startsWith("_"));
    if (!entries.length) return NONE;
    const named = entries.filter(([k]) => labels[k]);
    return named.length
      ? named.map(([k, x]) => `${labels[k]}：${value(x, labels)}`).join("；")
      : entries.map(([, x]) => value(x, labels)).join("，");
  }
  if (typeof v === "number") return String(Math.round(v * 100) / 100);
  const text = String(v).trim();
  if (TIMESTAMP.test(text)) return when(text);
  if (DAY.test(text)) return day(text);
  if (ISO_DURATION.test(text)) return duration(text);
  return nameOf(text) || text;
}

// --- names from the directory ---------------------------------------------------------------
let directory = { regions: new Map(), groups: {}, departments: new Map() };

let loaded = Promise.resolve();

// Resolves once the directory's names are in (pages that fetch their data first await it before drawing).
export const namesReady = () => loaded;

export function loadDirectory() {
  loaded = fetchDirectory();
  return loaded;
}

async function fetchDirectory() {
  try {
    const data = await get("/directory");
    directory = {
      regions: new Map(data.regions.map((r) => [r.path, r.name])),
      groups: data.groups,
      departments: new Map(data.departments.map((d) => [d.code, d.name])),
    };
  } catch (_) { /* names fall back to a neutral word; codes are never shown */ }
}

// "东湖街道 翠苑社区": the names along the path below the district.
export function region(path) {
  if (!path) return "全区";
  const segments = path.split("/");
  const names = [];
  for (let i = 1; i <= segments.length; i++) {
    const name = directory.regions.get(segments.slice(0, i).join("/"));
    if (name && (i > 1 || segments.length === 1)) names.push(name);
  }
  return names.join(" ") || "（未登记的区域）";
}

export const group = (code) => directory.groups[code] || (code === "admin" ? "系统管理员" : "其他人员");
export const groups = (codes) => (codes || []).map(group).join("、") || "—";
export const department = (code) => directory.departments.get(code) || value(code);
// A code of the directory (department, group, region path) as its name; null when it is none of them.
export function nameOf(text) {
  if (directory.departments.has(text)) return directory.departments.get(text);
  if (Object.hasOwn(directory.groups, text)) return directory.groups[text];
  if (directory.regions.has(text)) return region(text);
  return null;
}
export const regionOptions = () => [...directory.regions.entries()];
export const groupOptions = () => Object.entries(directory.groups);
