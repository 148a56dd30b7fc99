//! GeoJSON output of places: one Feature per place, properties in the schema's vocabulary
//! (lists as JSON arrays, empty fields omitted) plus computed ones (`distance_m`, `ouvert`,
//! `prochaine_ouverture`, `doublons`; `duration_s`, `attente_s`, `accueil_a` for travel times
//! and a nearest answer's alternatives) and the position's provenance (`position`).

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::feature_cache::{self, FeatureCache};
use crate::dataset::Dataset;
use crate::model::Lieu;

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
        }
    }
}

fn none_or_empty<T>(v: &[T]) -> bool {
    v.is_empty()
}

#[derive(Serialize)]
struct Properties<'a> {
    id: &'a str,
    pivot: &'a str,
    nom: &'a str,
    commune: &'a str,
    code_postal: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_insee: Option<&'a str>,
    adresse: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    complement_adresse: Option<&'a str>,
    #[serde(skip_serializing_if = "none_or_empty")]
    typologie: &'a [crate::model::Typologie],
    #[serde(skip_serializing_if = "Option::is_none")]
    telephone: Option<&'a str>,
    #[serde(skip_serializing_if = "none_or_empty")]
    courriels: &'a [String],
    #[serde(skip_serializing_if = "none_or_empty")]
    site_web: &'a [String],
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
    date_maj: String,
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
    autres_formations_labels: &'a [String],
    #[serde(skip_serializing_if = "none_or_empty")]
    modalites_acces: &'a [crate::model::ModaliteAcces],
    #[serde(skip_serializing_if = "none_or_empty")]
    modalites_accompagnement: &'a [crate::model::ModaliteAccompagnement],
    #[serde(skip_serializing_if = "Option::is_none")]
    fiche_acces_libre: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prise_rdv: Option<&'a str>,
    /// How the position was obtained: `{source, precision, score}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<crate::geocode::PositionOrigine>,
    // Per-request members are in `Dynamic`, written after these (see `write_feature`).
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

fn properties<'a>(lieu: &'a Lieu) -> Properties<'a> {
    Properties {
        id: &lieu.id,
        pivot: &lieu.pivot,
        nom: &lieu.nom,
        commune: &lieu.commune,
        code_postal: &lieu.code_postal,
        code_insee: lieu.code_insee.as_deref(),
        adresse: &lieu.adresse,
        complement_adresse: lieu.complement_adresse.as_deref(),
        typologie: &lieu.typologie,
        telephone: lieu.telephone.as_deref(),
        courriels: &lieu.courriels,
        site_web: &lieu.site_web,
        horaires: lieu.horaires.as_ref().map(|h| h.raw()),
        presentation_resume: lieu.presentation_resume.as_deref(),
        presentation_detail: lieu.presentation_detail.as_deref(),
        source: lieu.source.as_deref(),
        itinerance: &lieu.itinerance,
        structure_parente: lieu.structure_parente.as_deref(),
        date_maj: lieu.date_maj.format("%Y-%m-%d").to_string(),
        services: &lieu.services,
        publics_specifiquement_adresses: &lieu.publics_specifiquement_adresses,
        prise_en_charge_specifique: &lieu.prise_en_charge_specifique,
        frais_a_charge: &lieu.frais_a_charge,
        dispositif_programmes_nationaux: &lieu.dispositif_programmes_nationaux,
        formations_labels: &lieu.formations_labels,
        autres_formations_labels: &lieu.autres_formations_labels,
        modalites_acces: &lieu.modalites_acces,
        modalites_accompagnement: &lieu.modalites_accompagnement,
        fiche_acces_libre: lieu.fiche_acces_libre.as_deref(),
        prise_rdv: lieu.prise_rdv.as_deref(),
        position: lieu.position.and(lieu.position_origine),
    }
}

impl<'a> Dynamic<'a> {
    fn of(
        lieu: &Lieu,
        (ds, cache): (&'a Dataset, &FeatureCache),
        slot: u32,
        extra: &Extra,
    ) -> Dynamic<'a> {
        let status = lieu
            .horaires
            .as_ref()
            .map(|h| cache.status(slot, extra.at, || h.status(extra.at, ds.timezone(slot))));
        Dynamic {
            // centimetres are below any position's accuracy
            distance_m: extra.distance_m.map(|d| (d * 100.0).round() / 100.0),
            duration_s: extra.duration_s.map(|d| (d * 10.0).round() / 10.0),
            estimate: extra.estimate,
            motif_estimation: extra.motif_estimation,
            ouvert: status.map(|s| s.ouvert),
            prochaine_ouverture: status
                .and_then(|s| s.prochaine_ouverture)
                .map(|t| t.to_rfc3339()),
            attente_s: extra.attente_s,
            accueil_a: extra.accueil_a.map(|t| t.to_rfc3339()),
            doublons: ds.group_of(slot).map(|g| Doublons {
                groupe: &ds.lieu(g.first).id,
                principal: g.principal == slot,
                lieu_principal: &ds.lieu(g.principal).id,
                membres: g.members,
            }),
        }
    }
}

/// The Feature of `lieu` without its per-request members: ends inside `properties`, after its
/// last static member.
fn write_static(out: &mut Vec<u8>, lieu: &Lieu) {
    let feature = Feature {
        kind: "Feature",
        id: &lieu.id,
        geometry: lieu.position.map(|p| Geometry {
            kind: "Point",
            coordinates: [p.lon, p.lat],
        }),
        properties: properties(lieu),
    };
    let start = out.len();
    // Serialising plain structs into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &feature);
    // `properties` is the last member of the Feature: drop the two closing braces
    if out.len() >= start + 2 {
        out.truncate(out.len() - 2);
    }
}

/// Appends the Feature of the place in `slot` to `out`: its static part (cached per dataset),
/// then the members of `extra`.
pub fn write_feature(out: &mut Vec<u8>, ds: &Dataset, slot: u32, extra: &Extra) {
    let lieu = ds.lieu(slot);
    let dynamic = feature_cache::with(ds, |cache| {
        cache.write(out, slot, |out| write_static(out, lieu));
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
