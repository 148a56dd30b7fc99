// Drives Debian chromium (playwright-core) on plain pages embedding <lieux-nearest> from a
// running lieux server, at 1280×800 and 375×700. Usage: node widget.mjs BASE_URL OUT_DIR LAT LON
// Prints JSON: { ids, names, distances, hrefs, errorText, requests, axe } and writes
// OUT_DIR/widget*.png.
import { launch, staticFromDisk, axe } from "./browser.mjs";

const [base, outDir, lat, lon] = process.argv.slice(2);
const browser = await launch({ webgl: false });
const html = (...widgets) => `<!doctype html><html lang="fr"><head><meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1"><title>Widget lieux</title>
  <script src="${base}/widget.js" defer></script></head>
  <body style="margin:1rem;background:#f6f6f6"><main><h1>Page d'une mairie</h1>
  ${widgets.map((w) => `<lieux-nearest ${w}></lieux-nearest>`).join("\n")}</main></body></html>`;
const rendered = (n) => (page) => page.waitForFunction((n) => {
  const ws = [...document.querySelectorAll("lieux-nearest")];
  return ws.length === n && ws.every((w) => w.shadowRoot && w.shadowRoot.querySelector("section[aria-busy=false]"));
}, n, { timeout: 15000 });
const out = { requests: {}, axe: {}, screens: [] };
try {
  for (const [w, h] of [[1280, 800], [375, 700]]) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h } });
    await staticFromDisk(ctx, base);
    const page = await ctx.newPage();
    const asked = [];
    page.on("request", (r) => { if (r.url().includes("/v1/")) asked.push(r.url().slice(base.length)); });

    // three instances on one page: one request each on load, whatever the number of attributes
    const three = [
      `lat="${lat}" lon="${lon}" k="5" dispositif_programmes_nationaux="France Services"`,
      `lat="48.8566" lon="2.3522" k="3"`,
      `lat="43.6045" lon="1.4442" k="2" frais_a_charge="Gratuit" dispositif_programmes_nationaux="France Services"`,
    ];
    await page.setContent(html(...three));
    await rendered(3)(page);
    await page.waitForTimeout(1000); // a late duplicate would show here
    const onLoad = asked.length;
    // a later change of one attribute: one more request, not one per attribute
    await page.evaluate(() => document.querySelectorAll("lieux-nearest")[1].setAttribute("k", "4"));
    await page.waitForFunction(() => document.querySelectorAll("lieux-nearest")[1].shadowRoot.querySelectorAll("ol > li").length === 4,
      null, { timeout: 15000 });
    await page.waitForTimeout(500);
    out.requests[`${w}`] = { onLoad, afterChange: asked.length - onLoad, urls: asked };
    out.axe[`${w}`] = await axe(page);

    if (w === 1280) {
      const items = await page.evaluate(() =>
        [...document.querySelector("lieux-nearest").shadowRoot.querySelectorAll("ol > li")].map((li) => ({
          id: li.dataset.id,
          name: li.querySelector(".nom").textContent,
          distance: li.querySelector(".distance").textContent,
          href: li.querySelector("a").getAttribute("href"),
          etat: li.querySelector(".ouvert, .ferme")?.textContent || "",
          horaires: [...li.querySelectorAll("ul.horaires li")].map((x) => x.textContent),
          itinerant: Boolean(li.querySelector(".badge")),
        })));
      Object.assign(out, {
        ids: items.map((i) => i.id), names: items.map((i) => i.name),
        distances: items.map((i) => i.distance), hrefs: items.map((i) => i.href),
        etats: items.map((i) => i.etat), horaires: items.map((i) => i.horaires),
        itinerants: items.filter((i) => i.itinerant).map((i) => i.id),
      });
    }
    const shot = `${outDir}/widget-${w}.png`;
    await page.screenshot({ path: shot, fullPage: true });
    out.screens.push(shot);

    // a bad parameter is shown to the user, not swallowed
    await page.setContent(html(`lat="123" lon="${lon}"`));
    await page.waitForFunction(() => {
      const w = document.querySelector("lieux-nearest");
      return w && w.shadowRoot && w.shadowRoot.querySelector("[role=alert]");
    }, null, { timeout: 15000 });
    out.errorText = await page.evaluate(() =>
      document.querySelector("lieux-nearest").shadowRoot.querySelector("[role=alert]").textContent);
    out.axe[`${w}-error`] = await axe(page);
    await page.screenshot({ path: `${outDir}/widget-error-${w}.png` });
    await ctx.close();
  }
  // the harness finds what it should: a page without lang and an image without text
  const bad = await browser.newPage();
  await bad.setContent(`<!doctype html><html><head><title>x</title></head><body><main><img src="data:,"></main></body></html>`);
  out.axeSelfCheck = (await axe(bad)).map((v) => v.id);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
