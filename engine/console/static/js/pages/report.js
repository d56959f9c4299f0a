// One report: period and region pickers, the table, an ECharts chart, CSV and Excel downloads.
import { download, get } from "../api.js";
import { clear, field, h, select, table } from "../dom.js";
import { regionOptions, value } from "../format.js";
import { dayField, monthField } from "../dates.js";
import { echarts } from "../loader.js";
import { HEADINGS, heading, PARAMS } from "../headings.js";
import { processNames, setQuery } from "./common.js";

// A Beijing "this year" and the report periods people pick from (the plugin's codes stay in the query).
const thisYear = () => Number(new Intl.DateTimeFormat("en", { timeZone: "Asia/Shanghai", year: "numeric" }).format(new Date()));
function periods() {
  const month = Number(new Intl.DateTimeFormat("en", { timeZone: "Asia/Shanghai", month: "numeric" }).format(new Date()));
  const out = [];
  for (const year of [thisYear(), thisYear() - 1]) {
    const started = (first) => year < thisYear() || first <= month;  // no period that has not begun
    for (const q of [4, 3, 2, 1]) if (started(q * 3 - 2)) out.push([`${year}Q${q}`, `${year}年第${q}季度`]);
    for (const [half, name, first] of [["H2", "下半年", 7], ["H1", "上半年", 1]]) {
      if (started(first)) out.push([`${year}${half}`, `${year}年${name}`]);
    }
  }
  return out;
}

// Regions of one level of the tree (2: streets, 3: communities, 4: grids) by their names.
const regionsAt = (...levels) => regionOptions().filter(([path]) => levels.includes(path.split("/").length));

function control(name, current, description, names) {
  if (name === "month") return monthField(name, current);
  if (["start", "end", "from", "to"].includes(name)) return dayField(name, current);
  if (name === "year") return h("input", { type: "number", name, min: "2000", max: "2100", value: current || "" });
  if (name === "street") return select(name, [["", "全部街道"], ...regionsAt(2)], current);
  if (name === "community") return select(name, [["", "本人管辖范围"], ...regionsAt(2, 3)], current);
  if (name === "grid") return select(name, [["", "全部网格"], ...regionsAt(4)], current);
  if (name === "period") return select(name, periods(), current);
  if (name === "all") return select(name, [["", "否"], ["1", "是"]], current);
  if (name === "variant") {
    // The processes the report covers, named in its description by key: offered by their names.
    const keys = (description.match(/[a-z][a-z0-9_]+/g) || []).filter((k) => names.has(k));
    return select(name, [["", "全部形式"], ...keys.map((k) => [k, names.get(k)])], current);
  }
  return h("input", { name, value: current || "" });
}

// A parameter's label: ours, else the plugin's description without the formats and codes it quotes.
const label = (name, description) => PARAMS[name] ||
  description.replace(/（[^）]*）|\(.*?\)|[，,]?\s*如\s.*$|\s*[A-Z]{2,}[-A-Z]*$/g, "").trim() || "条件";

// What the report is asked: the ISO form of dates and months.
const asked = (c) => (typeof c.isoValue === "function" ? c.isoValue() : c.value);

// Rates (0–1) read as percentages, as every other report text says them: 0.5 -> "50%".
const isRate = (key) => /(^|_)rate$/.test(key);
const percent = (v) => `${Math.round(v * 1000) / 10}%`;

function rowsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.rows)) return data.rows;
  return data && typeof data === "object" ? [data] : [];
}

