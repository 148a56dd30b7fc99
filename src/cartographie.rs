//! The record format of the national map's web component, npm
//! `@gouvfr-anct/cartographie-nationale` 5.22.0 (`<fr-mediation-numerique-cartographie
//! source="URL">`): what `GET /v1/lieux.json` serves.
//!
//! Read from the package's bundle (`cartographie.js`), not guessed: the component fetches
//! `source` with Angular's `HttpClient` and maps **every** element of the JSON array through the
//! *v0* schema validators of `@gouvfr-anct/lieux-de-mediation-numerique`; one invalid element
//! makes the whole observable fail and the map stays empty. What it expects:
//!
//! - field names of schema v0.1.0: `id`, `pivot`, `nom`, `commune`, `code_postal`, `code_insee`,
//!   `adresse`, `complement_adresse`, `latitude`, `longitude` (numbers), `typologie`,
//!   `telephone`, `courriel` (one), `site_web`, `horaires`, `presentation_resume`,
//!   `presentation_detail`, `source`, `structure_parente`, `date_maj`, `services`,
//!   `publics_accueillis`, `conditions_acces`, `labels_nationaux`, `labels_autres`,
//!   `modalites_accompagnement`, `accessibilite`, `prise_rdv`;
//! - lists as **strings joined with `;`** (`e.split(";")`; a JSON array would throw), absent
//!   rather than empty (`"".split(";")` is `[""]`, an invalid enum value);
//! - `services` required and non-empty, every list value one of the v0 enumerations (long
//!   forms such as "Gratuit : Je peux accéder gratuitement au lieu et à ses services");
//! - `pivot` 14 characters or `W` + 9; `adresse` and `commune` restricted character sets;
//!   `telephone`, `courriel`, `accessibilite` and `prise_rdv` matching its regular expressions.
//!
//! So every record written here passes those checks by construction: each check below accepts a
//! subset of what the component's regular expression accepts; optional values that fail are
//! left out, a pivot that fails becomes the schema's "unknown" `00000000000000`, characters the
//! address patterns refuse become spaces, and a place with no service is not listed (the
//! component would reject the whole array). v1 values map to v0 as the inverse of
//! `import::v0` (schema v0 → v1), choosing the closest v0 value where several exist.

use serde_json::{Map, Value};

use crate::model::{
    Dispositif, FormationLabel, Frais, IsoDate, Lieu, ModaliteAccompagnement, PriseEnCharge,
    Public, Service,
};

/// v1 service → v0 services (the component's `wn` enumeration).
fn services(s: Service) -> &'static [&'static str] {
    match s {
        Service::AideAuxDemarchesAdministratives => {
            &["Réaliser des démarches administratives avec un accompagnement"]
        }
        Service::MaitriseDesOutilsNumeriquesDuQuotidien => &["Utiliser le numérique au quotidien"],
        Service::InsertionProfessionnelleViaLeNumerique => {
            &["Favoriser mon insertion professionnelle"]
        }
        Service::UtilisationSecuriseeDuNumerique | Service::ComprehensionDuMondeNumerique => {
            &["Approfondir ma culture numérique"]
        }
        Service::ParentaliteEtEducationAvecLeNumerique => {
            &["Soutenir la parentalité et l'éducation avec le numérique"]
        }
        Service::LoisirsEtCreationsNumeriques => &["Créer avec le numérique"],
        Service::AccesInternetEtMaterielInformatique => {
            &["Accéder à une connexion internet", "Accéder à du matériel"]
        }
        Service::AcquisitionDeMaterielInformatiqueAPrixSolidaire => {
            &["S'équiper en matériel informatique"]
        }
    }
}

/// v1 public → v0 `publics_accueillis` (the component's `Pr` enumeration).
fn public(p: Public) -> &'static str {
    match p {
        Public::Jeunes | Public::Etudiants => "Jeunes (16-26 ans)",
        Public::FamillesEtOuEnfants => "Familles/enfants",
        Public::Seniors => "Seniors (+ 65 ans)",
        Public::Femmes => "Uniquement femmes",
    }
}

/// v1 prise en charge → v0 `publics_accueillis`; v0 has no "Handicaps moteurs".
fn prise_en_charge(p: PriseEnCharge) -> Option<&'static str> {
    Some(match p {
        PriseEnCharge::Surdite => "Surdité",
        PriseEnCharge::HandicapsMoteurs => return None,
        PriseEnCharge::HandicapsMentaux => {
            "Handicaps mentaux : déficiences limitant les activités d'une personne"
        }
        PriseEnCharge::Illettrisme => "Personnes en situation d'illettrisme",
        PriseEnCharge::LanguesEtrangeresAnglais | PriseEnCharge::LanguesEtrangeresAutres => {
            "Public langues étrangères"
        }
        PriseEnCharge::DeficienceVisuelle => "Déficience visuelle",
    })
}

