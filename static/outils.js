// Map page tools: commune / postcode search (GET /v1/communes), "autour de moi" (geolocation,
// falling back to the map centre), "autour du centre de la carte" (GET /v1/lieux/nearest) and
// "à moins de 30 min" (GET /v1/isochrone + GET /v1/lieux/reachable; straight-line estimates
// are labelled as such). Uses map, params, esc and km from app.js.
"use strict";

// ---------- commune search ----------
const form = document.getElementById("recherche");
const input = document.getElementById("commune");
const suggestions = document.getElementById("suggestions");
let lastQuery = "";
let found = [];

// zoom that shows a commune of this area whole (≈ 11 for 20 km², 13 for small towns)
const zoomForArea = (km2) => Math.max(9, Math.min(14, 13.5 - Math.log2(Math.max(km2, 1)) / 2));

function goTo(c) {
  suggestions.hidden = true;
  input.value = c.nom;
  map.jumpTo({ center: [c.lon, c.lat], zoom: zoomForArea(c.area_km2) });
  setOrigin(c.lon, c.lat);
  clearZone();
  const cp = c.codes_postaux.length > 0 ? ` (${c.codes_postaux[0]})` : "";
  document.getElementById("position").textContent = `Carte centrée sur ${c.nom}${cp}`;
  window.lieuxCommune = c; // for tests
}

async function suggest(q) {
  lastQuery = q;
  if (q.trim().length < 2) { suggestions.hidden = true; found = []; return []; }
  const res = await fetch(`/v1/communes?${new URLSearchParams({ q, limit: "8" })}`);
  if (!res.ok || q !== lastQuery) return found;
  found = (await res.json()).communes;
  suggestions.innerHTML = found.length === 0
    ? `<li><button type="button" disabled>Aucune commune trouvée</button></li>`
    : found.map((c, i) => `<li><button type="button" data-i="${i}">${esc(c.nom)}
        <small>${esc(c.codes_postaux.join(", ") || c.code_insee)}</small></button></li>`).join("");
  suggestions.hidden = false;
  return found;
}

let timer;
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => suggest(input.value), 200);
});
input.addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown") { suggestions.querySelector("button:not([disabled])")?.focus(); e.preventDefault(); }
  if (e.key === "Escape") suggestions.hidden = true;
});
suggestions.addEventListener("click", (e) => {
  const b = e.target.closest("button[data-i]");
  if (b) goTo(found[Number(b.dataset.i)]);
});
suggestions.addEventListener("keydown", (e) => {
  const items = [...suggestions.querySelectorAll("button:not([disabled])")];
  const i = items.indexOf(document.activeElement);
  if (e.key === "ArrowDown" && i < items.length - 1) { items[i + 1].focus(); e.preventDefault(); }
  if (e.key === "ArrowUp") { (i > 0 ? items[i - 1] : input).focus(); e.preventDefault(); }
  if (e.key === "Escape") { suggestions.hidden = true; input.focus(); }
});
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearTimeout(timer);
  const list = await suggest(input.value);
  if (list.length > 0) goTo(list[0]);
});

// ---------- reference point, isochrone layers ----------
const EMPTY = { type: "FeatureCollection", features: [] };
map.on("load", () => {
  map.addSource("zone", { type: "geojson", data: EMPTY });
  map.addSource("origine", { type: "geojson", data: EMPTY });
  const before = map.getLayer("clusters") ? "clusters" : undefined;
  map.addLayer({ id: "zone", type: "fill", source: "zone", paint: { "fill-color": "#000091", "fill-opacity": 0.12 } }, before);
  map.addLayer({ id: "zone-contour", type: "line", source: "zone", paint: { "line-color": "#000091", "line-width": 2, "line-dasharray": [2, 1] } }, before);
  map.addLayer({
    id: "origine", type: "circle", source: "origine",
    paint: { "circle-radius": 8, "circle-color": "#ffffff", "circle-stroke-color": "#000091", "circle-stroke-width": 4 },
  });
});
const setOrigin = (lon, lat) => map.getSource("origine")?.setData({ type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: {} });
const clearZone = () => map.getSource("zone")?.setData(EMPTY);

const box = document.getElementById("nearest");
function show(html) {
  box.innerHTML = html;
  box.hidden = false;
  // results below the map on a phone: bring them into view (and to screen readers)
  box.focus({ preventScroll: true });
  box.scrollIntoView({ block: "nearest" });
}
const minutes = (s) => `${Math.max(1, Math.round(s / 60))} min`;

