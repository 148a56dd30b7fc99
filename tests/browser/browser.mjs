// What every browser test shares: Debian chromium launched headless through playwright-core (no
// browser download is possible here), and the wait for the map page to settle.
import { chromium } from "playwright-core";

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
