// The map page's tools in Debian chromium: cluster count labels, "autour de moi" (granted
// geolocation, then refused: falls back to the map centre), "à moins de 30 min" from the map
// centre. The search box's journeys are in parcours.mjs.
// Usage: node outils.mjs BASE_URL OUT_DIR ME_LAT ME_LON
// Prints JSON with what it saw; writes OUT_DIR/outils-*.png (desktop and 375 px phone).
import { launch, mapIdle as idle, staticFromDisk } from "./browser.mjs";

const [base, outDir, meLat, meLon] = process.argv.slice(2);
const browser = await launch();
const ids = (page, sel) => page.$$eval(`${sel} > li`, (lis) => lis.map((li) => li.dataset.id));
const out = { errors: [] };
try {
  // ---- desktop, geolocation granted ----
  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    geolocation: { latitude: Number(meLat), longitude: Number(meLon) },
    permissions: ["geolocation"],
  });
  await staticFromDisk(ctx, base);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => out.errors.push(String(e)));
  await page.goto(`${base}/`);
  await idle(page);

  // cluster count labels: drawn as images (no glyph server offline)
  out.labels = await page.evaluate(() => {
    const m = window.lieuxMap;
    const feats = m.queryRenderedFeatures({ layers: ["clusters-count"] });
    const names = [...new Set(feats.map((f) => `nombre-${f.properties.point_count_abbreviated}`))];
    return { rendered: feats.length, images: names.filter((n) => m.hasImage(n)).length, distinct: names.length,
      clusters: m.queryRenderedFeatures({ layers: ["clusters"] }).length };
  });

  // near me: the granted position
  await page.click("#moi");
  await page.waitForSelector("#nearest .proches li", { timeout: 15000 });
  out.nearMe = await ids(page, "#nearest .proches");
  out.nearMeDistances = await page.$$eval("#nearest .distance", (s) => s.map((x) => x.textContent));
  out.nearMeTitle = await page.textContent("#nearest h2");
  await idle(page);

  // within 30 min around Lyon (no road graph: straight-line estimate, labelled)
  await page.evaluate(() => window.lieuxMap.jumpTo({ center: [4.8357, 45.764], zoom: 10 }));
  await idle(page);
  await page.click("#near"); // the reference point is now the map centre, in Lyon
  await page.waitForFunction(() => window.lieuxOrigin?.label === "centre de la carte", null, { timeout: 15000 });
  await page.evaluate(() => window.lieuxMap.jumpTo({ center: [4.8357, 45.764], zoom: 10 }));
  await idle(page);
  await page.click("#trente");
  await page.waitForSelector("#nearest .accessibles", { timeout: 30000 });
  await idle(page);
  out.trente = await page.evaluate(() => ({
    listed: document.querySelectorAll("#nearest .accessibles li").length,
    count: document.querySelector("#nearest .compte")?.textContent || "",
    estimate: document.querySelector("#nearest .estimation")?.textContent.trim() || "",
    zone: window.lieuxMap.queryRenderedFeatures({ layers: ["zone"] }).length,
  }));
  await page.screenshot({ path: `${outDir}/outils-30min.png` });
  await ctx.close();

  // ---- phone, geolocation refused: falls back to the map centre ----
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await staticFromDisk(phone, base);
  const p2 = await phone.newPage();
  p2.on("pageerror", (e) => out.errors.push(String(e)));
  await p2.goto(`${base}/`);
  await idle(p2);
  await p2.evaluate(() => window.lieuxMap.jumpTo({ center: [2.3522, 48.8566], zoom: 11 }));
  await idle(p2);
  out.fallbackCenter = await p2.evaluate(() => {
    const c = window.lieuxMap.getCenter();
    return [Number(c.lng.toFixed(5)), Number(c.lat.toFixed(5))];
  });
  await p2.click("#moi");
  await p2.waitForSelector("#nearest .proches li", { timeout: 20000 });
  out.fallback = await ids(p2, "#nearest .proches");
  out.fallbackNote = (await p2.textContent("#nearest .note")) || "";
  await idle(p2);
  await p2.screenshot({ path: `${outDir}/outils-telephone.png`, fullPage: true });
  await phone.close();
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
