// The map page's journeys in Debian chromium, at 1280×800 and 375×700, with axe-core on every
// state: keyboard only (Tab to the search box, type an address, ↓ Enter, Tab to the first place
// of the list, Enter opens its card and centres the map, Tab to the directions link), the
// reference point on the map, "à moins de 30 min" from that point, hours in French; then
// "nothing open" at a fixed instant (the page's request carries that instant instead of "now",
// and the browser clock is set to it): the API's alternatives with their next opening.
// Usage: node parcours.mjs BASE_URL OUT_DIR QUERY CLOSED_INSTANT CLOSED_LON CLOSED_LAT
// Prints JSON with what it saw; writes OUT_DIR/parcours-*.png.
import { launch, mapIdle as idle, staticFromDisk, axe } from "./browser.mjs";

const [base, outDir, query, instant, closedLon, closedLat] = process.argv.slice(2);
const browser = await launch();
const out = { errors: [], axe: {}, sizes: {} };
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  const s = getComputedStyle(a);
  return { tag: a.tagName.toLowerCase(), id: a.id, cls: a.className, dataId: a.dataset?.id || null,
    text: a.textContent.trim().replace(/\s+/g, " ").slice(0, 80),
    outline: a === document.body ? null : `${s.outlineStyle} ${s.outlineWidth}` };
});

async function journey(w, h) {
  const seen = {};
  const ctx = await browser.newContext({ viewport: { width: w, height: h } });
  await staticFromDisk(ctx, base);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => out.errors.push(`${w}: ${e}`));
  page.on("response", (r) => { if (r.status() >= 400) out.errors.push(`${w}: HTTP ${r.status()} ${r.url()}`); });
  await page.goto(`${base}/`);
  await idle(page);
  await page.waitForFunction(() => /lieux/.test(document.getElementById("count").textContent), null, { timeout: 15000 });
  out.axe[`${w}-page`] = await axe(page);

  // ---- keyboard only: search → list → card → directions ----
  let tabs = 0;
  do { await page.keyboard.press("Tab"); tabs++; } while ((await focused(page)).id !== "adresse" && tabs < 6);
  seen.tabsToSearch = tabs;
  seen.searchFocus = await focused(page);
  await page.keyboard.type(query, { delay: 20 });
  await page.waitForSelector("#suggestions [role=option]", { timeout: 15000 });
  seen.suggestions = await page.$$eval("#suggestions [role=option]", (os) => os.map((o) => o.textContent.trim().replace(/\s+/g, " ")));
  seen.expanded = await page.getAttribute("#adresse", "aria-expanded");
  out.axe[`${w}-suggestions`] = await axe(page);
  await page.screenshot({ path: `${outDir}/parcours-suggestions-${w}.png` });
  // ↑ wraps to the last suggestion, Escape closes, ↓ opens again on the first
  const state = () => page.evaluate(() => ({ expanded: document.getElementById("adresse").getAttribute("aria-expanded"),
    active: document.getElementById("adresse").getAttribute("aria-activedescendant"),
    hidden: document.getElementById("suggestions").hidden }));
  await page.keyboard.press("ArrowUp");
  seen.afterUp = await state();
  await page.keyboard.press("Escape");
  seen.afterEscape = await state();
  await page.keyboard.press("ArrowDown");
  seen.activeDescendant = await page.getAttribute("#adresse", "aria-activedescendant");
  seen.afterDown = await state();
  await page.keyboard.press("Enter");
  await page.waitForSelector("#nearest .proches button.lieu", { timeout: 15000 });
  await idle(page);
  seen.origin = await page.evaluate(() => window.lieuxOrigin);
  seen.marker = await page.evaluate(() => {
    const m = document.querySelector("#map .origine");
    return m && { role: m.getAttribute("role"), label: m.getAttribute("aria-label") };
  });
  seen.list = await page.$$eval("#nearest .proches button.lieu", (bs) => bs.map((b) => b.dataset.id));
  seen.listTitle = await page.textContent("#nearest h2");
  seen.afterChoice = await focused(page);
  await page.keyboard.press("Tab");
  seen.firstButton = await focused(page);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => !document.getElementById("card").hidden, null, { timeout: 10000 });
  await idle(page);
  seen.cardFocus = await focused(page);
  seen.card = await page.evaluate(() => {
    const c = window.lieuxMap.getCenter();
    const card = document.getElementById("card");
    return { title: card.querySelector("h2").textContent, centre: [c.lng, c.lat],
      etat: card.querySelector(".ouvert, .ferme")?.textContent || "",
      horaires: [...card.querySelectorAll("ul.horaires li")].map((li) => li.textContent),
      brut: card.querySelector("p.horaires code")?.textContent || null };
  });
  const path = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    path.push(f);
    if (/itineraire/.test(f.cls)) break;
  }
  seen.toDirections = path;
  seen.directions = await page.evaluate(() => document.activeElement.getAttribute("href"));
  out.axe[`${w}-card`] = await axe(page);
  await page.screenshot({ path: `${outDir}/parcours-carte-${w}.png`, fullPage: w < 700 });

  // ---- a list button opens the card and centres the map: another place, by pointer ----
  const ids = seen.list;
  await page.click(`#nearest .proches button.lieu[data-id="${ids[ids.length - 1]}"]`);
  await page.waitForFunction(() => document.activeElement.id === "card", null, { timeout: 10000 });
  await idle(page);
  seen.lastCard = await page.evaluate(() => ({ title: document.querySelector("#card h2").textContent,
    centre: [window.lieuxMap.getCenter().lng, window.lieuxMap.getCenter().lat] }));
  await page.click("#card .retour");
  seen.backTo = await focused(page);

  // ---- 30 min from the searched point (the map moved since: not from its centre) ----
  seen.centreBefore30 = await page.evaluate(() => [window.lieuxMap.getCenter().lng, window.lieuxMap.getCenter().lat]);
  await page.focus("#trente");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#nearest .accessibles", { timeout: 30000 });
  await idle(page);
  seen.trente = await page.evaluate(() => ({
    title: document.querySelector("#nearest h2").textContent,
    count: document.querySelector("#nearest .compte")?.textContent || "",
    ids: [...document.querySelectorAll("#nearest .accessibles button.lieu")].map((b) => b.dataset.id),
    origin: window.lieuxOrigin,
    zone: window.lieuxMap.queryRenderedFeatures({ layers: ["zone"] }).length,
  }));
  out.axe[`${w}-30min`] = await axe(page);
  await page.screenshot({ path: `${outDir}/parcours-30min-${w}.png`, fullPage: w < 700 });
  await ctx.close();
  return seen;
}