/// v1 frais → v0 `conditions_acces` (the component's `Jr` enumeration).
fn frais(f: Frais) -> &'static str {
    match f {
        Frais::Gratuit => "Gratuit : Je peux accéder gratuitement au lieu et à ses services",
        Frais::GratuitSousCondition => {
            "Gratuit sous condition : La gratuité est conditionnée à des critères (situation familiale, convention avec un organisme social...)"
        }
        Frais::Payant => "Payant : L'accès au lieu et/ou à ses services est payant",
    }
}

/// v1 modalité → v0 `modalites_accompagnement` (`$o`); v0 has no "À distance".
fn modalite(m: ModaliteAccompagnement) -> Option<&'static str> {
    Some(match m {
        ModaliteAccompagnement::EnAutonomie => "Seul : j'ai accès à du matériel et une connexion",
        ModaliteAccompagnement::AccompagnementIndividuel => {
            "Avec de l'aide : je suis accompagné seul dans l'usage du numérique"
        }
        ModaliteAccompagnement::DansUnAtelierCollectif => {
            "Dans un atelier : j'apprends collectivement à utiliser le numérique"
        }
        ModaliteAccompagnement::ADistance => return None,
    })
}

/// v1 dispositif → v0 `labels_nationaux` (`Un`); others go to `labels_autres` as v1 text.
fn label_dispositif(d: Dispositif) -> Option<&'static str> {
    Some(match d {
        Dispositif::AidantsConnect => "Aidants Connect",
        Dispositif::ConseillersNumeriques => "CNFS",
        Dispositif::FranceServices => "France Services",
        Dispositif::GrandeEcoleDuNumerique => "Grandes écoles du numérique",
        Dispositif::PointDAccesNumeriqueCaf => "Point numérique CAF",
        _ => return None,
    })
}

/// v0 national labels that v1 keeps as free text in `autres_formations_labels`.
const LABELS_FROM_AUTRES: &[&str] = &[
    "APTIC",
    "Relais pôle emploi",
    "French Tech",
    "Campus connecté",
];

/// The v0 typologies the component knows (`Wt`); v1 has more codes.
const TYPOLOGIES_V0: &[&str] = &[
    "ACI",
    "ACIPHC",
    "AFPA",
    "AI",
    "ASE",
    "ASSO_CHOMEUR",
    "ASSO",
    "Autre",
    "BIB",
    "CAARUD",
    "CADA",
    "CAF",
    "CAP_EMPLOI",
    "CAVA",
    "CC",
    "CCAS",
    "CCONS",
    "CD",
    "CHRS",
    "CHU",
    "CIAS",
    "CIDFF",
    "CITMET",
    "CPH",
    "CS",
    "CSAPA",
    "DEETS",
    "DEPT",
    "DIPLP",
    "E2C",
    "EA",
    "EATT",
    "EI",
    "EITI",
    "EPCI",
    "EPIDE",
    "ESS",
    "ETTI",
    "FAIS",
    "GEIQ",
    "HUDA",
    "MDE",
    "MDEF",
    "MDPH",
    "MDS",
    "MJC",
    "ML",
    "MQ",
    "MSA",
    "MUNI",
    "OACAS",
    "ODC",
    "OF",
    "OIL",
    "OPCS",
    "PAD",
    "PE",
    "PENSION",
    "PIJ_BIJ",
    "PIMMS",
    "PJJ",
    "PLIE",
    "PREF",
    "PREVENTION",
    "REG",
    "RFS",
    "RS_FJT",
    "SCP",
    "SPIP",
    "TIERS_LIEUX",
    "UDAF",
];

/// Letters the component's address patterns accept: ASCII letters and digits, Latin-1 letters
/// (U+00C0–U+00FF but × and ÷), U+0152–U+0178 (Œ œ Š š Ÿ …).
fn letter(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || (('\u{c0}'..='\u{ff}').contains(&c) && c != '\u{d7}' && c != '\u{f7}')
        || ('\u{152}'..='\u{178}').contains(&c)
}

/// Replaces what `allowed` refuses (and any whitespace) by a space, collapses spaces; `None`
/// when nothing is left.
fn sanitise(s: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    let cleaned = s
        .chars()
        .map(|c| if c != ' ' && !allowed(c) { ' ' } else { c })
        .collect::<String>();
    let out = cleaned
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!out.is_empty()).then_some(out)
}

