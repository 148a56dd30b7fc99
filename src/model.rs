//! The data model: one [`Lieu`] per place, typed after the national schema of lieux de
//! médiation numérique v1.0.2 (`../shared/data/schema/standard-mediation-num-v1.0.2.schema.json`).
//!
//! Every enumerated field is a Rust enum whose `as_str` is the exact schema string; multi-valued
//! fields are lists ([`EnumList`] for enumerations, one-word `ThinVec`s for the rest) that the
//! CSV form joins with [`LIST_SEPARATOR`]; text fields are [`Text`] (one word each,
//! dereferencing to `&str`). Coordinates are WGS84 longitude/latitude in degrees.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
pub use thin_vec::ThinVec;

use crate::hours::Horaires;

mod list;
mod provenance;
mod text;
pub use list::{EnumList, SchemaEnum};
pub use provenance::{PositionOrigine, Precision, SourceAdresse, SourcePosition};
pub use text::Text;

/// Separator of multi-valued fields in schema v1 (v0 used `;`).
pub const LIST_SEPARATOR: char = '|';

/// The v1 CSV column order of the schema.
pub const V1_COLUMNS: [&str; 32] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
];

/// A string that is not one of the values an enumerated schema field allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not an allowed value of {field}")]
pub struct UnknownValue {
    /// Schema field name.
    pub field: &'static str,
    /// The rejected value.
    pub value: String,
}

