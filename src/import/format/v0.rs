//! Schema v0.1.0 → v1.0.2: field renames and value mappings.
//!
//! No machine-readable v0→v1 table was found in the official tooling reachable from here (npm
//! `@gouvfr-anct/lieux-de-mediation-numerique` exposes the v0 `LabelNational` enum but the
//! stored sources hold no conversion), so this table is ours, built from the two schema files
//! and the v0 vocabulary seen in `cartographie-nationale-v0/`:
//!
//! | v0 field | v1 field |
//! |---|---|
//! | `courriel` | `courriels` |
//! | `labels_nationaux` | `dispositif_programmes_nationaux`, `formations_labels` (Fabriques de Territoire), the rest into `autres_formations_labels` |
//! | `labels_autres` | `autres_formations_labels` |
//! | `conditions_acces` | `frais_a_charge` (Pass numérique / Adhésion: report note only) |
//! | `publics_accueillis` | `publics_specifiquement_adresses` + `prise_en_charge_specifique` |
//! | `services`, `modalites_accompagnement` | same names, values mapped below |
//! | `accessibilite` | `fiche_acces_libre` |
//! | `cle_ban` | dropped |
//!
//! Mapped enum values are deduplicated and written in schema order. A v0 value with no v1
//! equivalent (e.g. "Accepte le Pass numérique") is reported as `info`; public "Adultes" is
//! dropped silently (v1 lists only specific publics).

use crate::model::{
    Dispositif, FormationLabel, Frais, ModaliteAccompagnement, PriseEnCharge, Public, Service,
};

use crate::import::{Record, ReportKind, split_list};

/// v0 `services` → v1 `services`.
const SERVICES: &[(&str, Service)] = &[
    (
        "Devenir autonome dans les démarches administratives",
        Service::AideAuxDemarchesAdministratives,
    ),
    (
        "Réaliser des démarches administratives avec un accompagnement",
        Service::AideAuxDemarchesAdministratives,
    ),
    (
        "Accompagner les démarches de santé",
        Service::AideAuxDemarchesAdministratives,
    ),
    (
        "Prendre en main un smartphone ou une tablette",
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ),
    (
        "Prendre en main un ordinateur",
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ),
    (
        "Utiliser le numérique au quotidien",
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ),
    (
        "Approfondir ma culture numérique",
        Service::ComprehensionDuMondeNumerique,
    ),
    (
        "Promouvoir la citoyenneté numérique",
        Service::ComprehensionDuMondeNumerique,
    ),
    (
        "Favoriser mon insertion professionnelle",
        Service::InsertionProfessionnelleViaLeNumerique,
    ),
    (
        "Créer et développer mon entreprise",
        Service::InsertionProfessionnelleViaLeNumerique,
    ),
    (
        "Accéder à une connexion internet",
        Service::AccesInternetEtMaterielInformatique,
    ),
    (
        "Accéder à du matériel",
        Service::AccesInternetEtMaterielInformatique,
    ),
    (
        "S'équiper en matériel informatique",
        Service::AcquisitionDeMaterielInformatiqueAPrixSolidaire,
    ),
    (
        "Créer avec le numérique",
        Service::LoisirsEtCreationsNumeriques,
    ),
    (
        "Soutenir la parentalité et l'éducation avec le numérique",
        Service::ParentaliteEtEducationAvecLeNumerique,
    ),
];

/// Whether `s` is a v0 `services` value (used to tell v0 JSON from v1).
pub(crate) fn is_v0_service(s: &str) -> bool {
    lookup(SERVICES, s).is_some()
}

/// v0 `labels_nationaux` → where it goes in v1.
enum Label {
    Dispositif(Dispositif),
    Formation(FormationLabel),
    /// No v1 enum value: kept as free text in `autres_formations_labels`.
    Autre,
}

const LABELS: &[(&str, Label)] = &[
    (
        "France Services",
        Label::Dispositif(Dispositif::FranceServices),
    ),
    ("CNFS", Label::Dispositif(Dispositif::ConseillersNumeriques)),
    (
        "Aidants Connect",
        Label::Dispositif(Dispositif::AidantsConnect),
    ),
    (
        "Point numérique CAF",
        Label::Dispositif(Dispositif::PointDAccesNumeriqueCaf),
    ),
    (
        "Point relais CAF",
        Label::Dispositif(Dispositif::PointDAccesNumeriqueCaf),
    ),
    (
        "Grandes écoles du numérique",
        Label::Dispositif(Dispositif::GrandeEcoleDuNumerique),
    ),
    (
        "Fabriques de Territoire",
        Label::Formation(FormationLabel::FabriquesDeTerritoire),
    ),
    ("APTIC", Label::Autre),
    ("Relais pôle emploi", Label::Autre),
    ("French Tech", Label::Autre),
    ("Campus connecté", Label::Autre),
];