// ---------- nearest ----------
async function nearest(lon, lat, title, note = "") {
  clearZone();
  setOrigin(lon, lat);
  const q = params();
  q.set("lat", lat.toFixed(5));
  q.set("lon", lon.toFixed(5));
  q.set("k", "10");
  const res = await fetch(`/v1/lieux/nearest?${q}`);
  const body = await res.json();
  if (!res.ok) { show(`<p role="alert">${esc(body.error?.message)}</p>`); return; }
  show(`<h2>${esc(title)}</h2>${note}<ol class="proches">${body.features.map((f) =>
    `<li data-id="${esc(f.id)}"><strong>${esc(f.properties.nom)}</strong><br>
      <span class="distance">${km(f.properties.distance_m)}</span> — ${esc(f.properties.commune)}</li>`).join("")}</ol>`);
  if (body.features.length > 0) {
    const b = new maplibregl.LngLatBounds([lon, lat], [lon, lat]);
    for (const f of body.features.slice(0, 5)) b.extend(f.geometry.coordinates);
    map.fitBounds(b, { padding: 60, maxZoom: 14, duration: 0 });
  }
}

document.getElementById("near").addEventListener("click", () => {
  const c = map.getCenter();
  nearest(c.lng, c.lat, "Les plus proches du centre de la carte");
});
document.getElementById("moi").addEventListener("click", () => {
  const fallback = (why) => {
    const c = map.getCenter();
    nearest(c.lng, c.lat, "Les plus proches du centre de la carte",
      `<p class="note" role="status">${esc(why)} : lieux proches du centre de la carte.</p>`);
  };
  if (!navigator.geolocation) { fallback("Géolocalisation indisponible"); return; }
  navigator.geolocation.getCurrentPosition(
    (pos) => nearest(pos.coords.longitude, pos.coords.latitude, "Les plus proches de vous"),
    () => fallback("Position non communiquée"),
    { timeout: 10000, maximumAge: 600000 },
  );
});

// ---------- within 30 minutes ----------
document.getElementById("trente").addEventListener("click", async () => {
  const c = map.getCenter();
  const [lon, lat] = [c.lng, c.lat];
  setOrigin(lon, lat);
  const where = new URLSearchParams({ lat: lat.toFixed(5), lon: lon.toFixed(5) });
  const q = params();
  for (const [k, v] of where) q.set(k, v);
  q.set("minutes", "30");
  show(`<p role="status">Calcul de la zone accessible…</p>`);
  const [iso, reach] = await Promise.all([
    fetch(`/v1/isochrone?${where}&minutes=30&mode=car`),
    fetch(`/v1/lieux/reachable?${q}&mode=car`),
  ]);
  const isoBody = await iso.json();
  const body = await reach.json();
  if (!iso.ok || !reach.ok) {
    clearZone();
    show(`<p role="alert">${esc((isoBody.error || body.error)?.message)}</p>`);
    return;
  }
  map.getSource("zone")?.setData(isoBody);
  const estimate = body.estimate === "straight_line" || isoBody.estimate === "straight_line";
  // places the road graph does not reach are listed too, by straight-line estimate (marked)
  const partial = !estimate && body.estimes > 0
    ? ` ${body.estimes} lieu${body.estimes > 1 ? "x" : ""} hors du réseau routier chargé : durée estimée à vol d'oiseau
       (distance × 1,3 à 50 km/h), marquée « ≈ ».`
    : "";
  const note = estimate
    ? `<p class="estimation"><strong>Estimation</strong> : aucun réseau routier n'est chargé pour cette zone, la zone et
       les durées sont calculées à vol d'oiseau (distance × 1,3 à 50 km/h).</p>`
    : `<p class="note">Temps de trajet en voiture par la route.${partial}</p>`;
  const approx = (p) => (!estimate && p.estimate ? "≈ " : "");
  show(`<h2>À moins de 30 min en voiture</h2>${note}
    <p class="note compte">${body.features.length} lieu${body.features.length > 1 ? "x" : ""} accessible${body.features.length > 1 ? "s" : ""}</p>
    <ol class="accessibles">${body.features.slice(0, 50).map((f) =>
      `<li data-id="${esc(f.id)}"><strong>${esc(f.properties.nom)}</strong><br>
        <span class="duree">${approx(f.properties)}${minutes(f.properties.duration_s)}</span> — ${km(f.properties.distance_m)} — ${esc(f.properties.commune)}</li>`).join("")}</ol>`);
  const feat = isoBody.features?.[isoBody.features.length - 1];
  if (feat) {
    const b = new maplibregl.LngLatBounds([lon, lat], [lon, lat]);
    for (const poly of feat.geometry.coordinates) for (const [x, y] of poly[0]) b.extend([x, y]);
    map.fitBounds(b, { padding: 30, duration: 0 });
  }
});
