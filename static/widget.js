// <lieux-nearest>: the nearest lieux de médiation numérique, for any web page.
//
//   <script src="https://HOST/widget.js" defer></script>
//   <lieux-nearest lat="48.8566" lon="2.3522" k="5"
//                  dispositif_programmes_nationaux="France Services"></lieux-nearest>
//
// Attributes: lat, lon (required, WGS84 degrees), k (1..20, default 5), any filter of the API
// (services, dispositif_programmes_nationaux, frais_a_charge, ...), api (base URL of the service;
// default: where this script was loaded from). No framework; styles are isolated in a shadow root.
// Served with static/horaires.js before it (LieuxHoraires: hours in plain French), in one block.
(() => {
  "use strict";
  const SCRIPT_ORIGIN = document.currentScript ? new URL(document.currentScript.src).origin : location.origin;
  const FILTERS = ["services", "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "prise_rdv", "dispositif_programmes_nationaux", "autres_formations_labels", "territoire_type", "territoires",
    "ouvert_actuellement", "ouvert_le_week_end", "source"];
  const PROPERTIES = "nom,adresse,code_postal,commune,code_insee,horaires,itinerance,distance_m,ouvert,prochaine_ouverture";
  const STYLE = `
    :host { display: block; font: 16px/1.5 Marianne, Arial, sans-serif; color: #161616; max-width: 40rem; }
    h2 { font-size: 1.125rem; margin: 0 0 .5rem; }
    ol { list-style: none; margin: 0; padding: 0; }
    li { border: 1px solid #dddddd; border-left: 4px solid #000091; padding: .75rem 1rem; margin: 0 0 .5rem; background: #fff; }
    .titre { display: block; } .nom { font-weight: 700; }
    .meta { display: flex; flex-wrap: wrap; gap: .25rem .75rem; font-size: .875rem; }
    .ouvert { color: #18753c; font-weight: 700; }
    .ferme { color: #ce0500; font-weight: 700; }
    a { color: #000091; text-underline-offset: 2px; }
    a:focus { outline: 2px solid #0a76f6; outline-offset: 2px; }
    [role=alert] { color: #ce0500; }
    .badge { font-size: .75rem; font-weight: 700; text-transform: uppercase; padding: 0 .375rem; background: #fee7fc;
      color: #6e445a; border: 1px solid #6e445a; vertical-align: middle; }
    details { font-size: .875rem; margin: .25rem 0; }
    summary { cursor: pointer; color: #000091; }
    summary:focus-visible { outline: 2px solid #0a76f6; outline-offset: 2px; }
    ul.horaires { margin: .25rem 0; padding-left: 1.25rem; }
    li li { border: 0; padding: 0; margin: 0; background: none; }
    .brut { display: block; font-size: .875rem; }
  `;

  function km(m) {
    return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} km`;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  class LieuxNearest extends HTMLElement {
    static get observedAttributes() { return ["lat", "lon", "k", "api", ...FILTERS]; }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      this.root.append(el("style", {}, STYLE));
      this.box = el("section", { "aria-live": "polite", "aria-busy": "true" });
      this.root.append(this.box);
    }

    // When the script runs after the element is parsed (defer, or loaded late), the upgrade calls
    // attributeChangedCallback once per attribute already set, then connectedCallback: loading
    // on each call sent one identical request per attribute. The calls of one task are
    // coalesced into a single load in a microtask.
    connectedCallback() { this.schedule(); }
    attributeChangedCallback() { this.schedule(); }

    schedule() {
      if (this.scheduled) return;
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        if (this.isConnected) this.load();
      });
    }

    url() {
      const base = this.getAttribute("api") || SCRIPT_ORIGIN;
      const q = new URLSearchParams();
      q.set("lat", this.getAttribute("lat") || "");
      q.set("lon", this.getAttribute("lon") || "");
      q.set("k", String(Math.min(20, Math.max(1, parseInt(this.getAttribute("k") || "5", 10) || 5))));
      for (const f of FILTERS) if (this.hasAttribute(f)) q.set(f, this.getAttribute(f));
      // only what the card shows (and what LieuxHoraires reads: the zone from the codes, the
      // itinerant badge): about a third of the full answer
      q.set("properties", PROPERTIES);
      return `${base.replace(/\/$/, "")}/v1/lieux/nearest?${q}`;
    }

    async load() {
      const ticket = (this.ticket = (this.ticket || 0) + 1);
      this.box.setAttribute("aria-busy", "true");
      let body;
      try {
        const res = await fetch(this.url());
        body = await res.json();
        if (!res.ok) throw new Error(body && body.error ? `${body.error.parameter || ""} ${body.error.message}` : res.statusText);
      } catch (e) {
        if (ticket === this.ticket) this.render(null, String(e.message || e));
        return;
      }
      if (ticket === this.ticket) this.render(body.features || [], null);
    }

    render(features, error) {
      this.box.replaceChildren(el("h2", {}, "Lieux d'aide au numérique les plus proches"));
      this.box.setAttribute("aria-busy", "false");
      if (error) {
        this.box.append(el("p", { role: "alert" }, `Recherche impossible : ${error}`));
        return;
      }
      if (features.length === 0) {
        this.box.append(el("p", {}, "Aucun lieu ne correspond à cette recherche."));
        return;
      }
      const list = el("ol", {});
      for (const f of features) {
        const p = f.properties || {};
        const meta = el("span", { class: "meta" }, el("span", { class: "distance" }, km(p.distance_m || 0)));
        const etat = LieuxHoraires.etat(p);
        if (etat.ouvert !== null) meta.append(el("span", { class: etat.ouvert ? "ouvert" : "ferme" }, etat.texte));
        const nom = el("span", { class: "titre" }, el("span", { class: "nom" }, p.nom || ""));
        if (LieuxHoraires.itinerant(p)) nom.append(" ", el("span", { class: "badge" }, "Itinérant"));
        const address = `${p.adresse || ""}, ${p.code_postal || ""} ${p.commune || ""}`;
        const [lon, lat] = (f.geometry && f.geometry.coordinates) || [];
        const link = el("a", {
          href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`,
          rel: "noopener",
          target: "_blank",
          "aria-label": `${address} (carte, nouvelle fenêtre)`,
        }, address);
        const item = el("li", { "data-id": p.id || "" }, nom, meta);
        const lines = p.horaires ? LieuxHoraires.lignes(p.horaires) : null;
        if (lines) {
          item.append(el("details", {}, el("summary", {}, "Horaires"), el("ul", { class: "horaires" },
            ...lines.map((l) => el("li", {}, l)))));
        } else if (p.horaires) {
          item.append(el("span", { class: "horaires brut" }, `Horaires : ${p.horaires}`));
        }
        item.append(link);
        list.append(item);
      }
      this.box.append(list);
    }
  }

  if (!customElements.get("lieux-nearest")) customElements.define("lieux-nearest", LieuxNearest);
})();