/// v0 `publics_accueillis` (text before " : ") → v1 publics / prise en charge.
enum PublicV1 {
    Public(Public),
    PriseEnCharge(PriseEnCharge),
    /// "Public langues étrangères" covers both v1 language values.
    Langues,
    /// Not reported: v1 only lists *specific* publics, "Adultes" (everyone) has no place there.
    Everyone,
}

const PUBLICS: &[(&str, PublicV1)] = &[
    ("Seniors (+ 65 ans)", PublicV1::Public(Public::Seniors)),
    (
        "Familles/enfants",
        PublicV1::Public(Public::FamillesEtOuEnfants),
    ),
    ("Jeunes (16-26 ans)", PublicV1::Public(Public::Jeunes)),
    ("Uniquement femmes", PublicV1::Public(Public::Femmes)),
    ("Adultes", PublicV1::Everyone),
    ("Public langues étrangères", PublicV1::Langues),
    (
        "Déficience visuelle",
        PublicV1::PriseEnCharge(PriseEnCharge::DeficienceVisuelle),
    ),
    ("Surdité", PublicV1::PriseEnCharge(PriseEnCharge::Surdite)),
    // v1 has no "psychiques" value; "Handicaps mentaux" is the closest.
    (
        "Handicaps psychiques",
        PublicV1::PriseEnCharge(PriseEnCharge::HandicapsMentaux),
    ),
    (
        "Handicaps mentaux",
        PublicV1::PriseEnCharge(PriseEnCharge::HandicapsMentaux),
    ),
    (
        "Personnes en situation d'illettrisme",
        PublicV1::PriseEnCharge(PriseEnCharge::Illettrisme),
    ),
];

/// v0 `conditions_acces` (text before " : ") → v1 `frais_a_charge`; `None`: no v1 value.
const CONDITIONS: &[(&str, Option<Frais>)] = &[
    ("Gratuit", Some(Frais::Gratuit)),
    ("Gratuit sous condition", Some(Frais::GratuitSousCondition)),
    ("Payant", Some(Frais::Payant)),
    ("Accepte le Pass numérique", None),
    ("Adhésion", None),
];

/// v0 `modalites_accompagnement` (text before " : ") → v1.
const MODALITES: &[(&str, ModaliteAccompagnement)] = &[
    ("Seul", ModaliteAccompagnement::EnAutonomie),
    (
        "Avec de l'aide",
        ModaliteAccompagnement::AccompagnementIndividuel,
    ),
    (
        "Dans un atelier",
        ModaliteAccompagnement::DansUnAtelierCollectif,
    ),
    // "someone authorised does it for me": an individual service, closest v1 value.
    (
        "A ma place",
        ModaliteAccompagnement::AccompagnementIndividuel,
    ),
    (
        "À ma place",
        ModaliteAccompagnement::AccompagnementIndividuel,
    ),
];

fn lookup<'t, T>(table: &'t [(&str, T)], value: &str) -> Option<&'t T> {
    table.iter().find(|(k, _)| *k == value).map(|(_, v)| v)
}

/// v0 values carry an explanation after " : " ("Gratuit : Je peux accéder…"); the key is before.
fn head(value: &str) -> &str {
    value.split(" : ").next().unwrap_or(value).trim()
}

fn join<T: std::fmt::Display + Ord>(mut values: Vec<T>) -> String {
    values.sort();
    values.dedup();
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("|")
}

fn set(record: &mut Record, field: &str, value: String) {
    if value.is_empty() {
        record.fields.remove(field);
    } else {
        record.fields.insert(field.to_owned(), value);
    }
}

fn note(record: &mut Record, field: &str, reason: &str, values: &[&str]) {
    if !values.is_empty() {
        record.notes.push((
            field.to_owned(),
            ReportKind::Info,
            reason.to_owned(),
            values.join(";"),
        ));
    }
}

