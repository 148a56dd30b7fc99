// Renders the coverage map (an SVG file) in Debian chromium (playwright-core) at its own size and
// measures it. Usage: node coverage-map.mjs SVG_PATH OUT_PNG
// Prints JSON: { width, height, legend: {x, y, width, height}, texts: [{text, x, y, width,
// height}], lang, axe } (client rectangles, CSS pixels) and writes the screenshot OUT_PNG.
// `axe`: axe-core's violations of the map inlined in a French HTML page, as a site embeds it.
import { readFile } from "node:fs/promises";
import { launch, axe } from "./browser.mjs";

const [svgPath, outPng] = process.argv.slice(2);
const browser = await launch({ webgl: false });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  await page.goto(`file://${svgPath}`);
  const out = await page.evaluate(() => {
    const svg = document.documentElement;
    const box = (e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    };
    const legend = document.getElementById("legende");
    return {
      width: svg.width.baseVal.value,
      height: svg.height.baseVal.value,
      lang: svg.getAttribute("xml:lang"),
      legend: legend ? box(legend) : null,
      texts: [...document.querySelectorAll("text")].map((t) => ({ text: t.textContent, ...box(t) })),
    };
  });
  await page.setViewportSize({ width: Math.ceil(out.width), height: Math.ceil(out.height) });
  await page.screenshot({ path: outPng });
  const svg = (await readFile(svgPath, "utf8")).replace(/^<\?xml[^>]*>\s*/, "");
  const embedded = await browser.newPage();
  await embedded.setContent(
    `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Couverture</title></head>` +
      `<body><main><h1>Couverture des lieux</h1>${svg}</main></body></html>`,
  );
  out.axe = await axe(embedded);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
