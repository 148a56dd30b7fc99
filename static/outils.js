// Map page tools, around one reference point shown on the map (a marker with a spoken label):
// the chosen address (recherche.js), "autour de moi" (geolocation, falling back to the map
// centre), "autour du centre de la carte" (GET /v1/lieux/nearest, with the API's alternatives
// and next openings when nothing is open), and "à moins de 30 min" (GET /v1/isochrone +
// GET /v1/lieux/reachable from that same point; straight-line estimates are labelled as such).
// Uses map, params, esc, km, origin and placeButton from app.js.
"use strict";

// ---------- reference point, isochrone layers ----------
const EMPTY = { type: "FeatureCollection", features: [] };
map.on("load", () => {
  map.addSource("zone", { type: "geojson", data: EMPTY });
  const before = map.getLayer("clusters") ? "clusters" : undefined;
  map.addLayer({ id: "zone", type: "fill", source: "zone", paint: { "fill-color": "#000091", "fill-opacity": 0.12 } }, before);
  map.addLayer({ id: "zone-contour", type: "line", source: "zone", paint: { "line-color": "#000091", "line-width": 2, "line-dasharray": [2, 1] } }, before);
});
const clearZone = () => map.getSource("zone")?.setData(EMPTY);

let originMarker = null;
/** The point that lists and "30 min" measure from, drawn as a marker named for screen readers. */
function setOrigin(lon, lat, label) {
  origin = { lon, lat, label };
  if (!originMarker) {
    const el = document.createElement("div");
    el.className = "origine";
    el.setAttribute("role", "img");
    originMarker = new maplibregl.Marker({ element: el });
  }
  originMarker.getElement().setAttribute("aria-label", `Point de départ : ${label}`);
  originMarker.setLngLat([lon, lat]).addTo(map);
  document.getElementById("position").textContent = `Point de départ : ${label}`;
  window.lieuxOrigin = origin; // for tests
}

const box = document.getElementById("nearest");
function show(html) {
  box.innerHTML = html;
  box.hidden = false;
  // named by its heading when it has one (not while a status or an error stands alone)
  if (box.querySelector("#nearest-titre")) box.setAttribute("aria-labelledby", "nearest-titre");
  else box.removeAttribute("aria-labelledby");
  // results below the map on a phone: bring them into view (and to screen readers)
  box.focus({ preventScroll: true });
  box.scrollIntoView({ block: "nearest" });
}
const minutes = (s) => `${Math.max(1, Math.round(s / 60))} min`;
const plural = (n, one, many) => `${n} ${n > 1 ? many : one}`;

function fitTo(lon, lat, features) {
  const b = new maplibregl.LngLatBounds([lon, lat], [lon, lat]);
  for (const f of features.slice(0, 5)) if (f.geometry) b.extend(f.geometry.coordinates);
  map.fitBounds(b, { padding: 60, maxZoom: 14, duration: 0 });
}

// ---------- nearest ----------
/** Lists the nearest places to (lon, lat), the reference point named `label`. */
async function autour(lon, lat, label, title = `Les plus proches de ${label}`, note = "") {
  clearZone();
  setOrigin(lon, lat, label);
  const q = params();
  q.set("lat", lat.toFixed(5));
  q.set("lon", lon.toFixed(5));
  q.set("k", "10");
  const res = await fetch(`/v1/lieux/nearest?${q}`);
  const body = await res.json();
  if (!res.ok) { show(`<p role="alert">${esc(body.error?.message)}</p>`); return; }
  const dist = (f) => `<span class="distance">${km(f.properties.distance_m)}</span> — `;
  let html = `<h2 id="nearest-titre">${esc(title)}</h2>${note}`;
  if (body.features.length > 0) html += `<ol class="proches">${body.features.map((f) => placeButton(f, dist(f))).join("")}</ol>`;
  const alt = body.alternatives || [];
  if (alt.length > 0) {
    // nothing (or too little) open now: the API's nearest closed places with their next opening
    const bound = body.max_km ? ` à moins de ${body.max_km} km` : "";
    html += `<p class="alerte" role="status">${body.ouverts === 0
      ? `Aucun lieu ouvert maintenant${bound}.`
      : `Seulement ${plural(body.ouverts, "lieu ouvert", "lieux ouverts")} maintenant${bound}.`}</p>`;
    const soonest = alt.reduce((a, f) => (f.properties.accueil_a < a.properties.accueil_a ? f : a));
    html += `<h3>Les plus proches, avec leur prochaine ouverture</h3>
      <p class="note">Accueil le plus tôt : <strong>${esc(soonest.properties.nom)}</strong>
      (${esc(LieuxHoraires.ouvre(soonest.properties.prochaine_ouverture, soonest.properties) || "")}).</p>
      <ol class="alternatives">${alt.map((f) => placeButton(f, dist(f))).join("")}</ol>`;
  } else if (body.features.length === 0) {
    html += `<p role="status">Aucun lieu ne correspond à ces critères${body.max_km ? ` à moins de ${body.max_km} km` : ""}.</p>`;
  }
  show(html);
  fitTo(lon, lat, body.features.length > 0 ? body.features : alt);
}

const centre = () => map.getCenter();
document.getElementById("near").addEventListener("click", () => {
  autour(centre().lng, centre().lat, "centre de la carte", "Les plus proches du centre de la carte");
});
document.getElementById("moi").addEventListener("click", () => {
  const fallback = (why) => autour(centre().lng, centre().lat, "centre de la carte",
    "Les plus proches du centre de la carte",
    `<p class="note" role="status">${esc(why)} : lieux proches du centre de la carte.</p>`);
  if (!navigator.geolocation) { fallback("Géolocalisation indisponible"); return; }
  navigator.geolocation.getCurrentPosition(
    (pos) => autour(pos.coords.longitude, pos.coords.latitude, "votre position", "Les plus proches de vous"),
    () => fallback("Position non communiquée"),
    { timeout: 10000, maximumAge: 600000 },
  );
});

// ---------- within 30 minutes, from the reference point ----------
document.getElementById("trente").addEventListener("click", async () => {
  if (!origin) setOrigin(centre().lng, centre().lat, "centre de la carte");
  const { lon, lat, label } = origin;
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
  const n = body.features.length;
  show(`<h2 id="nearest-titre">À moins de 30 min en voiture de ${esc(label)}</h2>${note}
    <p class="note compte">${n} lieu${n > 1 ? "x" : ""} accessible${n > 1 ? "s" : ""}</p>
    <ol class="accessibles">${body.features.slice(0, 50).map((f) => placeButton(f,
      `<span class="duree">${approx(f.properties)}${minutes(f.properties.duration_s)}</span> — ${km(f.properties.distance_m)} — `)).join("")}</ol>`);
  const feat = isoBody.features?.[isoBody.features.length - 1];
  if (feat) {
    const b = new maplibregl.LngLatBounds([lon, lat], [lon, lat]);
    for (const poly of feat.geometry.coordinates) for (const [x, y] of poly[0]) b.extend([x, y]);
    map.fitBounds(b, { padding: 30, duration: 0 });
  }
});
