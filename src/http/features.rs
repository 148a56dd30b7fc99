//! GeoJSON output of places: one Feature per place, properties in the schema's vocabulary
//! (lists as JSON arrays, empty fields omitted) plus computed ones (`distance_m`, `ouvert`,
//! `prochaine_ouverture`, `doublons`; `duration_s`, `attente_s`, `accueil_a` for travel times
//! and a nearest answer's alternatives) and the position's provenance (`position`).

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::feature_cache::{self, FeatureCache, StaticPart};
use crate::dataset::Dataset;
use crate::model::{IsoDate, Lieu, Text, V1_COLUMNS};

/// Values computed per request.
#[derive(Debug, Clone, Copy)]
pub struct Extra {
    /// Great-circle distance from the query point, metres.
    pub distance_m: Option<f64>,
    /// Instant at which `ouvert` is evaluated.
    pub at: DateTime<FixedOffset>,
    /// Travel time from the query point, seconds (travel-time endpoints).
    pub duration_s: Option<f64>,
    /// `Some("straight_line")` when `duration_s`/`distance_m` are estimates, not road values.
    pub estimate: Option<&'static str>,
    /// Why `duration_s` is an estimate ([`crate::routing::answer::Unrouted::as_str`]).
    pub motif_estimation: Option<&'static str>,
    /// Alternatives of a nearest answer ([`crate::nearest::Alternative`]): waiting on arrival
    /// until the place opens, seconds.
    pub attente_s: Option<f64>,
    /// Alternatives: first instant one can be there while it is open.
    pub accueil_a: Option<DateTime<FixedOffset>>,
    /// The properties to write (`properties=`); every one by default.
    pub properties: PropertySet,
    /// Keep the serialised static part in the dataset's cache (a scan of a large dataset
    /// does not, [`FeatureCache::keeps_whole_scans`]); true by default.
    pub keep: bool,
}

impl Extra {
    /// Only the evaluation instant.
    pub fn at(at: DateTime<FixedOffset>) -> Extra {
        Extra {
            distance_m: None,
            at,
            duration_s: None,
            estimate: None,
            motif_estimation: None,
            attente_s: None,
            accueil_a: None,
            properties: PropertySet::ALL,
            keep: true,
        }
    }
}

/// The properties computed per request (and `position`, the provenance of the coordinates),
/// written after the schema's fields.
const COMPUTED: [&str; 10] = [
    "position",
    "distance_m",
    "duration_s",
    "estimate",
    "motif_estimation",
    "ouvert",
    "prochaine_ouverture",
    "attente_s",
    "accueil_a",
    "doublons",
];

/// The coordinates are the geometry, not properties.
fn is_geometry(column: &str) -> bool {
    column == "latitude" || column == "longitude"
}

/// Every property a Feature can carry, in the order they are written: the schema's fields
/// ([`V1_COLUMNS`] without the coordinates), then [`COMPUTED`]. `properties=` names a subset.
pub fn property_names() -> impl Iterator<Item = &'static str> {
    V1_COLUMNS
        .into_iter()
        .filter(|c| !is_geometry(c))
        .chain(COMPUTED)
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() && a[i] == b[i] {
        i += 1;
    }
    i == a.len()
}

/// The bit of a property: its index in [`V1_COLUMNS`], or 32 + its index in [`COMPUTED`] (0 for
/// an unknown name). Evaluated at compile time by [`pick!`], so a misspelt name does not build.
const fn bit(name: &str) -> u64 {
    let mut i = 0;
    while i < V1_COLUMNS.len() {
        if same(V1_COLUMNS[i], name) {
            return 1 << i;
        }
        i += 1;
    }
    let mut j = 0;
    while j < COMPUTED.len() {
        if same(COMPUTED[j], name) {
            return 1 << (V1_COLUMNS.len() + j);
        }
        j += 1;
    }
    0
}

/// `Some(value)` when the set holds the property `name`, else `None` (`value` is not evaluated).
macro_rules! pick {
    ($set:expr, $name:expr, $value:expr) => {{
        const BIT: u64 = bit($name);
        const { assert!(BIT != 0, "not a property name") };
        $set.has(BIT).then(|| $value)
    }};
}

/// Which properties a Feature carries (`properties=`, as OGC API – Features servers take it):
/// a subset of [`property_names`]; `id` always, like the Feature's `id` and `geometry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertySet(u64);

impl PropertySet {
    /// Every property: the full Feature.
    pub const ALL: PropertySet = PropertySet(u64::MAX);

