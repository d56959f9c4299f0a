// The bearer token: kept in sessionStorage (gone with the tab), never in a cookie, so no
// other site can make the browser use it. A host portal hands it over in one of two ways:
//   1. the URL fragment:  /console/#token=<JWT>  (read once, then removed from the address bar;
//      fragments are never sent to servers or in Referer headers);
//   2. postMessage from an allowed portal origin (CONSOLE_PORTAL_ORIGINS), when the console is
//      in an iframe:  frame.contentWindow.postMessage({type: "gongzhi-token", token}, consoleOrigin)
//      The console asks for it by posting {type: "gongzhi-token-request"} to its parent.
const KEY = "gongzhi.token";

export function token() { return sessionStorage.getItem(KEY); }

export function setToken(value) { sessionStorage.setItem(KEY, value); }

export function clearToken() { sessionStorage.removeItem(KEY); }

// The token's claims, for showing who is signed in; the server checks the signature.
export function claims() {
  const value = token();
  if (!value) return null;
  try {
    const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (_) {
    return null;
  }
}

export function isAdmin() { return (claims()?.groups || []).includes("admin"); }

export function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  setToken(decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search + "#/");
  return true;
}

export function listenForPortal(origins, onToken) {
  if (!origins.length || window.parent === window) return;
  window.addEventListener("message", (event) => {
    if (!origins.includes(event.origin)) return;
    const data = event.data;
    if (data && data.type === "gongzhi-token" && typeof data.token === "string") {
      setToken(data.token);
      onToken();
    }
  });
  for (const origin of origins) window.parent.postMessage({ type: "gongzhi-token-request" }, origin);
}
