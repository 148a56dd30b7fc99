// The page's hours reading (static/horaires.js, as served) against the server's own evaluation,
// in Debian chromium, on every place of the running server: at each instant, a place the page
// reads is open exactly when the server lists it under `ouvert_actuellement=<instant>`; and for
// each open place, the end the page gives ("ouvert jusqu'à") is the instant the server stops
// listing it. Usage: node horaires.mjs BASE_URL INSTANT...
// Prints JSON {places, read, raw, rawSamples, instants: {t: {open, mismatches}}, ends: {...}}.
import { launch, staticFromDisk } from "./browser.mjs";

const [base, ...instants] = process.argv.slice(2);
const browser = await launch({ webgl: false });
try {
  const ctx = await browser.newContext();
  await staticFromDisk(ctx, base);
  const page = await ctx.newPage();
  await page.setContent(`<!doctype html><html lang="fr"><title>horaires</title><script src="${base}/horaires.js"></script></html>`);
  const out = await page.evaluate(async ({ base, instants }) => {
    const ids = async (q) => new Set((await (await fetch(`${base}/v1/lieux?limit=10000${q}`)).json()).features.map((f) => f.id));
    const all = (await (await fetch(`${base}/v1/lieux?limit=10000`)).json()).features.filter((f) => f.properties.horaires);
    const read = [];
    const raw = [];
    for (const f of all) {
      const s = LieuxHoraires.semaine(f.properties.horaires);
      if (s) read.push({ f, s, tz: LieuxHoraires.zone(f.properties) }); else raw.push(f.properties.horaires);
    }
    const res = { places: all.length, read: read.length, raw: raw.length, rawSamples: raw.slice(0, 10), instants: {}, ends: {} };
    const ends = new Map(); // closing instant (ms) → ids the page says close then
    for (const t of instants) {
      const at = new Date(t);
      const open = await ids(`&ouvert_actuellement=${encodeURIComponent(t)}`);
      const mismatches = [];
      let n = 0;
      for (const { f, s, tz } of read) {
        const mine = LieuxHoraires.ouvertA(s, at, tz);
        if (mine) n++;
        if (mine !== open.has(f.id)) mismatches.push(`${f.id} ${f.properties.horaires} page:${mine}`);
        if (mine) {
          // the local minute at `at`, then the end of its range: same day, so a plain difference
          const parts = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
            .formatToParts(at);
          const min = +parts.find((p) => p.type === "hour").value * 60 + +parts.find((p) => p.type === "minute").value;
          const end = at.getTime() + (LieuxHoraires.finA(s, at, tz) - min) * 60000 - at.getUTCSeconds() * 1000;
          if (!ends.has(end)) ends.set(end, []);
          ends.get(end).push(f.id);
        }
      }
      res.instants[t] = { open: n, serverOpen: open.size, mismatches: mismatches.slice(0, 10), mismatchCount: mismatches.length };
    }
    let checked = 0;
    const wrong = [];
    // the 30 most common ends (most places; each costs two whole listings)
    const common = [...ends].sort((a, b) => b[1].length - a[1].length).slice(0, 30);
    for (const [end, list] of common) {
      const before = await ids(`&ouvert_actuellement=${encodeURIComponent(new Date(end - 60000).toISOString())}`);
      const at = await ids(`&ouvert_actuellement=${encodeURIComponent(new Date(end).toISOString())}`);
      for (const id of list) {
        checked++;
        if (!before.has(id) || at.has(id)) wrong.push(`${id} end ${new Date(end).toISOString()}`);
      }
    }
    // syntaxes the page does not read are left raw; two wordings spelled out
    res.cases = Object.fromEntries(["Mo-Fr 09:00-12:00 \"sur rendez-vous\"", "Mo 22:00-02:00", "Dec 25 off",
      "Mo-Fr 09:00-12:00 || \"rdv\"", "24/7", "Mo-Th 08:30-12:30,13:30-17:00; Fr 08:30-12:00; PH off",
      "Mo-Fr 09:00-12:00; We off; Sa 10:00-12:00,11:00-12:30"].map((h) => [h, LieuxHoraires.lignes(h)]));
    res.ends = { distinct: ends.size, checked, wrong: wrong.slice(0, 10), wrongCount: wrong.length };
    return res;
  }, { base, instants });
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
