// Date pickers that read Chinese whatever the browser's language: a native <input type="date">
// draws its own "mm/dd/yyyy" in the browser's locale, so these are text fields that take
// "2026年12月1日" (or 2026-12-01, 2026/12/1) and hand the API its ISO day.
import { h } from "./dom.js";

const DAY = /^\s*(\d{4})\s*(?:年|-|\/|\.)\s*(\d{1,2})\s*(?:月|-|\/|\.)\s*(\d{1,2})\s*日?\s*$/;
const MONTH = /^\s*(\d{4})\s*(?:年|-|\/|\.)\s*(\d{1,2})\s*月?\s*$/;
const pad = (n) => String(n).padStart(2, "0");

function real(year, month, day) {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

// "2026年12月1日" -> "2026-12-01"; "" -> ""; anything else (or no such day) -> null.
export function parseDay(text) {
  if (!String(text || "").trim()) return "";
  const m = DAY.exec(text);
  if (!m) return null;
  const [year, month, day] = m.slice(1).map(Number);
  return real(year, month, day) ? `${year}-${pad(month)}-${pad(day)}` : null;
}

// "2026年12月" -> "2026-12"; "" -> ""; anything else -> null.
export function parseMonth(text) {
  if (!String(text || "").trim()) return "";
  const m = MONTH.exec(text);
  if (!m) return null;
  const [year, month] = m.slice(1).map(Number);
  return month >= 1 && month <= 12 ? `${year}-${pad(month)}` : null;
}

// The ISO value as people write it.
export function dayText(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : "";
}

export function monthText(iso) {
  const m = /^(\d{4})-(\d{2})$/.exec(iso || "");
  return m ? `${m[1]}年${Number(m[2])}月` : "";
}

function textField(name, shown, placeholder, parse, message) {
  const input = h("input", { type: "text", name, value: shown, placeholder, inputmode: "text", autocomplete: "off",
    maxlength: "20", class: "date-field", lang: "zh-CN" });
  const check = () => input.setCustomValidity(parse(input.value) === null ? message : "");
  input.addEventListener("input", check);
  check();
  // What the API is given: the ISO form ("" for no date). An invalid entry keeps the form from submitting.
  input.isoValue = () => parse(input.value) || "";
  return input;
}

export const dayField = (name, iso) => textField(name, dayText(iso), "如 2026年12月1日", parseDay,
  "请按“2026年12月1日”的样子填写日期");

export const monthField = (name, iso) => textField(name, monthText(iso), "如 2026年12月", parseMonth,
  "请按“2026年12月”的样子填写月份");
