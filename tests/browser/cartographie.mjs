// The national map's own web component (npm @gouvfr-anct/cartographie-nationale, installed in
// node_modules) pointed at our /v1/lieux.json, in Debian chromium with no internet: the page and
// the component's CDN assets (jsdelivr URLs baked into its bundle and stylesheet) are served from
// the npm package by request interception; any other outside request (the national tile server)
// is refused, as it would be offline.
// Usage: node cartographie.mjs SOURCE_URL OUT_DIR LAT LON ZOOM
// Prints JSON {names, count, errors, failed}; writes OUT_DIR/cartographie.png.
import { launch } from "./browser.mjs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const [source, outDir, lat, lon, zoom] = process.argv.slice(2);
const pkgDir = path.dirname(createRequire(import.meta.url).resolve("@gouvfr-anct/cartographie-nationale/package.json"));
// the page lives on the API's (loopback) origin: chromium refuses requests from a public origin
// to a loopback one (Private Network Access)
const ORIGIN = new URL(source).origin;
const PAGE = `${ORIGIN}/__cartographie__/`;
const CDN = /^https:\/\/cdn\.jsdelivr\.net\/npm\/@gouvfr-anct\/cartographie-nationale@[^/]+\/(.*)$/;
const TYPES = { js: "text/javascript", css: "text/css", json: "application/json", svg: "image/svg+xml",
  png: "image/png", woff: "font/woff", woff2: "font/woff2", ttf: "font/ttf" };

const OFFLINE_STYLE = { version: 8, sources: {}, layers: [{ id: "fond", type: "background", paint: { "background-color": "#f2efe9" } }] };

const html = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Cartographie</title><base href="/">
<link href="https://cdn.jsdelivr.net/npm/@gouvfr-anct/cartographie-nationale@5.22.0/styles.css" rel="stylesheet"></head>
<body class="vh-100">
<fr-mediation-numerique-cartographie source="${source}" latitude="${lat}" longitude="${lon}" zoom="${zoom}"></fr-mediation-numerique-cartographie>
<script src="https://cdn.jsdelivr.net/npm/@gouvfr-anct/cartographie-nationale@5.22.0/cartographie.js" type="module"></script>
</body></html>`;

const browser = await launch();
try {
  const errors = [];
  const failed = new Set();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`.slice(0, 300)); });
  await page.route("**/*", async (route) => {
    const url = route.request().url();
    if (url === PAGE) {
      return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    }
    if (url === `${ORIGIN}/favicon.ico`) return route.fulfill({ status: 204, body: "" });
    // its brand logo is asked relative to <base href="/">: also a package asset
    const local = url.startsWith(`${ORIGIN}/assets/`) ? url.slice(ORIGIN.length + 1) : null;
    const m = local ? [url, local] : url.match(CDN);
    if (!local && url.startsWith(ORIGIN)) return route.continue();
    if (m && m[1].endsWith("data/map-style.json")) {
      // the package's style draws OpenMapTiles from the national tile server, unreachable
      // offline: a plain background instead, so the map still loads and places show
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(OFFLINE_STYLE) });
    }
    if (m) {
      const file = path.join(pkgDir, decodeURIComponent(m[1].split("?")[0]));
      try {
        const body = await readFile(file);
        return route.fulfill({ status: 200, contentType: TYPES[path.extname(file).slice(1)] || "application/octet-stream", body });
      } catch {
        failed.add(url);
        return route.fulfill({ status: 404, body: "" });
      }
    }
    failed.add(new URL(url).host); // offline: the national tile server is out of reach
    return route.abort("internetdisconnected");
  });
  await page.goto(PAGE);
  // below zoom 9 the component lists regions with their counts ("N résultats")
  await page.getByText(/^\d+ résultats$/).first().waitFor({ timeout: 60000 });
  const regions = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll("*")) {
      if (el.children.length === 0 && /^\d+ résultats$/.test(el.textContent.trim())) {
        out.push(Number(el.textContent.trim().split(" ")[0]));
      }
    }
    return out;
  });
  await page.screenshot({ path: `${outDir}/cartographie.png` });
  // open the first region, then its first département: the component lists places by name
  await page.getByText(/^\d+ résultats$/).first().click();
  await page.waitForTimeout(1500);
  const step2 = await page.evaluate(() => document.body.innerText.slice(0, 2000));
  await page.getByText(/^\d+ résultats$/).first().click().catch(() => {});
  await page.waitForFunction(() => !/Aucun résultat|Patientez/.test(document.body.innerText) && /Liste des lieux/.test(document.body.innerText), null, { timeout: 20000 }).catch(() => {});
  const seen = await page.evaluate(() => ({ text: document.body.innerText }));
  seen.step2 = step2;
  seen.regions = regions;
  await page.screenshot({ path: `${outDir}/cartographie-lieux.png` });
  console.log(JSON.stringify({ ...seen, errors, failed: [...failed] }));
} finally {
  await browser.close();
}