/// The items of a v0 list field. The schema joins them with `;`; some exports join them with
/// `,`: when a value has commas and no `;` and the `,` reading gives two or more items, every
/// one of the vocabulary (`known`), the commas are the separators (reported as a repair). A
/// value whose commas are part of its text stays whole (its pieces are not all known).
fn v0_items<'a>(
    record: &mut Record,
    field: &str,
    raw: &'a str,
    known: impl Fn(&str) -> bool,
) -> Vec<&'a str> {
    let items: Vec<&str> = split_list(raw, true).collect();
    if !raw.contains(',') || raw.contains(';') {
        return items;
    }
    // pieces between commas; a piece that is not a value of the vocabulary continues the
    // previous one (v0 values explain themselves after " : ", sometimes with commas)
    let mut commas: Vec<&str> = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut pos = 0;
    for piece in raw.split([',', '|']) {
        let (from, to) = (pos, pos + piece.len());
        pos = to + 1;
        if piece.trim().is_empty() {
            continue;
        }
        if known(piece.trim()) {
            if let Some(s) = start {
                commas.push(raw[s..end].trim());
            }
            start = Some(from);
        } else if start.is_none() {
            return items;
        }
        end = to;
    }
    if let Some(s) = start {
        commas.push(raw[s..end].trim());
    }
    if commas.len() >= 2 && commas.len() > items.len() {
        record.notes.push((
            field.to_owned(),
            ReportKind::Repaired,
            "v0_list_commas: values joined with ',' instead of ';', split on ','".to_owned(),
            raw.to_owned(),
        ));
        return commas;
    }
    items
}