/// Defines a schema enumeration: variants, their exact schema strings, `FromStr`, `Display`,
/// serde as the schema string.
macro_rules! schema_enum {
    ($(#[$meta:meta])* $name:ident ($field:literal) { $($variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = $text] $variant,)+
        }

        impl $name {
            /// Every value, in schema order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// Schema field this enumeration belongs to.
            pub const FIELD: &'static str = $field;

            /// Position of this value in [`Self::ALL`].
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The exact schema string.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl SchemaEnum for $name {
            const VALUES: &'static [$name] = $name::ALL;
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { field: $field, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

schema_enum! {
    /// `itinerance`.
    Itinerance("itinerance") {
        Itinerant => "Itinérant",
        Fixe => "Fixe",
    }
}

schema_enum! {
    /// `services`.
    Service("services") {
        AideAuxDemarchesAdministratives => "Aide aux démarches administratives",
        MaitriseDesOutilsNumeriquesDuQuotidien => "Maîtrise des outils numériques du quotidien",
        InsertionProfessionnelleViaLeNumerique => "Insertion professionnelle via le numérique",
        UtilisationSecuriseeDuNumerique => "Utilisation sécurisée du numérique",
        ParentaliteEtEducationAvecLeNumerique => "Parentalité et éducation avec le numérique",
        LoisirsEtCreationsNumeriques => "Loisirs et créations numériques",
        ComprehensionDuMondeNumerique => "Compréhension du monde numérique",
        AccesInternetEtMaterielInformatique => "Accès internet et matériel informatique",
        AcquisitionDeMaterielInformatiqueAPrixSolidaire => "Acquisition de matériel informatique à prix solidaire",
    }
}

schema_enum! {
    /// `publics_specifiquement_adresses`.
    Public("publics_specifiquement_adresses") {
        Jeunes => "Jeunes",
        Etudiants => "Étudiants",
        FamillesEtOuEnfants => "Familles et/ou enfants",
        Seniors => "Seniors",
        Femmes => "Femmes",
    }
}

schema_enum! {
    /// `prise_en_charge_specifique`.
    PriseEnCharge("prise_en_charge_specifique") {
        Surdite => "Surdité",
        HandicapsMoteurs => "Handicaps moteurs",
        HandicapsMentaux => "Handicaps mentaux",
        Illettrisme => "Illettrisme",
        LanguesEtrangeresAnglais => "Langues étrangères (anglais)",
        LanguesEtrangeresAutres => "Langues étrangères (autres)",
        DeficienceVisuelle => "Déficience visuelle",
    }
}

schema_enum! {
    /// `frais_a_charge`.
    Frais("frais_a_charge") {
        Gratuit => "Gratuit",
        GratuitSousCondition => "Gratuit sous condition",
        Payant => "Payant",
    }
}

schema_enum! {
    /// `dispositif_programmes_nationaux`.
    Dispositif("dispositif_programmes_nationaux") {
        AidantsConnect => "Aidants Connect",
        BibliothequesNumeriqueDeReference => "Bibliothèques numérique de référence",
        CertificationPix => "Certification PIX",
        ConseillersNumeriques => "Conseillers numériques",
        EmmausConnect => "Emmaüs Connect",
        FranceServices => "France Services",
        GrandeEcoleDuNumerique => "Grande école du numérique",
        LaCroixRouge => "La Croix Rouge",
        PointDAccesNumeriqueCaf => "Point d'accès numérique CAF",
        PromeneursDuNet => "Promeneurs du net",
        RelaisNumeriqueEmmausConnect => "Relais numérique (Emmaüs Connect)",
    }
}

schema_enum! {
    /// `formations_labels`. The schema spells "Étapes numériques(La Poste)" without a space;
    /// the national library adds one: the import accepts both and keeps the schema spelling.
    FormationLabel("formations_labels") {
        FormeAMonEspaceSante => "Formé à « Mon Espace Santé »",
        FormeADuplexIllettrisme => "Formé à « DUPLEX » (illettrisme)",
        ArniaMednumBfc => "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        CollectifRessourcesEtActeursReemploiNormandie => "Collectif ressources et acteurs réemploi (Normandie)",
        EtapesNumeriquesLaPoste => "Étapes numériques(La Poste)",
        FabriquesDeTerritoire => "Fabriques de Territoire",
        LesEclaireursDuNumeriqueDrome => "Les Éclaireurs du numérique (Drôme)",
        MesPapiersMetropoleDeLyon => "Mes Papiers (Métropole de Lyon)",
        Ordi30 => "ORDI 3.0",
        SudLabsPaca => "SUD LABS (PACA)",
    }
}

schema_enum! {
    /// `modalites_acces`.
    ModaliteAcces("modalites_acces") {
        SePresenter => "Se présenter",
        Telephoner => "Téléphoner",
        ContacterParMail => "Contacter par mail",
        PrendreUnRdvEnLigne => "Prendre un RDV en ligne",
        CeLieuNAccueillePasDePublic => "Ce lieu n'accueille pas de public",
        EnvoyerUnMailAvecUneFicheDePrescription => "Envoyer un mail avec une fiche de prescription",
    }
}

schema_enum! {
    /// `modalites_accompagnement`.
    ModaliteAccompagnement("modalites_accompagnement") {
        EnAutonomie => "En autonomie",
        AccompagnementIndividuel => "Accompagnement individuel",
        DansUnAtelierCollectif => "Dans un atelier collectif",
        ADistance => "À distance",
    }
}

include!("model_typologie.rs");

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Longitude, degrees east, -180..=180.
    pub lon: f64,
    /// Latitude, degrees north, -90..=90.
    pub lat: f64,
}

impl Position {
    /// A position if both values are finite and in range.
    pub fn new_checked(lon: f64, lat: f64) -> Option<Self> {
        (lon.is_finite()
            && lat.is_finite()
            && (-180.0..=180.0).contains(&lon)
            && (-90.0..=90.0).contains(&lat))
        .then_some(Position { lon, lat })
    }
}

/// One place, in the national schema v1.0.2. Optional text fields are `None` when empty.
#[derive(Debug, Clone)]
pub struct Lieu {
    pub id: Text,
    /// SIRET / RNA / RIDET, `^[a-zA-Z0-9]{9,14}$`; `00000000000000` when unknown.
    pub pivot: Text,
    pub nom: Text,
    pub commune: Text,
    /// `^\d{5}$`
    pub code_postal: Text,
    /// `^([013-9]\d|2[AB1-9])\d{3}$`
    pub code_insee: Option<Text>,
    pub adresse: Text,
    pub complement_adresse: Option<Text>,
    /// `None` for rows without (usable) coordinates: kept in the dataset, not in the index.
    pub position: Option<Position>,
    /// How `position` was obtained (producer, repaired, geocoded, commune fallback); `None` for
    /// places read from snapshots written before this was recorded.
    pub position_origine: Option<PositionOrigine>,
    /// Where `adresse` comes from when the import derived it (no street address given): the
    /// commune name or reverse geocoding; `None` for the producer's own address.
    pub adresse_origine: Option<SourceAdresse>,
    /// The commune is a guess: the most populated of the communes sharing the row's postcode
    /// (`commune_from_postcode_ambiguous`), which geocoding the address settles. Carried from
    /// the validator to the geocoding step; not written to snapshots.
    pub commune_devinee: bool,
    pub typologie: ThinVec<Typologie>,
    pub telephone: Option<Text>,
    pub courriels: ThinVec<Text>,
    pub site_web: ThinVec<Text>,
    pub horaires: Option<Horaires>,
    pub presentation_resume: Option<Text>,
    pub presentation_detail: Option<Text>,
    pub source: Option<Text>,
    pub itinerance: EnumList<Itinerance, 2>,
    pub structure_parente: Option<Text>,
    pub date_maj: NaiveDate,
    pub services: EnumList<Service, 9>,
    pub publics_specifiquement_adresses: EnumList<Public, 5>,
    pub prise_en_charge_specifique: EnumList<PriseEnCharge, 7>,
    pub frais_a_charge: EnumList<Frais, 3>,
    pub dispositif_programmes_nationaux: EnumList<Dispositif, 11>,
    pub formations_labels: EnumList<FormationLabel, 10>,
    pub autres_formations_labels: ThinVec<Text>,
    pub modalites_acces: EnumList<ModaliteAcces, 6>,
    pub modalites_accompagnement: EnumList<ModaliteAccompagnement, 4>,
    pub fiche_acces_libre: Option<Text>,
    pub prise_rdv: Option<Text>,
}

/// Joins enum values with the v1 separator.
pub fn join_list<T: fmt::Display>(values: &[T]) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(LIST_SEPARATOR);
        }
        out.push_str(&v.to_string());
    }
    out
}

impl Lieu {
    /// The value of one v1 column as the CSV writes it (`|` lists, empty string for none).
    /// `column` must be one of [`V1_COLUMNS`]; other names give `None`.
    pub fn column(&self, column: &str) -> Option<String> {
        fn opt(s: &Option<Text>) -> String {
            s.as_deref().unwrap_or_default().to_owned()
        }
        Some(match column {
            "id" => self.id.to_string(),
            "pivot" => self.pivot.to_string(),
            "nom" => self.nom.to_string(),
            "commune" => self.commune.to_string(),
            "code_postal" => self.code_postal.to_string(),
            "code_insee" => opt(&self.code_insee),
            "adresse" => self.adresse.to_string(),
            "complement_adresse" => opt(&self.complement_adresse),
            "latitude" => self.position.map(|p| p.lat.to_string()).unwrap_or_default(),
            "longitude" => self.position.map(|p| p.lon.to_string()).unwrap_or_default(),
            "typologie" => join_list(&self.typologie),
            "telephone" => opt(&self.telephone),
            "courriels" => join_list(&self.courriels),
            "site_web" => join_list(&self.site_web),
            "horaires" => self
                .horaires
                .as_ref()
                .map(|h| h.raw().to_owned())
                .unwrap_or_default(),
            "presentation_resume" => opt(&self.presentation_resume),
            "presentation_detail" => opt(&self.presentation_detail),
            "source" => opt(&self.source),
            "itinerance" => join_list(&self.itinerance),
            "structure_parente" => opt(&self.structure_parente),
            "date_maj" => IsoDate(self.date_maj).to_string(),
            "services" => join_list(&self.services),
            "publics_specifiquement_adresses" => join_list(&self.publics_specifiquement_adresses),
            "prise_en_charge_specifique" => join_list(&self.prise_en_charge_specifique),
            "frais_a_charge" => join_list(&self.frais_a_charge),
            "dispositif_programmes_nationaux" => join_list(&self.dispositif_programmes_nationaux),
            "formations_labels" => join_list(&self.formations_labels),
            "autres_formations_labels" => join_list(&self.autres_formations_labels),
            "modalites_acces" => join_list(&self.modalites_acces),
            "modalites_accompagnement" => join_list(&self.modalites_accompagnement),
            "fiche_acces_libre" => opt(&self.fiche_acces_libre),
            "prise_rdv" => opt(&self.prise_rdv),
            _ => return None,
        })
    }
}

/// A date as the schema writes it, `YYYY-MM-DD`, without chrono's `format`, which parses its
/// pattern and allocates for every place: a visible cost of a 1 M-place stream (issue 19).
/// Serialised as a JSON string.
pub struct IsoDate(pub NaiveDate);

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        if !(0..=9999).contains(&y) {
            return write!(f, "{}", self.0.format("%Y-%m-%d"));
        }
        let mut b = *b"0000-00-00";
        let y = y.unsigned_abs();
        for (i, v) in [
            (0, y / 1000),
            (1, y / 100 % 10),
            (2, y / 10 % 10),
            (3, y % 10),
        ] {
            b[i] = b'0' + v as u8;
        }
        b[5] += (m / 10) as u8;
        b[6] += (m % 10) as u8;
        b[8] += (d / 10) as u8;
        b[9] += (d % 10) as u8;
        // only ASCII digits and dashes were written
        f.write_str(std::str::from_utf8(&b).unwrap_or_default())
    }
}