// nothing open at `instant`: the page asks for open places "now", which this context moves
async function closed(w, h) {
  const ctx = await browser.newContext({ viewport: { width: w, height: h } });
  await staticFromDisk(ctx, base);
  const page = await ctx.newPage();
  await page.clock.setFixedTime(new Date(instant));
  page.on("pageerror", (e) => out.errors.push(`${w}: ${e}`));
  await page.route(/\/v1\/lieux\/nearest\?/, (route) => {
    const url = new URL(route.request().url());
    if (url.searchParams.get("ouvert_actuellement") === "true") url.searchParams.set("ouvert_actuellement", instant);
    return route.continue({ url: url.toString() });
  });
  await page.goto(`${base}/`);
  await idle(page);
  await page.check("#ouvert");
  await page.evaluate(([x, y]) => window.lieuxMap.jumpTo({ center: [x, y], zoom: 10 }), [Number(closedLon), Number(closedLat)]);
  await idle(page);
  await page.click("#near");
  await page.waitForSelector("#nearest .alternatives button.lieu", { timeout: 15000 });
  await idle(page);
  const seen = await page.evaluate(() => ({
    alerte: document.querySelector("#nearest .alerte")?.textContent.trim() || "",
    ids: [...document.querySelectorAll("#nearest .alternatives button.lieu")].map((b) => b.dataset.id),
    etats: [...document.querySelectorAll("#nearest .alternatives .ferme")].map((s) => s.textContent),
    itinerants: [...document.querySelectorAll("#nearest button.lieu")].filter((b) => b.querySelector(".badge"))
      .map((b) => b.dataset.id),
    origin: window.lieuxOrigin,
  }));
  out.axe[`${w}-ferme`] = await axe(page);
  await page.screenshot({ path: `${outDir}/parcours-ferme-${w}.png`, fullPage: w < 700 });
  await ctx.close();
  return seen;
}

try {
  for (const [w, h] of [[1280, 800], [375, 700]]) {
    out.sizes[w] = await journey(w, h);
    out.sizes[w].closed = await closed(w, h);
  }
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