    /// A comma-separated list of property names (blanks around names ignored; an empty list
    /// keeps `id` only). An unknown name is an error naming the `properties` parameter.
    pub fn parse(list: &str) -> Result<PropertySet, crate::filter::FilterError> {
        let mut set = bit("id");
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let b = if is_geometry(name) { 0 } else { bit(name) };
            if b == 0 {
                return Err(crate::filter::FilterError::new(
                    "properties",
                    format!(
                        "unknown property {name:?}; expected a comma-separated list of: {}",
                        property_names().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            set |= b;
        }
        Ok(PropertySet(set))
    }

    fn has(self, bit: u64) -> bool {
        self.0 & bit != 0
    }
}

fn none_or_empty<T>(v: &[T]) -> bool {
    v.is_empty()
}

#[derive(Serialize)]
struct Properties<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pivot: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nom: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commune: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_postal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_insee: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    adresse: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complement_adresse: Option<&'a str>,
    #[serde(skip_serializing_if = "none_or_empty")]
    typologie: &'a [crate::model::Typologie],
    #[serde(skip_serializing_if = "Option::is_none")]
    telephone: Option<&'a str>,
    #[serde(skip_serializing_if = "none_or_empty")]
    courriels: &'a [Text],
    #[serde(skip_serializing_if = "none_or_empty")]
    site_web: &'a [Text],
    #[serde(skip_serializing_if = "Option::is_none")]
    horaires: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presentation_resume: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presentation_detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "none_or_empty")]
    itinerance: &'a [crate::model::Itinerance],
    #[serde(skip_serializing_if = "Option::is_none")]
    structure_parente: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_maj: Option<IsoDate>,
    #[serde(skip_serializing_if = "none_or_empty")]
    services: &'a [crate::model::Service],
    #[serde(skip_serializing_if = "none_or_empty")]
    publics_specifiquement_adresses: &'a [crate::model::Public],
    #[serde(skip_serializing_if = "none_or_empty")]
    prise_en_charge_specifique: &'a [crate::model::PriseEnCharge],
    #[serde(skip_serializing_if = "none_or_empty")]
    frais_a_charge: &'a [crate::model::Frais],
    #[serde(skip_serializing_if = "none_or_empty")]
    dispositif_programmes_nationaux: &'a [crate::model::Dispositif],
    #[serde(skip_serializing_if = "none_or_empty")]
    formations_labels: &'a [crate::model::FormationLabel],
    #[serde(skip_serializing_if = "none_or_empty")]
    autres_formations_labels: &'a [Text],
    #[serde(skip_serializing_if = "none_or_empty")]
    modalites_acces: &'a [crate::model::ModaliteAcces],
    #[serde(skip_serializing_if = "none_or_empty")]
    modalites_accompagnement: &'a [crate::model::ModaliteAccompagnement],
    #[serde(skip_serializing_if = "Option::is_none")]
    fiche_acces_libre: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prise_rdv: Option<&'a str>,
    /// How the position was obtained: `{source, precision, score}`, and `adresse` when the
    /// import derived the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<Provenance>,
    // Per-request members are in `Dynamic`, written after these (see `write_feature`).
}

/// `properties.position`: the position's provenance, and the address's when derived.
#[derive(Serialize)]
struct Provenance {
    #[serde(flatten)]
    origine: crate::geocode::PositionOrigine,
    #[serde(skip_serializing_if = "Option::is_none")]
    adresse: Option<crate::model::SourceAdresse>,
}

/// The members of `properties` computed per request: written after the static ones, which
/// are cached once serialised ([`super::feature_cache`]).
#[derive(Serialize)]
struct Dynamic<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimate: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    motif_estimation: Option<&'static str>,
    /// Open at the request instant; absent when the place publishes no hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    ouvert: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prochaine_ouverture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attente_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accueil_a: Option<String>,
    /// Only for a place that has duplicates ([`crate::dedup`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    doublons: Option<Doublons<'a>>,
}

/// The group of duplicates a place belongs to.
#[derive(Serialize)]
struct Doublons<'a> {
    /// Group id: the smallest id among the members.
    groupe: &'a str,
    /// Is this place the one listed for the group?
    principal: bool,
    /// Id of the place listed for the group.
    lieu_principal: &'a str,
    /// Number of members, this place included.
    membres: u32,
}

#[derive(Serialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct Feature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: Option<Geometry>,
    properties: Properties<'a>,
}

