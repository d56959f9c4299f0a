// What the page shell tells the modules (data attributes: no inline script under the CSP).
const data = document.body.dataset;

export const config = {
  api: data.api,
  base: data.base,
  assets: data.assets,
  dev: data.dev === "1",
  page: data.page,
  portalOrigins: (data.portalOrigins || "").split(",").filter(Boolean),
};
