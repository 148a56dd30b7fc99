// Opening hours in plain French for the map page and the widget (which embeds this file: see
// src/http/assets.rs). Reads the weekly subset of OSM `opening_hours` that the data uses
// ("Mo-Th 08:30-12:30,13:30-17:00; Fr 08:30-12:00", "Sa off", "PH off"); anything else (dates,
// weeks, times past midnight, comments…) is left to the caller to show raw rather than wrong.
// Whether a place is open and when it opens next come from the API (`ouvert`,
// `prochaine_ouverture`); this file only words them, and finds the end of the current opening
// for "ouvert jusqu'à".
"use strict";
const LieuxHoraires = (() => {
  const DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
  const NOMS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
  const NBSP = "\u00a0";
  const RANGE = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

  // "Mo-We,Fr" → [0, 1, 2, 4]; null when not a weekday selector
  function days(sel) {
    const out = [];
    for (const part of sel.split(",")) {
      const [a, b] = part.split("-");
      const i = DAYS.indexOf(a);
      const j = b === undefined ? i : DAYS.indexOf(b);
      if (i < 0 || j < 0) return null;
      for (let d = i; ; d = (d + 1) % 7) { out.push(d); if (d === j) break; } // Sa-Mo wraps
    }
    return out;
  }

  // "08:30-12:30,13:30-17:00" → [[510, 750], [810, 1020]] (minutes); null when not plain ranges
  function ranges(sel) {
    const out = [];
    for (const part of sel.split(",")) {
      const m = RANGE.exec(part);
      if (!m) return null;
      const from = +m[1] * 60 + +m[2];
      const to = +m[3] * 60 + +m[4];
      if (+m[2] > 59 || +m[4] > 59 || from >= to || to > 24 * 60) return null; // past midnight
      out.push([from, to]);
    }
    out.sort((x, y) => x[0] - y[0]);
    const merged = []; // overlapping or touching ranges are one opening
    for (const r of out) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push(r);
    }
    return merged;
  }

  /**
   * The week of an OSM string: `{jours: [[from, to] minutes…] × 7 (Monday first), feries}`
   * (`feries`: "PH off" was given), or null when the string uses anything else. As in OSM, a
   * later rule replaces the hours of the days it names.
   */
  function semaine(horaires) {
    if (typeof horaires !== "string" || !horaires.trim()) return null;
    const jours = [[], [], [], [], [], [], []];
    let feries = false;
    for (const rule of horaires.split(";").map((r) => r.trim()).filter(Boolean)) {
      const sp = rule.indexOf(" ");
      if (sp < 0) return null;
      const [sel, time] = [rule.slice(0, sp), rule.slice(sp + 1).trim()];
      if (sel === "PH" && time === "off") { feries = true; continue; }
      const d = days(sel);
      const r = time === "off" || time === "closed" ? [] : ranges(time);
      if (!d || !r) return null;
      for (const i of d) jours[i] = r.map((x) => [...x]);
    }
    return { jours, feries };
  }

  // 510 → "8 h 30", 1020 → "17 h"
  const heure = (min) => {
    const h = Math.floor(min / 60);
    const m = min % 60;
    return m === 0 ? `${h}${NBSP}h` : `${h}${NBSP}h${NBSP}${String(m).padStart(2, "0")}`;
  };
  const plage = ([a, b]) => `${heure(a)} – ${heure(b)}`;

  /** One line per open day ("lundi 8 h 30 – 12 h 30, 13 h 30 – 17 h"), or null (show raw). */
  function lignes(horaires) {
    const s = semaine(horaires);
    if (!s) return null;
    const out = [];
    s.jours.forEach((r, i) => { if (r.length > 0) out.push(`${NOMS[i]} ${r.map(plage).join(", ")}`); });
    if (out.length === 0) out.push("fermé toute la semaine");
    if (s.feries) out.push("fermé les jours fériés");
    return out;
  }

  /** IANA zone of a place from its INSEE code or postcode (as the server's territory.rs). */
  function zone(p) {
    const code = (p.code_insee && p.code_insee.length >= 3 ? p.code_insee : p.code_postal) || "";
    return {
      971: "America/Guadeloupe", 972: "America/Martinique", 973: "America/Cayenne", 974: "Indian/Reunion",
      975: "America/Miquelon", 976: "Indian/Mayotte", 977: "America/St_Barthelemy", 978: "America/Marigot",
      986: "Pacific/Wallis", 987: "Pacific/Tahiti", 988: "Pacific/Noumea",
    }[code.slice(0, 3)] || "Europe/Paris";
  }

  /** `{jour (0 = Monday), minute, date "YYYY-MM-DD"}` of `instant` in `tz`. */
  function local(instant, tz) {
    const parts = {};
    const fmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, weekday: "short", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    for (const x of fmt.formatToParts(instant)) parts[x.type] = x.value;
    return { jour: DAYS.indexOf(parts.weekday.slice(0, 2)), minute: +parts.hour * 60 + +parts.minute,
      date: `${parts.year}-${parts.month}-${parts.day}` };
  }

  /** Whether the week `s` is open at `instant` in `tz` (the same answer as the server's). */
  function ouvertA(s, instant, tz) {
    const t = local(instant, tz);
    return s.jours[t.jour].some(([a, b]) => a <= t.minute && t.minute < b);
  }

  /** End (minutes, local) of the opening `instant` falls in, or null. */
  function finA(s, instant, tz) {
    const t = local(instant, tz);
    const r = s.jours[t.jour].find(([a, b]) => a <= t.minute && t.minute < b);
    return r ? r[1] : null;
  }

  const dayDiff = (a, b) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000);

  /**
   * "ouvre mardi à 8 h 45" from `prochaine_ouverture` ("2026-12-08T08:45:00+01:00", the place's
   * local time) seen at `now`: "aujourd'hui", "demain", the weekday within a week, else the date.
   */
  function ouvre(iso, p, now = new Date()) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    if (!m) return null;
    const date = `${m[1]}-${m[2]}-${m[3]}`;
    const at = heure(+m[4] * 60 + +m[5]);
    const n = dayDiff(local(now, zone(p)).date, date);
    const jour = NOMS[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7];
    if (n === 0) return `ouvre aujourd'hui à ${at}`;
    if (n === 1) return `ouvre demain à ${at}`;
    if (n > 1 && n < 7) return `ouvre ${jour} à ${at}`;
    const mois = new Date(`${date}T00:00:00Z`).toLocaleDateString("fr-FR", { day: "numeric", month: "long", timeZone: "UTC" });
    return `ouvre le ${jour} ${mois} à ${at}`;
  }

  /**
   * The state of a place in words, from the API's answer: `{ouvert: true|false|null, texte}`,
   * e.g. "Ouvert jusqu'à 12 h 30", "Fermé, ouvre mardi à 8 h 45", "Fermé".
   */
  function etat(p, now = new Date()) {
    if (p.ouvert === true) {
      const s = semaine(p.horaires);
      const fin = s ? finA(s, now, zone(p)) : null;
      return { ouvert: true, texte: fin === null ? "Ouvert" : `Ouvert jusqu'à ${heure(fin)}` };
    }
    if (p.ouvert === false) {
      const next = ouvre(p.prochaine_ouverture, p, now);
      return { ouvert: false, texte: next ? `Fermé, ${next}` : "Fermé" };
    }
    return { ouvert: null, texte: "" };
  }

  /**
   * Whether a place moves (a bus, a roaming desk): the schema's `itinerance` field says
   * "Itinérant"; a few producers say "Fixe" for a place named "Bus France services…" or
   * "…itinérante", which the name then gives away.
   */
  function itinerant(p) {
    const it = Array.isArray(p.itinerance) ? p.itinerance : [p.itinerance];
    return it.includes("Itinérant") || /\bbus\b|itin[ée]ran/i.test(p.nom || "");
  }

  return { semaine, lignes, ouvertA, finA, zone, ouvre, etat, itinerant, heure };
})();
