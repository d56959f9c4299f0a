// One report: period and region pickers, the table, an ECharts chart, CSV and Excel downloads.
import { download, get } from "../api.js";
import { clear, field, h, select, table } from "../dom.js";
import { regionOptions, value } from "../format.js";
import { echarts } from "../loader.js";
import { heading, PARAMS } from "../headings.js";
import { setQuery } from "./common.js";

function control(name, current) {
  if (name === "month") return h("input", { type: "month", name, value: current || new Date().toISOString().slice(0, 7) });
  if (name === "start" || name === "end") return h("input", { type: "date", name, value: current || "" });
  if (name === "year") return h("input", { type: "number", name, min: "2000", max: "2100", value: current || "" });
  if (name === "street") {
    const streets = regionOptions().filter(([path]) => path.split("/").length === 2);
    return select(name, [["", "全部街道"], ...streets], current);
  }
  return h("input", { name, value: current || "" });
}

// Rates (0–1) read as percentages, as every other report text says them: 0.5 -> "50%".
const isRate = (key) => /(^|_)rate$/.test(key);
const percent = (v) => `${Math.round(v * 1000) / 10}%`;

function rowsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.rows)) return data.rows;
  return data && typeof data === "object" ? [data] : [];
}

function chartSpec(rows) {
  if (!rows.length) return null;
  const keys = Object.keys(rows[0]);
  const label = keys.find((k) => k.endsWith("_name")) || keys.find((k) => typeof rows[0][k] === "string");
  const measures = keys.filter((k) => typeof rows[0][k] === "number" && /rate|score|composite/.test(k)).slice(0, 4);
  const numbers = measures.length ? measures : keys.filter((k) => typeof rows[0][k] === "number").slice(0, 3);
  if (!label || !numbers.length) return null;
  const rates = numbers.every(isRate);
  return {
    aria: { enabled: true },
    animation: false,  // figures appear at once (and a screenshot shows the real bars)
    tooltip: { trigger: "axis" },
    legend: { data: numbers.map(heading) },
    grid: { left: 48, right: 16, bottom: 64, containLabel: true },
    xAxis: { type: "category", data: rows.map((r) => String(r[label] ?? "")), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: rates ? { type: "value", max: 100, axisLabel: { formatter: "{value}%" } } : { type: "value" },
    series: numbers.map((k) => ({ name: heading(k), type: "bar",
      data: rows.map((r) => (rates && typeof r[k] === "number" ? Math.round(r[k] * 1000) / 10 : r[k])) })),
  };
}

export async function render(main, name, query) {
  const info = (await get("/reports")).items.find((r) => r.name === name);
  if (!info) throw new Error("没有这个报表");
  const names = Object.keys(info.params).filter((p) => p !== "format");
  const params = Object.fromEntries(names.map((p) => [p, query.get(p) || ""]));
  if ("month" in params && !params.month && !params.year && !params.start) params.month = new Date().toISOString().slice(0, 7);
  const controls = names.map((p) => [p, control(p, params[p])]);
  const form = h("form", { class: "filters card", "aria-label": "报表条件" },
    controls.map(([p, c]) => field(PARAMS[p] || info.params[p], c)), h("button", { type: "submit" }, "查询"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`/reports/${encodeURIComponent(name)}`,
      { ...params, format: "csv" }, `${info.title}.csv`) }, "下载 CSV"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`/reports/${encodeURIComponent(name)}`,
      { ...params, format: "xlsx" }, `${info.title}.xlsx`) }, "下载 Excel"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`/reports/${encodeURIComponent(name)}`,
      { ...params, format: "pdf" }, `${info.title}.pdf`) }, "下载 PDF"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setQuery(`/reports/${name}`, Object.fromEntries(controls.map(([p, c]) => [p, c.value])));
  });
  const result = await get(`/reports/${encodeURIComponent(name)}`, params);
  const rows = rowsOf(result.data);
  const columns = rows.length ? Object.keys(rows[0]).filter((k) => !["department", "street"].includes(k) || !rows[0][`${k}_name`])
    .map((k) => ({ title: heading(k), cell: (r) => (isRate(k) && typeof r[k] === "number" ? percent(r[k]) : value(r[k])) })) : [];
  const chartBox = h("div", { class: "chart", role: "img", "aria-label": `${info.title}图表` });
  clear(main, h("h1", {}, info.title), h("p", {}, info.description), form,
    h("h2", {}, "图表"), chartBox, h("h2", {}, "数据"), table(columns, rows, { empty: "这一期没有数据。" }));
  const spec = chartSpec(rows);
  if (!spec) { chartBox.replaceWith(h("p", {}, "没有可以作图的数据。")); return; }
  const lib = await echarts();
  const chart = lib.init(chartBox, null, { renderer: "svg" });
  chart.setOption(spec);
  window.addEventListener("resize", () => chart.resize(), { once: true });
}