impl Serialize for IsoDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`IsoDate`] writes and serialises chrono's `%Y-%m-%d`, whatever the date.
    #[test]
    fn iso_dates_are_chronos() {
        let mut d = chrono::NaiveDate::from_ymd_opt(1899, 12, 25).expect("date");
        let mut checked = 0;
        while chrono::Datelike::year(&d) < 2101 {
            let json = serde_json::to_string(&IsoDate(d)).expect("JSON");
            assert_eq!(json, format!("\"{}\"", d.format("%Y-%m-%d")));
            assert_eq!(IsoDate(d).to_string(), d.format("%Y-%m-%d").to_string());
            d = d.succ_opt().expect("next day");
            checked += 1;
        }
        assert!(checked > 73_000);
        for d in [chrono::NaiveDate::MIN, chrono::NaiveDate::MAX] {
            let json = serde_json::to_string(&IsoDate(d)).expect("JSON");
            assert_eq!(json, format!("\"{}\"", d.format("%Y-%m-%d")));
        }
    }

    #[test]
    fn enums_round_trip_schema_strings() {
        for s in Service::ALL {
            assert_eq!(s.as_str().parse::<Service>(), Ok(*s));
        }
        assert_eq!(
            "France Services".parse::<Dispositif>(),
            Ok(Dispositif::FranceServices)
        );
        assert!("france services".parse::<Dispositif>().is_err());
        assert_eq!(Typologie::ALL.len(), 95);
        assert_eq!(
            serde_json::to_string(&Frais::GratuitSousCondition)
                .ok()
                .as_deref(),
            Some("\"Gratuit sous condition\"")
        );
    }

    /// A place's inline size bounds the memory of 1 M places before their strings (issue 19:
    /// 816 bytes with `Vec` lists and `Horaires` inline, 584 with `String` text fields, 344 with
    /// `Vec` lists of text).
    #[test]
    fn lieu_stays_compact() {
        let size = std::mem::size_of::<Lieu>();
        println!("Lieu: {size} bytes");
        assert!(size <= 280, "Lieu is {size} bytes");
    }
}
