// Map page search box: addresses, communes and postcodes from GET /v1/adresses, as an ARIA 1.2
// combobox (focus stays in the input; ↓/↑ move through the suggestions, Enter chooses, Escape
// closes, then clears). Choosing one lists the nearest places around it (outils.js).
"use strict";
const recherche = (() => {
  const form = document.getElementById("recherche");
  const input = document.getElementById("adresse");
  const listbox = document.getElementById("suggestions");
  const statut = document.getElementById("suggestions-statut");
  const TYPES = { housenumber: "adresse", street: "voie", locality: "lieu-dit", municipality: "commune" };
  let options = [];
  let active = -1;
  let asked = "";
  let timer;

  async function fetchSuggestions(q) {
    const qs = new URLSearchParams({ q, limit: "5" });
    if (map.getZoom() >= 8) { // near what the map shows, once it shows a region
      const c = map.getCenter();
      qs.set("lat", c.lat.toFixed(4));
      qs.set("lon", c.lng.toFixed(4));
    }
    const res = await fetch(`/v1/adresses?${qs}`);
    if (!res.ok) return [];
    return (await res.json()).features.filter((f) => f.geometry).map((f) => {
      const p = f.properties;
      // what the label does not already say
      const where = p.code_postal && p.label.includes(p.code_postal) ? ""
        : [p.code_postal, p.type === "municipality" ? "" : p.commune].filter(Boolean).join(" ");
      return { label: p.label, detail: [TYPES[p.type], where].filter(Boolean).join(" · "),
        lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] };
    });
  }

  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(i) {
    active = i;
    listbox.querySelectorAll("[role=option]").forEach((o, j) => o.setAttribute("aria-selected", String(j === i)));
    if (i < 0) { input.removeAttribute("aria-activedescendant"); return; }
    input.setAttribute("aria-activedescendant", `suggestion-${i}`);
    document.getElementById(`suggestion-${i}`).scrollIntoView({ block: "nearest" });
  }

  async function suggest(q) {
    asked = q;
    if (q.trim().length < 3) { options = []; close(); statut.textContent = ""; return options; }
    const found = await fetchSuggestions(q);
    if (q !== asked) return options; // a later keystroke won
    options = found;
    listbox.innerHTML = options.map((o, i) => `<li role="option" id="suggestion-${i}" aria-selected="false">
      ${esc(o.label)} <small>${esc(o.detail)}</small></li>`).join("");
    listbox.hidden = options.length === 0;
    input.setAttribute("aria-expanded", String(options.length > 0));
    active = -1;
    statut.textContent = options.length === 0 ? "Aucune adresse trouvée"
      : `${options.length} suggestion${options.length > 1 ? "s" : ""}, flèches haut et bas pour choisir`;
    return options;
  }

  function choose(o) {
    close();
    input.value = o.label;
    statut.textContent = "";
    window.lieuxAdresse = o; // for tests
    autour(o.lon, o.lat, o.label);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggest(input.value), 200);
  });
  input.addEventListener("keydown", (e) => {
    const open = !listbox.hidden && options.length > 0;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!open) {
        if (options.length === 0) return;
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      const n = options.length;
      highlight(e.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n - 1 : active - 1));
    } else if (e.key === "Enter" && open && active >= 0) {
      e.preventDefault();
      choose(options[active]);
    } else if (e.key === "Escape") {
      if (open) close(); else input.value = "";
      e.preventDefault();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 200));
  // a click keeps the focus in the input (mousedown would blur it first)
  listbox.addEventListener("mousedown", (e) => e.preventDefault());
  listbox.addEventListener("click", (e) => {
    const li = e.target.closest("[role=option]");
    if (li) choose(options[Number(li.id.split("-")[1])]);
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    const list = active >= 0 ? options : await suggest(input.value);
    if (list.length > 0) choose(list[Math.max(active, 0)]);
  });
  return { suggest };
})();
