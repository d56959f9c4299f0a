// The public HTTP API with the bearer token. Problem details (RFC 9457) become ApiError;
// a 401 means the token is missing or expired: back to sign-in with a message.
import { config } from "./config.js";
import { clearToken, token } from "./auth.js";

// Server messages may quote the record's id ("流程实例 <uuid> 不存在…"): people read the sentence without it.
const UUID = /\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*/gi;

export class ApiError extends Error {
  constructor(status, problem) {
    super(String(problem?.detail || problem?.title || `请求失败（${status}）`).replace(UUID, ""));
    this.status = status;
    this.problem = problem || {};
  }
  get fieldErrors() { return this.problem.errors || []; }
}

export function signInUrl(reason) {
  const base = config.dev ? `${config.base}dev/sign-in` : `${config.base}#/sign-in`;
  return reason ? `${base}?reason=${encodeURIComponent(reason)}` : base;
}

let leaving = false;

export function signOut(reason) {
  clearToken();
  if (leaving) return;  // several requests may fail at once: leave once, with the first reason
  leaving = true;
  location.assign(signInUrl(reason));
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== "") params.set(k, v);
  const qs = params.toString();
  return `${config.api}${path}${qs ? `?${qs}` : ""}`;
}

export async function request(path, { method = "GET", body, query, raw = false, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  const value = token();
  if (value) init.headers.Authorization = `Bearer ${value}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, query), init);
  if (response.status === 401) {
    const problem = await response.json().catch(() => ({}));
    signOut(/过期|expired/.test(problem.detail || "") ? "expired" : "signin");
    throw new ApiError(401, problem);
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ detail: `请求失败（${response.status}）` }));
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export const get = (path, query) => request(path, { query });
export const post = (path, body, headers) => request(path, { method: "POST", body, headers });
export const text = async (path, query) => (await request(path, { query, raw: true })).text();

// A download that needs the bearer token: fetch it, then hand the browser a blob.
export async function download(path, query, filename) {
  const blob = await (await request(path, { query, raw: true })).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