/// `adresse` (the component's `ZB`).
fn adresse(s: &str) -> Option<String> {
    sanitise(s, |c| letter(c) || "-,()°.&:+–|;'’/".contains(c))
}

/// `commune` (the component's `WB`).
fn commune(s: &str) -> Option<String> {
    sanitise(s, |c| letter(c) || "-'’".contains(c))
}

/// `pivot`: 14 characters or `W` + 9 alphanumerics, else the schema's "unknown".
fn pivot(s: &str) -> &str {
    let rna =
        s.len() == 10 && s.starts_with('W') && s.chars().skip(1).all(|c| c.is_ascii_alphanumeric());
    if s.chars().count() == 14 || rna {
        s
    } else {
        "00000000000000"
    }
}

/// `code_insee` (the component's `GB`: `^(?:[013-9]\d|2[AB1-9])(?:0?\d{3}|…)$`).
fn code_insee(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && match (b[0], b[1]) {
            (b'2', c) => matches!(c, b'A' | b'B' | b'1'..=b'9'),
            (a, c) => matches!(a, b'0' | b'1' | b'3'..=b'9') && c.is_ascii_digit(),
        }
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// `telephone` as v1 stores it (`+33` + 9 digits, or one of the overseas prefixes): the
/// component's `lV` accepts an international prefix followed by 9 digits starting with 1–9.
fn telephone(s: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "33", "594", "262", "596", "269", "687", "689", "590", "508", "681",
    ];
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    PREFIXES.iter().any(|p| {
        digits.strip_prefix(p).is_some_and(|rest| {
            rest.len() == 9
                && rest.bytes().all(|b| b.is_ascii_digit())
                && rest.as_bytes()[0] != b'0'
        })
    })
}

/// `courriel` (the component's `sV`, restricted): dot-separated local part without
/// `<>()[]\.,;:@"` or spaces, `@`, dot-separated domain labels, a final label of ≥ 2 letters.
fn courriel(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = local.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| !c.is_whitespace() && !"<>()[]\\.,;:@\"".contains(c))
    });
    let labels = domain.split('.').collect::<Vec<_>>();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || letter(c))
        })
        && labels
            .last()
            .is_some_and(|l| l.len() >= 2 && l.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// URLs for `accessibilite` and `prise_rdv` (the component's `KV`, restricted):
/// `http(s)://host[/path][?query][#fragment]` with the characters `KV` allows in each part.
fn url(s: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, rest) = rest.split_at(host_end);
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return false;
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    path.chars().all(|c| word(c) || "+~,%/.-".contains(c))
        && query.chars().all(|c| word(c) || "-+=&;%@.".contains(c))
        && fragment.chars().all(|c| word(c) || ".!/\\".contains(c))
}

/// Appends the distinct `values` joined with `;` under `key`, if any.
fn put_list<'a>(o: &mut Map<String, Value>, key: &str, values: impl IntoIterator<Item = &'a str>) {
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        if !v.is_empty() && !v.contains(';') && !seen.contains(&v) {
            seen.push(v);
        }
    }
    if !seen.is_empty() {
        o.insert(key.to_owned(), Value::String(seen.join(";")));
    }
}

fn put(o: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
        o.insert(key.to_owned(), Value::String(v.to_owned()));
    }
}

/// Can the component's format hold `lieu` ([`record`] writes it)?
pub fn holds(lieu: &Lieu) -> bool {
    record(lieu).is_some()
}

