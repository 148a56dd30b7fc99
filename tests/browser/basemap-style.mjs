// The map page served with `--basemap-style URL`: the page draws the configured MapLibre style
// (answered here by a route, as no test may reach the internet) with the places on top.
// Usage: node basemap-style.mjs BASE_URL OUT_DIR STYLE_URL. Prints JSON; writes
// OUT_DIR/basemap-style.png.
import { launch, mapIdle as idle } from "./browser.mjs";

const [base, outDir, styleUrl] = process.argv.slice(2);
const style = {
  version: 8, name: "externe",
  sources: { terre: { type: "geojson", data: { type: "Feature", properties: {},
    geometry: { type: "Polygon", coordinates: [[[-6, 41], [10, 41], [10, 51.5], [-6, 51.5], [-6, 41]]] } } } },
  layers: [
    { id: "externe-fond", type: "background", paint: { "background-color": "#cfe3c4" } },
    { id: "externe-terre", type: "fill", source: "terre", paint: { "fill-color": "#f0ede4" } },
  ],
};
const browser = await launch();
try {
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  let fetched = 0;
  await page.route(styleUrl, (route) => { fetched += 1; return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(style) }); });
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.lieuxMap.getLayer("externe-fond"), null, { timeout: 20000 });
  await idle(page);
  await page.waitForTimeout(500);
  await idle(page);
  const seen = await page.evaluate(() => {
    const m = window.lieuxMap;
    return {
      layers: m.getStyle().layers.map((l) => l.id),
      glyphs: m.getStyle().glyphs,
      places: m.queryRenderedFeatures({ layers: ["clusters", "lieux"] }).length,
    };
  });
  await page.screenshot({ path: `${outDir}/basemap-style-1280x800.png` });
  console.log(JSON.stringify({ ...seen, fetched, errors }));
} finally {
  await browser.close();
}