function chartSpec(rows, title = heading, isRatio = isRate) {
  if (!rows.length) return null;
  const keys = Object.keys(rows[0]);
  // The bars are labelled by the name that tells the rows apart (per member rather than their shared grid).
  const distinct = (k) => new Set(rows.map((r) => r[k])).size;
  const named = keys.filter((k) => k.endsWith("_name")).sort((a, b) => distinct(b) - distinct(a))[0];
  const label = named || keys.find((k) => typeof rows[0][k] === "string");
  const measures = keys.filter((k) => typeof rows[0][k] === "number" && (/rate|score|composite/.test(k) || isRatio(k))).slice(0, 4);
  const numbers = measures.length ? measures : keys.filter((k) => typeof rows[0][k] === "number").slice(0, 3);
  if (!label || !numbers.length) return null;
  const rates = numbers.every(isRatio);
  return {
    aria: { enabled: true },
    animation: false,  // figures appear at once (and a screenshot shows the real bars)
    tooltip: { trigger: "axis" },
    legend: { data: numbers.map(title) },
    grid: { left: 48, right: 16, bottom: 64, containLabel: true },
    xAxis: { type: "category", data: rows.map((r) => String(r[label] ?? "")), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: rates ? { type: "value", max: 100, axisLabel: { formatter: "{value}%" } } : { type: "value" },
    series: numbers.map((k) => ({ name: title(k), type: "bar",
      data: rows.map((r) => (rates && typeof r[k] === "number" ? Math.round(r[k] * 1000) / 10 : r[k])) })),
  };
}

export async function render(main, name, query) {
  const [reports, processes] = await Promise.all([get("/reports"), processNames()]);
  const info = reports.items.find((r) => r.name === name);
  if (!info) throw new Error("没有这个报表");
  const names = Object.keys(info.params).filter((p) => p !== "format");
  const params = Object.fromEntries(names.map((p) => [p, query.get(p) || ""]));
  if ("month" in params && !params.month && !params.year && !params.start) {
    params.month = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai" }).format(new Date()).slice(0, 7);
  }
  if ("year" in params && !("month" in params) && !params.year) params.year = String(thisYear());
  if ("period" in params && !params.period) params.period = periods()[0][0];
  const controls = names.map((p) => [p, control(p, params[p], info.params[p], processes)]);
  const form = h("form", { class: "filters card", "aria-label": "报表条件" },
    controls.map(([p, c]) => field(label(p, info.params[p]), c)), h("button", { type: "submit" }, "查询"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`/reports/${encodeURIComponent(name)}`,
      { ...params, format: "csv" }, `${info.title}.csv`) }, "下载 CSV"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`/reports/${encodeURIComponent(name)}`,
      { ...params, format: "xlsx" }, `${info.title}.xlsx`) }, "下载 Excel"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`/reports/${encodeURIComponent(name)}`,
      { ...params, format: "pdf" }, `${info.title}.pdf`) }, "下载 PDF"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    setQuery(`/reports/${name}`, Object.fromEntries(controls.map(([p, c]) => [p, asked(c)])));
  });
  const result = await get(`/reports/${encodeURIComponent(name)}`, params);
  const rows = rowsOf(result.data);
  const labels = { ...HEADINGS, ...Object.fromEntries(processes) };  // keys of nested figures: headings, process names
  const title = (k) => info.headings[k] || heading(k);  // the report's own headings (as its exports), then the shared ones
  // A report that heads its columns shows those, as its exports do (its codes stay in the JSON); its declared
  // ratios read as percentages, like every *_rate.
  const headed = Object.keys(info.headings || {}).length ? (k) => k in info.headings : () => true;
  const ratios = new Set(info.percents || []);
  const isRatio = (k) => isRate(k) || ratios.has(k);
  const columns = rows.length ? Object.keys(rows[0]).filter((k) => headed(k) && (!["department", "street"].includes(k) || !rows[0][`${k}_name`]))
    .map((k) => ({ title: title(k), cell: (r) => (isRatio(k) && typeof r[k] === "number" ? percent(r[k]) : value(r[k], labels)) })) : [];
  const chartBox = h("div", { class: "chart", role: "img", "aria-label": `${info.title}图表` });
  clear(main, h("h1", {}, info.title), h("p", {}, info.description), form,
    h("h2", {}, "图表"), chartBox, h("h2", {}, "数据"), table(columns, rows, { empty: "这一期没有数据。" }));
  const spec = chartSpec(rows, title, isRatio);
  if (!spec) { chartBox.replaceWith(h("p", {}, "没有可以作图的数据。")); return; }
  const lib = await echarts();
  const chart = lib.init(chartBox, null, { renderer: "svg" });
  chart.setOption(spec);
  window.addEventListener("resize", () => chart.resize(), { once: true });
}
