// The map page in Debian chromium: tiles render clusters, a filter changes the counts, a click on a
// place opens its card. Usage: node map.mjs BASE_URL OUT_DIR LON LAT NAME
// Prints JSON with what it saw; writes OUT_DIR/map-*.png.
import { launch, mapIdle as idle } from "./browser.mjs";

const [base, outDir, lon, lat, name] = process.argv.slice(2);
const browser = await launch();
const rendered = (page) => page.evaluate(() => {
  const m = window.lieuxMap;
  const feats = m.queryRenderedFeatures({ layers: ["clusters", "lieux"] });
  const seen = new Set();
  let places = 0;
  for (const f of feats) {
    const key = f.properties.cluster ? `c${f.properties.cluster_id}` : `p${f.properties.id}`;
    if (seen.has(key)) continue; // a feature near a tile edge is drawn from both tiles
    seen.add(key);
    places += f.properties.cluster ? f.properties.point_count : 1;
  }
  return { features: seen.size, places };
});
try {
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${base}/`);
  await idle(page);
  await page.waitForFunction(() => /lieux/.test(document.getElementById("count").textContent), null, { timeout: 15000 });
  const before = await rendered(page);
  const countBefore = await page.textContent("#count");
  await page.screenshot({ path: `${outDir}/map-france.png` });

  await page.check("#ouvert");
  await page.waitForFunction((c) => document.getElementById("count").textContent !== c, countBefore, { timeout: 15000 });
  await page.waitForTimeout(500);
  await idle(page);
  const after = await rendered(page);
  const countAfter = await page.textContent("#count");
  await page.uncheck("#ouvert");
  // the filter must be off again (count back) before the click: a place closed right now would
  // otherwise not be drawn under the pointer
  await page.waitForFunction((c) => document.getElementById("count").textContent === c, countBefore, { timeout: 15000 });

  // zoom onto one place and click it
  await page.evaluate(([x, y]) => window.lieuxMap.jumpTo({ center: [x, y], zoom: 17 }), [Number(lon), Number(lat)]);
  await page.waitForTimeout(300);
  await idle(page);
  const box = await page.locator("#map").boundingBox();
  // On a starved machine the first click can land before the tile under it is drawn: click
  // again (after the map is idle) rather than fail; the card must open within five tries.
  for (let attempt = 1; ; attempt++) {
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    try {
      await page.waitForFunction(() => !document.getElementById("card").hidden, null, { timeout: 5000 });
      break;
    } catch (e) {
      if (attempt >= 5) throw e;
      await idle(page);
    }
  }
  const card = await page.textContent("#card h2");
  await page.screenshot({ path: `${outDir}/map-card.png` });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${outDir}/map-phone.png`, fullPage: true });

  console.log(JSON.stringify({ before, after, countBefore, countAfter, card, errors }));
} finally {
  await browser.close();
}