/// Rewrites a v0 record in place into v1 field names and values (lists joined with `|`).
pub(crate) fn to_v1(record: &mut Record) {
    let take = |record: &mut Record, f: &str| record.fields.remove(f).unwrap_or_default();

    // Plain renames and separator changes.
    record.fields.remove("cle_ban");
    for (from, to) in [
        ("courriel", "courriels"),
        ("accessibilite", "fiche_acces_libre"),
    ] {
        if let Some(v) = record.fields.remove(from) {
            record.fields.insert(to.to_owned(), v);
        }
    }
    for field in ["courriels", "site_web", "typologie"] {
        if let Some(v) = record.fields.get(field) {
            let v = split_list(v, true).collect::<Vec<_>>().join("|");
            set(record, field, v);
        }
    }

    // services
    let raw = take(record, "services");
    let mut services = Vec::new();
    let mut unknown = Vec::new();
    let known = |v: &str| lookup(SERVICES, v).is_some() || v.parse::<Service>().is_ok();
    for v in v0_items(record, "services", &raw, known) {
        match lookup(SERVICES, v) {
            Some(s) => services.push(*s),
            // Already a v1 value (mixed files): keep it.
            None => match v.parse::<Service>() {
                Ok(s) => services.push(s),
                Err(_) => unknown.push(v),
            },
        }
    }
    // Unknown values stay in the field: validation reports them against the v1 field.
    let mut joined = join(services);
    for u in unknown {
        if !joined.is_empty() {
            joined.push('|');
        }
        joined.push_str(u);
    }
    set(record, "services", joined);

    // labels_nationaux / labels_autres
    let raw_labels = take(record, "labels_nationaux");
    let raw_autres = take(record, "labels_autres");
    let mut dispositifs = Vec::new();
    let mut formations = Vec::new();
    let mut autres: Vec<String> = Vec::new();
    let known = |v: &str| lookup(LABELS, v).is_some() || v.parse::<Dispositif>().is_ok();
    for v in v0_items(record, "labels_nationaux", &raw_labels, known) {
        match lookup(LABELS, v) {
            Some(Label::Dispositif(d)) => dispositifs.push(*d),
            Some(Label::Formation(f)) => formations.push(*f),
            Some(Label::Autre) | None => {
                if let Ok(d) = v.parse::<Dispositif>() {
                    dispositifs.push(d);
                } else {
                    autres.push(v.to_owned());
                }
            }
        }
    }
    autres.extend(split_list(&raw_autres, true).map(str::to_owned));
    let mut seen = std::collections::HashSet::new();
    autres.retain(|a| seen.insert(a.clone()));
    set(record, "dispositif_programmes_nationaux", join(dispositifs));
    set(record, "formations_labels", join(formations));
    set(record, "autres_formations_labels", autres.join("|"));

    // conditions_acces → frais_a_charge
    let raw = take(record, "conditions_acces");
    let mut frais = Vec::new();
    let mut no_equivalent = Vec::new();
    let known = |v: &str| lookup(CONDITIONS, head(v)).is_some();
    for v in v0_items(record, "conditions_acces", &raw, known) {
        match lookup(CONDITIONS, head(v)) {
            Some(Some(f)) => frais.push(*f),
            Some(None) => no_equivalent.push(head(v)),
            None => no_equivalent.push(v),
        }
    }
    set(record, "frais_a_charge", join(frais));
    note(
        record,
        "frais_a_charge",
        "v0 conditions_acces value with no v1 frais_a_charge equivalent",
        &no_equivalent,
    );

    // publics_accueillis
    let raw = take(record, "publics_accueillis");
    let mut publics = Vec::new();
    let mut prises = Vec::new();
    let mut no_equivalent = Vec::new();
    let known = |v: &str| lookup(PUBLICS, head(v)).is_some();
    for v in v0_items(record, "publics_accueillis", &raw, known) {
        match lookup(PUBLICS, head(v)) {
            Some(PublicV1::Public(p)) => publics.push(*p),
            Some(PublicV1::PriseEnCharge(p)) => prises.push(*p),
            Some(PublicV1::Langues) => {
                prises.push(PriseEnCharge::LanguesEtrangeresAnglais);
                prises.push(PriseEnCharge::LanguesEtrangeresAutres);
            }
            Some(PublicV1::Everyone) => {}
            None => no_equivalent.push(head(v)),
        }
    }
    set(record, "publics_specifiquement_adresses", join(publics));
    set(record, "prise_en_charge_specifique", join(prises));
    note(
        record,
        "publics_specifiquement_adresses",
        "v0 publics_accueillis value with no v1 equivalent",
        &no_equivalent,
    );

    // modalites_accompagnement
    let raw = take(record, "modalites_accompagnement");
    let mut modalites = Vec::new();
    let mut no_equivalent = Vec::new();
    let known = |v: &str| {
        lookup(MODALITES, head(v)).is_some() || v.parse::<ModaliteAccompagnement>().is_ok()
    };
    for v in v0_items(record, "modalites_accompagnement", &raw, known) {
        match lookup(MODALITES, head(v)) {
            Some(m) => modalites.push(*m),
            None => match v.parse::<ModaliteAccompagnement>() {
                Ok(m) => modalites.push(m),
                Err(_) => no_equivalent.push(v),
            },
        }
    }
    set(record, "modalites_accompagnement", join(modalites));
    note(
        record,
        "modalites_accompagnement",
        "v0 modalites_accompagnement value with no v1 equivalent",
        &no_equivalent,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pairs: &[(&str, &str)]) -> Record {
        Record {
            loc: 0,
            fields: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn maps_v0_values() {
        let cases: &[(&str, &str, &str, &str)] = &[
            // (v0 field, v0 value, v1 field, v1 value)
            (
                "services",
                "Prendre en main un ordinateur;Accéder à du matériel;Utiliser le numérique au quotidien",
                "services",
                "Maîtrise des outils numériques du quotidien|Accès internet et matériel informatique",
            ),
            (
                "labels_nationaux",
                "CNFS;France Services;APTIC",
                "dispositif_programmes_nationaux",
                "Conseillers numériques|France Services",
            ),
            (
                "labels_nationaux",
                "CNFS;APTIC",
                "autres_formations_labels",
                "APTIC",
            ),
            (
                "labels_nationaux",
                "Fabriques de Territoire",
                "formations_labels",
                "Fabriques de Territoire",
            ),
            (
                "conditions_acces",
                "Payant : L'accès au lieu et/ou à ses services est payant;Gratuit : Je peux accéder gratuitement au lieu et à ses services",
                "frais_a_charge",
                "Gratuit|Payant",
            ),
            (
                "publics_accueillis",
                "Adultes;Seniors (+ 65 ans);Surdité",
                "publics_specifiquement_adresses",
                "Seniors",
            ),
            (
                "publics_accueillis",
                "Adultes;Seniors (+ 65 ans);Surdité",
                "prise_en_charge_specifique",
                "Surdité",
            ),
            (
                "modalites_accompagnement",
                "Avec de l'aide : je suis accompagné seul dans l'usage du numérique;Seul : j'ai accès à du matériel et une connexion",
                "modalites_accompagnement",
                "En autonomie|Accompagnement individuel",
            ),
            ("courriel", "a@b.fr", "courriels", "a@b.fr"),
            (
                "accessibilite",
                "https://acceslibre",
                "fiche_acces_libre",
                "https://acceslibre",
            ),
        ];
        for (from, value, to, expected) in cases {
            let mut r = record(&[(from, value)]);
            to_v1(&mut r);
            assert_eq!(
                r.fields.get(*to).map(String::as_str),
                Some(*expected),
                "{from}={value}"
            );
        }
    }

    #[test]
    fn notes_values_without_equivalent() {
        let mut r = record(&[
            (
                "conditions_acces",
                "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu",
            ),
            ("cle_ban", "x"),
        ]);
        to_v1(&mut r);
        assert!(!r.fields.contains_key("frais_a_charge"));
        assert!(!r.fields.contains_key("cle_ban"));
        assert_eq!(r.notes.len(), 1);
        assert_eq!(r.notes[0].3, "Accepte le Pass numérique");
    }
}
