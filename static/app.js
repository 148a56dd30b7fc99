// Map page of lieux: offline base layer (départements), server-clustered vector tiles, filters,
// the place card and the place buttons of every list (a list item opens the card and centres the
// map: the lists are a full alternative to the map). Everything comes from this server.
// Hours are worded by horaires.js (LieuxHoraires), loaded before this file.
"use strict";
const params = () => {
  const q = new URLSearchParams();
  const groups = {};
  for (const input of document.querySelectorAll("aside input[type=checkbox]:checked")) {
    (groups[input.name] = groups[input.name] || []).push(input.value);
  }
  for (const [k, v] of Object.entries(groups)) q.set(k, v.join(","));
  return q;
};
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const km = (m) => (m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} km`);

const map = new maplibregl.Map({
  container: "map",
  center: [2.5, 46.6],
  zoom: 5,
  attributionControl: { compact: false },
  // the page is in French: so are the controls' names read by screen readers
  locale: {
    "NavigationControl.ZoomIn": "Zoom avant", "NavigationControl.ZoomOut": "Zoom arrière",
    "NavigationControl.ResetBearing": "Réorienter la carte vers le nord", "Map.Title": "Carte",
    "Marker.Title": "Repère", "AttributionControl.ToggleAttribution": "Afficher les sources",
    "AttributionControl.MapFeedback": "Signaler une erreur de carte", "LogoControl.Title": "Logo MapLibre",
    "CooperativeGesturesHandler.WindowsHelpText": "Ctrl + molette pour zoomer",
    "CooperativeGesturesHandler.MacHelpText": "⌘ + molette pour zoomer",
    "CooperativeGesturesHandler.MobileHelpText": "Deux doigts pour déplacer la carte",
  },
  style: {
    version: 8,
    sources: {
      departements: { type: "geojson", data: "/basemap/departements.geojson", attribution: "IGN ADMIN EXPRESS, Licence Ouverte 2.0" },
      lieux: { type: "vector", url: "/tiles/lieux" },
    },
    layers: [
      { id: "fond", type: "background", paint: { "background-color": "#dbe8f3" } },
      { id: "departements", type: "fill", source: "departements", paint: { "fill-color": "#f6f6f2", "fill-outline-color": "#9a9a9a" } },
      { id: "departements-contour", type: "line", source: "departements", paint: { "line-color": "#8a8a8a", "line-width": 0.8 } },
      {
        id: "clusters", type: "circle", source: "lieux", "source-layer": "lieux", filter: ["has", "point_count"],
        paint: {
          "circle-color": "#000091", "circle-opacity": 1, "circle-stroke-color": "#fff", "circle-stroke-width": 2,
          "circle-radius": ["step", ["get", "point_count"], 12, 10, 16, 100, 22, 1000, 28],
        },
      },
      {
        // MapLibre text needs glyph PBFs we cannot fetch offline: the count is an image drawn
        // on demand (styleimagemissing below), so no font server is needed
        id: "clusters-count", type: "symbol", source: "lieux", "source-layer": "lieux", filter: ["has", "point_count"],
        layout: {
          "icon-image": ["concat", "nombre-", ["to-string", ["get", "point_count_abbreviated"]]],
          "icon-allow-overlap": true, "icon-ignore-placement": true,
        },
      },
      {
        id: "lieux", type: "circle", source: "lieux", "source-layer": "lieux", filter: ["!", ["has", "point_count"]],
        paint: { "circle-color": "#e1000f", "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 2 },
      },
    ],
  },
});
map.addControl(new maplibregl.NavigationControl(), "top-right");

// Draws the count label of a cluster ("nombre-1.2k" → "1,2k", white bold on transparent).
map.on("styleimagemissing", (e) => {
  if (!e.id.startsWith("nombre-")) return;
  const text = e.id.slice("nombre-".length).replace(".", ",");
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  const font = `700 ${13 * ratio}px Marianne, Arial, sans-serif`;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  ctx.font = font;
  canvas.width = Math.ceil(ctx.measureText(text).width + 4 * ratio);
  canvas.height = 18 * ratio;
  ctx.font = font; // resizing the canvas reset the context
  ctx.fillStyle = "#ffffff";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, canvas.width / 2, canvas.height / 2 + ratio);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  map.addImage(e.id, { width: canvas.width, height: canvas.height, data: data.data }, { pixelRatio: ratio });
});
window.lieuxMap = map; // for tests and debugging

async function refreshCount() {
  const q = params();
  q.set("group_by", "departement");
  const res = await fetch(`/v1/stats?${q}`);
  const body = await res.json();
  document.getElementById("count").textContent = res.ok ? `${body.total.toLocaleString("fr-FR")} lieux` : "";
}

function applyFilters() {
  const q = params().toString();
  map.getSource("lieux").setUrl(`/tiles/lieux${q ? `?${q}` : ""}`);
  refreshCount();
}

document.querySelectorAll("aside input[type=checkbox]").forEach((i) => i.addEventListener("change", applyFilters));

map.on("click", "clusters", (e) => {
  if (e.features.length === 0) return;
  const f = e.features[0];
  map.easeTo({ center: f.geometry.coordinates, zoom: map.getZoom() + 2 });
});
map.on("click", "lieux", async (e) => {
  const id = e.features[0].properties.id;
  const res = await fetch(`/v1/lieux/${encodeURIComponent(id)}`);
  if (!res.ok) return;
  showCard(await res.json());
});
for (const layer of ["clusters", "clusters-count", "lieux"]) {
  map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
}

// ---------- place card and place buttons ----------
// the point distances and directions start from ({lon, lat, label}), set by outils.js
let origin = null;
const itinerantBadge = (p) => (LieuxHoraires.itinerant(p)
  ? '<span class="badge">Itinérant</span>' : "");
const etatHtml = (p) => {
  const e = LieuxHoraires.etat(p);
  return e.ouvert === null ? "" : `<span class="${e.ouvert ? "ouvert" : "ferme"}">${esc(e.texte)}</span>`;
};

function hoursHtml(p) {
  if (!p.horaires) return "";
  const lines = LieuxHoraires.lignes(p.horaires);
  if (!lines) {
    // a syntax the page does not read: shown as published rather than worded wrong
    return `<p class="horaires">Horaires (format OpenStreetMap) : <code>${esc(p.horaires)}</code></p>`;
  }
  return `<h3>Horaires</h3><ul class="horaires">${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>`;
}

function directions(f) {
  const [lon, lat] = f.geometry.coordinates;
  const to = `${lat.toFixed(5)},${lon.toFixed(5)}`;
  const q = origin ? `route=${origin.lat.toFixed(5)},${origin.lon.toFixed(5)};${to}` : `to=${to}`;
  return `https://www.openstreetmap.org/directions?${q}`;
}