/// The properties of `lieu` that `set` holds.
fn properties(lieu: &Lieu, set: PropertySet) -> Properties<'_> {
    // each property named as the field it reads: text, optional text, list
    macro_rules! text {
        ($f:ident) => {
            pick!(set, stringify!($f), lieu.$f.as_str())
        };
    }
    macro_rules! opt {
        ($f:ident) => {
            pick!(set, stringify!($f), lieu.$f.as_deref()).flatten()
        };
    }
    macro_rules! list {
        ($f:ident) => {
            pick!(set, stringify!($f), &lieu.$f[..]).unwrap_or_default()
        };
    }
    Properties {
        id: &lieu.id,
        pivot: text!(pivot),
        nom: text!(nom),
        commune: text!(commune),
        code_postal: text!(code_postal),
        code_insee: opt!(code_insee),
        adresse: text!(adresse),
        complement_adresse: opt!(complement_adresse),
        typologie: list!(typologie),
        telephone: opt!(telephone),
        courriels: list!(courriels),
        site_web: list!(site_web),
        horaires: pick!(set, "horaires", lieu.horaires.as_ref().map(|h| h.raw())).flatten(),
        presentation_resume: opt!(presentation_resume),
        presentation_detail: opt!(presentation_detail),
        source: opt!(source),
        itinerance: list!(itinerance),
        structure_parente: opt!(structure_parente),
        date_maj: pick!(set, "date_maj", IsoDate(lieu.date_maj)),
        services: list!(services),
        publics_specifiquement_adresses: list!(publics_specifiquement_adresses),
        prise_en_charge_specifique: list!(prise_en_charge_specifique),
        frais_a_charge: list!(frais_a_charge),
        dispositif_programmes_nationaux: list!(dispositif_programmes_nationaux),
        formations_labels: list!(formations_labels),
        autres_formations_labels: list!(autres_formations_labels),
        modalites_acces: list!(modalites_acces),
        modalites_accompagnement: list!(modalites_accompagnement),
        fiche_acces_libre: opt!(fiche_acces_libre),
        prise_rdv: opt!(prise_rdv),
        position: pick!(
            set,
            "position",
            lieu.position
                .and(lieu.position_origine)
                .map(|origine| Provenance {
                    origine,
                    adresse: lieu.adresse_origine,
                })
        )
        .flatten(),
    }
}

impl<'a> Dynamic<'a> {
    fn of(
        lieu: &Lieu,
        (ds, cache): (&'a Dataset, &FeatureCache),
        slot: u32,
        extra: &Extra,
    ) -> Dynamic<'a> {
        let set = extra.properties;
        const HOURS: u64 = bit("ouvert") | bit("prochaine_ouverture");
        let status = if set.has(HOURS) {
            lieu.horaires
                .as_ref()
                .map(|h| cache.status(slot, extra.at, || h.status(extra.at, ds.timezone(slot))))
        } else {
            None
        };
        Dynamic {
            // centimetres are below any position's accuracy
            distance_m: pick!(set, "distance_m", extra.distance_m)
                .flatten()
                .map(|d| (d * 100.0).round() / 100.0),
            duration_s: pick!(set, "duration_s", extra.duration_s)
                .flatten()
                .map(|d| (d * 10.0).round() / 10.0),
            estimate: pick!(set, "estimate", extra.estimate).flatten(),
            motif_estimation: pick!(set, "motif_estimation", extra.motif_estimation).flatten(),
            ouvert: pick!(set, "ouvert", status.map(|s| s.ouvert)).flatten(),
            prochaine_ouverture: pick!(
                set,
                "prochaine_ouverture",
                status
                    .and_then(|s| s.prochaine_ouverture)
                    .map(|t| t.to_rfc3339())
            )
            .flatten(),
            attente_s: pick!(set, "attente_s", extra.attente_s).flatten(),
            accueil_a: pick!(set, "accueil_a", extra.accueil_a.map(|t| t.to_rfc3339())).flatten(),
            doublons: pick!(
                set,
                "doublons",
                ds.group_of(slot).map(|g| Doublons {
                    groupe: &ds.lieu(g.first).id,
                    principal: g.principal == slot,
                    lieu_principal: &ds.lieu(g.principal).id,
                    membres: g.members,
                })
            )
            .flatten(),
        }
    }
}

/// The Feature of `lieu` without its per-request members, with the static properties of `set`:
/// ends inside `properties`, after its last static member.
fn write_static(out: &mut Vec<u8>, lieu: &Lieu, set: PropertySet) {
    let feature = Feature {
        kind: "Feature",
        id: &lieu.id,
        geometry: lieu.position.map(|p| Geometry {
            kind: "Point",
            coordinates: [p.lon, p.lat],
        }),
        properties: properties(lieu, set),
    };
    let start = out.len();
    // Serialising plain structs into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &feature);
    // `properties` is the last member of the Feature: drop the two closing braces
    if out.len() >= start + 2 {
        out.truncate(out.len() - 2);
    }
}

