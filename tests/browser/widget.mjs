// Drives Debian chromium (playwright-core) on a plain page embedding <lieux-nearest> from a
// running lieux server. Usage: node widget.mjs BASE_URL OUT_DIR LAT LON
// Prints JSON: { ids, names, distances, errorText } and writes OUT_DIR/widget*.png.
import { launch } from "./browser.mjs";

const [base, outDir, lat, lon] = process.argv.slice(2);
const browser = await launch({ webgl: false });
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
  const html = (attrs) => `<!doctype html><html lang="fr"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1"><title>Widget lieux</title>
    <script src="${base}/widget.js" defer></script></head>
    <body style="margin:1rem;background:#f6f6f6"><main><lieux-nearest ${attrs}></lieux-nearest></main></body></html>`;

  await page.setContent(html(`lat="${lat}" lon="${lon}" k="5" dispositif_programmes_nationaux="France Services"`));
  await page.waitForFunction(() => {
    const w = document.querySelector("lieux-nearest");
    return w && w.shadowRoot && w.shadowRoot.querySelectorAll("li").length > 0;
  }, null, { timeout: 15000 });
  const items = await page.evaluate(() =>
    [...document.querySelector("lieux-nearest").shadowRoot.querySelectorAll("li")].map((li) => ({
      id: li.dataset.id,
      name: li.querySelector(".nom").textContent,
      distance: li.querySelector(".distance").textContent,
      href: li.querySelector("a").getAttribute("href"),
    })));
  await page.screenshot({ path: `${outDir}/widget.png`, fullPage: true });

  // a bad parameter is shown to the user, not swallowed
  await page.setContent(html(`lat="123" lon="${lon}"`));
  await page.waitForFunction(() => {
    const w = document.querySelector("lieux-nearest");
    return w && w.shadowRoot && w.shadowRoot.querySelector("[role=alert]");
  }, null, { timeout: 15000 });
  const errorText = await page.evaluate(() =>
    document.querySelector("lieux-nearest").shadowRoot.querySelector("[role=alert]").textContent);
  await page.screenshot({ path: `${outDir}/widget-error.png` });

  console.log(JSON.stringify({
    ids: items.map((i) => i.id), names: items.map((i) => i.name),
    distances: items.map((i) => i.distance), hrefs: items.map((i) => i.href), errorText,
  }));
} finally {
  await browser.close();
}
