// The map page's base map in Debian chromium, served with a road graph: at town zoom the map
// draws road lines and text labels (glyphs from the server), at département zoom commune names,
// and the territory switcher takes the map overseas. Usage:
// node basemap.mjs BASE_URL OUT_DIR LON LAT. Prints JSON with what it saw per viewport; writes
// OUT_DIR/basemap-*.png.
import { launch, mapIdle as idle, axe } from "./browser.mjs";

const [base, outDir, lon, lat] = process.argv.slice(2);
const browser = await launch();

// Rendered features of the base map's layers (MapLibre has placed the labels: their glyphs
// were fetched and decoded).
const rendered = (page) => page.evaluate(() => {
  const m = window.lieuxMap;
  const layers = ["routes", "routes-pieton", "communes-noms", "lieux-noms"].filter((id) => m.getLayer(id));
  const out = Object.fromEntries(layers.map((id) => [id, { count: 0, names: [] }]));
  for (const f of m.queryRenderedFeatures({ layers })) {
    const o = out[f.layer.id];
    o.count += 1;
    const name = f.properties.nom || f.properties.classe;
    if (name && !o.names.includes(name) && o.names.length < 300) o.names.push(name);
  }
  return out;
});

// Waits until `test(rendered)` holds (tiles and glyphs arrive asynchronously), at most 20 s.
async function until(page, test) {
  const end = Date.now() + 20000;
  for (;;) {
    await idle(page);
    const r = await rendered(page);
    if (test(r) || Date.now() > end) return r;
    await page.waitForTimeout(300);
  }
}
const has = (r, id) => (r[id] ? r[id].count : 0) > 0;

const result = {};
try {
  for (const [w, h] of [[1280, 800], [375, 700]]) {
    const errors = [];
    const failed = [];
    const page = await browser.newPage({ viewport: { width: w, height: h } });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("response", (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${base}/`);
    await idle(page);
    await page.waitForFunction(() => window.lieuxMap.getLayer("communes-noms"), null, { timeout: 15000 });
    const options = await page.$$eval("#territoire option", (os) => os.map((o) => o.textContent));
    const label = await page.textContent("label[for=territoire]");

    // town zoom over the graph's extract: roads and labels
    await page.evaluate(([x, y]) => window.lieuxMap.jumpTo({ center: [x, y], zoom: 16 }), [Number(lon), Number(lat)]);
    const town = await until(page, (r) => has(r, "routes") && has(r, "routes-pieton") && has(r, "lieux-noms"));
    await page.screenshot({ path: `${outDir}/basemap-town-${w}x${h}.png` });
    const fonts = await page.evaluate(() => performance.getEntriesByType("resource")
      .map((e) => new URL(e.name).pathname).filter((p) => p.startsWith("/fonts/")));

    // département zoom: commune names
    await page.evaluate(([x, y]) => window.lieuxMap.jumpTo({ center: [x, y], zoom: 10 }), [Number(lon), Number(lat)]);
    const region = await until(page, (r) => has(r, "communes-noms"));
    await page.screenshot({ path: `${outDir}/basemap-communes-${w}x${h}.png` });

    // overseas: the switcher fits Guadeloupe, where places are drawn
    await page.selectOption("#territoire", "guadeloupe");
    await page.waitForTimeout(500);
    await idle(page);
    await page.waitForTimeout(300);
    await idle(page);
    const center = await page.evaluate(() => window.lieuxMap.getCenter().toArray());
    const places = await page.evaluate(() => window.lieuxMap.queryRenderedFeatures({ layers: ["clusters", "lieux"] }).length);
    const overseas = await until(page, (r) => has(r, "communes-noms"));
    await page.screenshot({ path: `${outDir}/basemap-guadeloupe-${w}x${h}.png` });
    const violations = await axe(page);
    await page.close();
    result[`${w}x${h}`] = { town, region, overseas, fonts, options, label, center, places, errors, failed, axe: violations };
  }
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
