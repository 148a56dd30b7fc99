// What every browser test shares: Debian chromium launched headless through playwright-core (no
// browser download is possible here), the wait for the map page to settle, and axe-core.
import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const COMMON_ARGS = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

/** Launches chromium (`$CHROMIUM` or /usr/bin/chromium). `webgl`: software WebGL for MapLibre. */
export function launch({ webgl = true } = {}) {
  const args = webgl
    ? [...COMMON_ARGS, "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
    : [...COMMON_ARGS, "--disable-gpu"];
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args,
  });
}

/** Resolves when the map page's MapLibre map (window.lieuxMap) has loaded its tiles and stopped moving. */
export const mapIdle = (page) => page.waitForFunction(() => {
  const m = window.lieuxMap;
  return m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
}, null, { timeout: 30000 });

const TYPES = { js: "text/javascript; charset=utf-8", html: "text/html; charset=utf-8", css: "text/css" };

/**
 * For working on the page without rebuilding the binary: with `LIEUX_STATIC=DIR` (the repo's
 * `static/`), the page's own files under `base` are answered from DIR instead of the binary's
 * copies. Tests run without it, on what the binary serves.
 */
export async function staticFromDisk(ctx, base) {
  if (process.env.LIEUX_STUB_ADRESSES) { // working before the server has /v1/adresses
    await ctx.route((u) => u.pathname === "/v1/adresses", async (route) => {
      const u = new URL(route.request().url());
      const r = await fetch(`${base}/v1/communes?q=${encodeURIComponent(u.searchParams.get("q"))}&limit=5`);
      const features = (await r.json()).communes.map((c) => ({ type: "Feature",
        geometry: { type: "Point", coordinates: [c.lon, c.lat] },
        properties: { label: c.nom, commune: c.nom, code_insee: c.code_insee, code_postal: c.codes_postaux[0],
          type: "municipality", score: 1, source: "communes" } }));
      return route.fulfill({ status: 200, contentType: "application/geo+json", body: JSON.stringify({ type: "FeatureCollection", features }) });
    });
  }
  const dir = process.env.LIEUX_STATIC;
  if (!dir) return;
  await ctx.route(`${base}/**`, async (route) => {
    const url = new URL(route.request().url());
    const name = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
    if (!/^[a-z]+\.(js|html)$/.test(name)) return route.fallback();
    try {
      let body = await readFile(path.join(dir, name));
      if (name === "widget.js") { // as src/http/assets.rs serves it
        body = `{\n${await readFile(path.join(dir, "horaires.js"), "utf8")}${body}}\n`;
      }
      return route.fulfill({ status: 200, contentType: TYPES[name.split(".").pop()], body });
    } catch {
      return route.fallback();
    }
  });
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page, shadow roots included, and returns
 * its violations as `{id, impact, help, targets}` (empty when the page passes).
 */
export async function axe(page, context = null) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) {
    await page.addScriptTag({ content: await readFile(AXE, "utf8") });
  }
  const res = await page.evaluate(async (ctx) => window.axe.run(ctx || document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    resultTypes: ["violations"],
  }), context);
  return res.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary || ""}`.slice(0, 300)),
  }));
}
