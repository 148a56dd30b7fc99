// Renders the coverage map (an SVG file) in Debian chromium (playwright-core) at its own size and
// measures it. Usage: node coverage-map.mjs SVG_PATH OUT_PNG
// Prints JSON: { width, height, legend: {x, y, width, height}, texts: [{text, x, y, width,
// height}], lang } (client rectangles, CSS pixels) and writes the screenshot OUT_PNG.
import { launch } from "./browser.mjs";

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
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