/// The component's record for `lieu`, or `None` when the component could not take it (no
/// service, or an address or commune with nothing it accepts).
pub fn record(lieu: &Lieu) -> Option<Map<String, Value>> {
    if lieu.services.is_empty() {
        return None;
    }
    let mut o = Map::new();
    put(&mut o, "id", Some(&lieu.id));
    put(&mut o, "pivot", Some(pivot(&lieu.pivot)));
    put(&mut o, "nom", Some(&lieu.nom));
    if !o.contains_key("id") || !o.contains_key("nom") {
        return None;
    }
    o.insert("commune".into(), Value::String(commune(&lieu.commune)?));
    let cp = &lieu.code_postal;
    if !(cp.len() == 5 && cp.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    put(&mut o, "code_postal", Some(cp));
    put(
        &mut o,
        "code_insee",
        lieu.code_insee.as_deref().filter(|c| code_insee(c)),
    );
    o.insert("adresse".into(), Value::String(adresse(&lieu.adresse)?));
    put(
        &mut o,
        "complement_adresse",
        lieu.complement_adresse.as_deref(),
    );
    if let Some(p) = lieu.position {
        o.insert("latitude".into(), Value::from(p.lat));
        o.insert("longitude".into(), Value::from(p.lon));
    }
    put_list(
        &mut o,
        "typologie",
        lieu.typologie
            .iter()
            .map(|t| t.as_str())
            .filter(|t| TYPOLOGIES_V0.contains(t)),
    );
    put(
        &mut o,
        "telephone",
        lieu.telephone.as_deref().filter(|t| telephone(t)),
    );
    put(
        &mut o,
        "courriel",
        lieu.courriels
            .iter()
            .map(|s| s.as_str())
            .find(|c| courriel(c)),
    );
    put_list(&mut o, "site_web", lieu.site_web.iter().map(|s| s.as_str()));
    put(&mut o, "horaires", lieu.horaires.as_ref().map(|h| h.raw()));
    put(
        &mut o,
        "presentation_resume",
        lieu.presentation_resume.as_deref(),
    );
    put(
        &mut o,
        "presentation_detail",
        lieu.presentation_detail.as_deref(),
    );
    put(&mut o, "source", lieu.source.as_deref());
    put(
        &mut o,
        "structure_parente",
        lieu.structure_parente.as_deref(),
    );
    o.insert(
        "date_maj".into(),
        Value::String(IsoDate(lieu.date_maj).to_string()),
    );
    put_list(
        &mut o,
        "services",
        lieu.services
            .iter()
            .flat_map(|s| services(*s).iter().copied()),
    );
    put_list(
        &mut o,
        "publics_accueillis",
        lieu.publics_specifiquement_adresses
            .iter()
            .map(|p| public(*p))
            .chain(
                lieu.prise_en_charge_specifique
                    .iter()
                    .filter_map(|p| prise_en_charge(*p)),
            ),
    );
    put_list(
        &mut o,
        "conditions_acces",
        lieu.frais_a_charge.iter().map(|f| frais(*f)),
    );
    let autres_nationaux = lieu
        .autres_formations_labels
        .iter()
        .map(|s| s.as_str())
        .filter(|l| LABELS_FROM_AUTRES.contains(l));
    put_list(
        &mut o,
        "labels_nationaux",
        lieu.dispositif_programmes_nationaux
            .iter()
            .filter_map(|d| label_dispositif(*d))
            .chain(
                lieu.formations_labels
                    .iter()
                    .filter(|f| **f == FormationLabel::FabriquesDeTerritoire)
                    .map(|f| f.as_str()),
            )
            .chain(autres_nationaux),
    );
    put_list(
        &mut o,
        "labels_autres",
        lieu.dispositif_programmes_nationaux
            .iter()
            .filter(|d| label_dispositif(**d).is_none())
            .map(|d| d.as_str())
            .chain(
                lieu.formations_labels
                    .iter()
                    .filter(|f| **f != FormationLabel::FabriquesDeTerritoire)
                    .map(|f| f.as_str()),
            )
            .chain(
                lieu.autres_formations_labels
                    .iter()
                    .map(|s| s.as_str())
                    .filter(|l| !LABELS_FROM_AUTRES.contains(l)),
            ),
    );
    put_list(
        &mut o,
        "modalites_accompagnement",
        lieu.modalites_accompagnement
            .iter()
            .filter_map(|m| modalite(*m)),
    );
    put(
        &mut o,
        "accessibilite",
        lieu.fiche_acces_libre.as_deref().filter(|u| url(u)),
    );
    put(
        &mut o,
        "prise_rdv",
        lieu.prise_rdv.as_deref().filter(|u| url(u)),
    );
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_accept_what_v1_stores_and_refuse_what_the_component_refuses() {
        assert!(telephone("+33450568749"));
        assert!(telephone("+590590123456"));
        assert!(!telephone("+33050568749"));
        assert!(!telephone("0450568749"));
        assert!(courriel("franceservices@ccpb01.fr"));
        assert!(!courriel("a@b"));
        assert!(!courriel("a b@c.fr"));
        assert!(url(
            "https://www.rdv-solidarites.fr/prendre_rdv?departement=08&motif_id=1"
        ));
        assert!(!url("https://exemple.fr/chemin avec espace"));
        assert!(!url("ftp://exemple.fr"));
        assert_eq!(pivot("123456789"), "00000000000000");
        assert_eq!(pivot("W123456789"), "W123456789");
        assert_eq!(pivot("12345678901234"), "12345678901234");
        assert!(code_insee("2A004") && code_insee("97411") && !code_insee("20004"));
        assert_eq!(
            commune("Saint-Martin (978)").as_deref(),
            Some("Saint-Martin 978")
        );
        assert_eq!(
            adresse("12 rue du Lac — bât. B").as_deref(),
            Some("12 rue du Lac bât. B")
        );
        assert_eq!(adresse("\u{2014}"), None);
    }
}