/** Opens the card of place `f`; `from`: the list button that opened it (to come back to). */
function showCard(f, from = null) {
  const p = f.properties;
  const card = document.getElementById("card");
  const it = LieuxHoraires.itinerant(p)
    ? `<p class="itinerant"><span class="badge">Itinérant</span> Ce lieu se déplace (bus, permanences) :
       l'adresse est un point de passage, vérifiez les jours de présence.</p>` : "";
  card.innerHTML = `<h2 id="card-titre">${esc(p.nom)}</h2>${it}
    <p>${esc(p.adresse)}<br>${esc(p.code_postal)} ${esc(p.commune)}</p>
    ${etatHtml(p) ? `<p>${etatHtml(p)}</p>` : ""}
    ${hoursHtml(p)}
    ${p.services ? `<h3>Services</h3><ul>${p.services.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>` : ""}
    ${p.telephone ? `<p>Téléphone : <a href="tel:${esc(p.telephone)}">${esc(p.telephone)}</a></p>` : ""}
    ${f.geometry ? `<p><a class="itineraire" href="${esc(directions(f))}" target="_blank" rel="noopener">Itinéraire vers
      ce lieu<span class="visually-hidden"> (OpenStreetMap, nouvelle fenêtre)</span></a></p>` : ""}
    ${from ? '<p><button type="button" class="secondaire retour">Retour à la liste</button></p>' : ""}`;
  card.hidden = false;
  card.querySelector(".retour")?.addEventListener("click", () => from.focus());
  card.focus();
}

// the features of the lists shown, by id, for their buttons
const listed = new Map();

/** A list item: a button that opens the place's card and centres the map on it. */
function placeButton(f, extra = "") {
  const p = f.properties;
  listed.set(String(f.id), f);
  return `<li data-id="${esc(f.id)}"><button type="button" class="lieu" data-id="${esc(f.id)}">
    <span class="nom">${esc(p.nom)}</span>${itinerantBadge(p)}
    <span class="meta">${extra}${esc(p.commune)}</span>
    ${etatHtml(p)}</button></li>`;
}

document.querySelector("aside").addEventListener("click", (e) => {
  const b = e.target.closest("button.lieu");
  const f = b && listed.get(b.dataset.id);
  if (!f) return;
  if (f.geometry) map.jumpTo({ center: f.geometry.coordinates, zoom: Math.max(map.getZoom(), 14) });
  showCard(f, b);
});

map.on("load", refreshCount);
