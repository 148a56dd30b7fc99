// Base map of the map page, under the places that app.js draws: with `serve --basemap-style` the
// configured MapLibre style; otherwise the offline layers this server gives (départements from
// app.js, commune names, and the roads of the road graph when one is loaded), with labels in
// glyphs the server embeds. Plus a territory switcher (metropolitan France and the overseas
// départements). Reads /config.json; loaded after app.js, whose map is window.lieuxMap.
"use strict";
(() => {
  const map = window.lieuxMap;
  const origin = window.location.origin;
  const absolute = (u) => (u.startsWith("/") ? origin + u : u);
  // the layers app.js draws the places with: kept, above the base map, whatever the style
  const PLACE_LAYERS = ["clusters", "clusters-count", "lieux"];

  // place names next to single places, from town zoom
  const placeNames = (font) => ({
    id: "lieux-noms", type: "symbol", source: "lieux", "source-layer": "lieux", minzoom: 14,
    filter: ["!", ["has", "point_count"]],
    layout: {
      "text-field": ["get", "nom"], "text-font": [font], "text-size": 12, "text-anchor": "top",
      "text-offset": [0, 0.8], "text-max-width": 10, "text-optional": true,
    },
    paint: { "text-color": "#161616", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
  });

  function offline(cfg) {
    map.setGlyphs(absolute(cfg.glyphs));
    const before = PLACE_LAYERS.find((id) => map.getLayer(id));
    if (cfg.routes) {
      const r = cfg.routes;
      map.addSource("routes", {
        type: "vector", tiles: [absolute(r.tiles)], minzoom: r.minzoom, maxzoom: r.maxzoom,
        attribution: "© contributeurs OpenStreetMap (ODbL)",
      });
      const car = ["!=", ["get", "classe"], "pieton"];
      // widths grow with the zoom (zoom must be the input of the top-level interpolate) and
      // with the class; `extra` widens the casing
      const size = ["match", ["get", "classe"], "rapide", 1.6, "principale", 1.4, "secondaire", 1.1, "locale", 0.9, 0.6];
      const width = (extra) => ["interpolate", ["exponential", 1.6], ["zoom"],
        11, ["*", ["+", size, extra], 0.5], 14, ["*", ["+", size, extra], 2], 18, ["*", ["+", size, extra], 10]];
      map.addLayer({
        id: "routes-pieton", type: "line", source: "routes", "source-layer": r.layer,
        filter: ["==", ["get", "classe"], "pieton"],
        paint: { "line-color": "#a0a0a0", "line-width": 1, "line-dasharray": [2, 2] },
      }, before);
      map.addLayer({
        id: "routes-contour", type: "line", source: "routes", "source-layer": r.layer, filter: car,
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": "#b5b5b5", "line-width": width(0.4) },
      }, before);
      map.addLayer({
        id: "routes", type: "line", source: "routes", "source-layer": r.layer, filter: car,
        layout: { "line-join": "round", "line-cap": "round" },
        paint: {
          "line-color": ["match", ["get", "classe"], "rapide", "#f2b15c", "principale", "#f7d67a", "secondaire", "#fbf0b5", "#ffffff"],
          "line-width": width(0),
        },
      }, before);
    }
    const c = cfg.communes;
    map.addSource("communes", {
      type: "vector", tiles: [absolute(c.tiles)], minzoom: c.minzoom, maxzoom: c.maxzoom,
      attribution: "INSEE",
    });
    map.addLayer({
      id: "communes-noms", type: "symbol", source: "communes", "source-layer": c.layer,
      layout: {
        "text-field": ["get", "nom"], "text-font": [cfg.font],
        "text-size": ["interpolate", ["linear"], ["get", "population"], 0, 11, 20000, 13, 200000, 16],
        "symbol-sort-key": ["-", 0, ["get", "population"]], "text-max-width": 8,
      },
      paint: { "text-color": "#333333", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
    }, before);
    map.addLayer(placeNames(cfg.font));
  }

  // The configured style, with app.js's place source and layers on top of it.
  function configured(cfg) {
    map.setStyle(cfg.basemap_style, {
      transformStyle: (previous, next) => {
        const font = next.layers.map((l) => l.layout && l.layout["text-font"]).find(Array.isArray);
        const places = previous.layers.filter((l) => l.source === "lieux");
        return {
          ...next,
          glyphs: next.glyphs || absolute(cfg.glyphs),
          sources: { ...next.sources, lieux: previous.sources.lieux },
          layers: [...next.layers, ...places, placeNames(next.glyphs && font ? font[0] : cfg.font)],
        };
      },
    });
  }

  // Territory switcher: fits the map to metropolitan France or one overseas territory, and
  // shows which one the map is on.
  function switcher(cfg) {
    const div = document.createElement("div");
    div.className = "maplibregl-ctrl maplibregl-ctrl-group lieux-territoires";
    const select = document.createElement("select");
    select.id = "territoire";
    const label = document.createElement("label");
    label.htmlFor = "territoire";
    label.textContent = "Territoire";
    for (const t of cfg.territoires) select.add(new Option(t.nom, t.code));
    select.addEventListener("change", () => {
      const t = cfg.territoires.find((x) => x.code === select.value);
      if (t) map.fitBounds([[t.bbox[0], t.bbox[1]], [t.bbox[2], t.bbox[3]]], { padding: 20 });
    });
    map.on("moveend", () => {
      const { lng, lat } = map.getCenter();
      const t = cfg.territoires.find((x) => lng >= x.bbox[0] && lng <= x.bbox[2] && lat >= x.bbox[1] && lat <= x.bbox[3]);
      if (t) select.value = t.code;
    });
    div.style.cssText = "padding: .25rem .5rem; background: #fff; font-size: .875rem;";
    select.style.cssText = "font: inherit; max-width: 12rem;";
    div.append(label, select);
    map.addControl({ onAdd: () => div, onRemove: () => div.remove() }, "top-left");
  }

  const config = fetch("/config.json").then((r) => r.json());
  const loaded = new Promise((resolve) => map.once("load", resolve));
  Promise.all([config, loaded]).then(([cfg]) => {
    switcher(cfg);
    if (cfg.basemap_style) configured(cfg); else offline(cfg);
  }).catch((e) => console.error("base map:", e));
})();