/// Appends the Feature of the place in `slot` to `out`: its static part (cached per dataset;
/// a `properties=` selection is copied from it member by member), then the members of `extra`.
pub fn write_feature(out: &mut Vec<u8>, ds: &Dataset, slot: u32, extra: &Extra) {
    let lieu = ds.lieu(slot);
    let set = extra.properties;
    let make = || {
        let mut bytes = Vec::with_capacity(1024);
        write_static(&mut bytes, lieu, PropertySet::ALL);
        StaticPart::new(bytes, bit)
    };
    let dynamic = feature_cache::with(ds, |cache| {
        cache.with_static(slot, extra.keep, make, |part| match part {
            Some(part) if set == PropertySet::ALL => part.write_all(out),
            Some(part) if part.write_selected(out, set.0) => {}
            _ => write_static(out, lieu, set),
        });
        Dynamic::of(lieu, (ds, cache), slot, extra)
    });
    let start = out.len();
    let _ = serde_json::to_writer(&mut *out, &dynamic);
    // `{"distance_m":…}` continues the properties: its `{` becomes a comma, its `}` closes
    // them; `{}` adds nothing
    if out.len() == start + 2 {
        out.truncate(start);
        out.push(b'}');
    } else if let Some(b) = out.get_mut(start) {
        *b = b',';
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A selection copied from the cached part is the selection serialised afresh, for every
    /// place of the embedded list (escaped strings, lists, provenance objects) and random sets.
    #[test]
    fn cached_selection_is_the_serialised_one() {
        let ds = Dataset::embedded().expect("embedded data");
        let mut rng = crate::testdata::Rng::new(19);
        let names: Vec<&str> = property_names().collect();
        let mut kept = 0usize;
        for (slot, lieu) in ds.lieux().iter().enumerate() {
            let mut full = Vec::new();
            write_static(&mut full, lieu, PropertySet::ALL);
            let part = StaticPart::new(full.clone(), bit);
            let mut all = Vec::new();
            part.write_all(&mut all);
            assert_eq!(all, full);
            for _ in 0..4 {
                let picked: Vec<&str> = names
                    .iter()
                    .copied()
                    .filter(|_| rng.below(3) == 0)
                    .collect();
                let set = PropertySet::parse(&picked.join(",")).expect("known names");
                let mut want = Vec::new();
                write_static(&mut want, lieu, set);
                let mut got = Vec::new();
                assert!(part.write_selected(&mut got, set.0), "slot {slot}");
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&want),
                    "slot {slot}, {picked:?}"
                );
                kept += want.len();
            }
        }
        assert!(kept > ds.lieux().len() * 4 * 100, "{kept} bytes compared");
    }

    /// A Feature written without the cache (a scan that keeps nothing) is the cached one, for
    /// every place of the embedded list, whole and with a selection.
    #[test]
    fn uncached_feature_is_the_cached_one() {
        let ds = Dataset::embedded().expect("embedded data");
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:30:00+01:00").expect("date");
        let selection =
            PropertySet::parse("nom,horaires,ouvert,date_maj,distance_m").expect("known names");
        for properties in [PropertySet::ALL, selection] {
            for slot in 0..ds.lieux().len() as u32 {
                let feature = |keep| {
                    let mut out = Vec::new();
                    let extra = Extra {
                        properties,
                        keep,
                        distance_m: Some(12.345),
                        ..Extra::at(at)
                    };
                    write_feature(&mut out, &ds, slot, &extra);
                    String::from_utf8(out).expect("UTF-8")
                };
                let (fresh, kept, cached) = (feature(false), feature(true), feature(true));
                assert_eq!(fresh, kept, "slot {slot}");
                assert_eq!(fresh, cached, "slot {slot}");
                let v: serde_json::Value = serde_json::from_str(&fresh).expect("JSON");
                assert_eq!(v["properties"]["distance_m"], 12.35, "slot {slot}");
            }
        }
    }

    #[test]
    fn property_names_and_bits_agree() {
        let mut seen = 0u64;
        for name in property_names() {
            let b = bit(name);
            assert!(b != 0 && b > seen, "{name}");
            seen |= b;
        }
        assert_eq!(property_names().count(), 40);
        assert!(PropertySet::parse("latitude").is_err());
        assert!(PropertySet::parse("nom, adresse ,").is_ok());
    }
}
