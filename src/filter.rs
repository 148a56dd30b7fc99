//! The national map's filter vocabulary, verbatim: parsed from query parameters, evaluated on
//! one [`Lieu`].
//!
//! Values are comma-separated lists (a parameter may also be repeated): OR inside one filter,
//! AND across filters. Unknown values are errors naming the parameter: the national map drops
//! them silently, we refuse them so a typo never widens a search.

use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::{Dispositif, Frais, Lieu, PriseEnCharge, Public, Service};
use crate::territory;

/// A bad filter parameter: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct FilterError {
    pub parameter: String,
    pub message: String,
}

impl FilterError {
    pub fn new(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        FilterError {
            parameter: parameter.into(),
            message: message.into(),
        }
    }
}

/// Granularity of `territoires`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TerritoireType {
    Regions,
    Departements,
    Communes,
}

impl TerritoireType {
    pub fn as_str(self) -> &'static str {
        match self {
            TerritoireType::Regions => "regions",
            TerritoireType::Departements => "departements",
            TerritoireType::Communes => "communes",
        }
    }
}

/// A conjunction of filters; an empty `Filter` matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub services: Vec<Service>,
    pub publics_specifiquement_adresses: Vec<Public>,
    pub prise_en_charge_specifique: Vec<PriseEnCharge>,
    pub frais_a_charge: Vec<Frais>,
    /// `true`: places with a `prise_rdv` link; `false`: places without.
    pub prise_rdv: Option<bool>,
    pub dispositif_programmes_nationaux: Vec<Dispositif>,
    pub autres_formations_labels: Vec<String>,
    /// `(territoire_type, codes)`: INSEE codes of régions, départements or communes.
    pub territoires: Option<(TerritoireType, Vec<String>)>,
    /// Open at this instant (evaluated in each place's time zone). Places without `horaires`
    /// are never "open".
    pub ouvert_actuellement: Option<DateTime<FixedOffset>>,
    /// `(wanted, saturday)`: places open (`true`) or not open (`false`) on the week-end that
    /// starts on `saturday` (the coming week-end of the request).
    pub ouvert_le_week_end: Option<(bool, NaiveDate)>,
    pub source: Vec<String>,
    /// `exclure_doublons=false`: list every member of a group of duplicates. By default
    /// (`exclure_doublons=true`) each group is listed once, through its first member in
    /// principal order that matches the other filters ([`crate::dedup`]); the dataset applies
    /// it, since groups are a property of the dataset, not of one place.
    pub inclure_doublons: bool,
}

/// Every filter parameter name, in the national map's vocabulary.
pub const PARAMETERS: &[&str] = &[
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "prise_rdv",
    "dispositif_programmes_nationaux",
    "autres_formations_labels",
    "territoire_type",
    "territoires",
    "ouvert_actuellement",
    "ouvert_le_week_end",
    "source",
    "exclure_doublons",
];

fn split(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim)
}

fn parse_enums<T: FromStr + PartialEq>(
    param: &str,
    value: &str,
    out: &mut Vec<T>,
) -> Result<(), FilterError> {
    for v in split(value) {
        if v.is_empty() {
            return Err(FilterError::new(param, "empty value"));
        }
        let parsed = v
            .parse::<T>()
            .map_err(|_| FilterError::new(param, format!("unknown value {v:?}")))?;
        if !out.contains(&parsed) {
            out.push(parsed);
        }
    }
    Ok(())
}

fn parse_strings(param: &str, value: &str, out: &mut Vec<String>) -> Result<(), FilterError> {
    for v in split(value) {
        if v.is_empty() {
            return Err(FilterError::new(param, "empty value"));
        }
        if !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    Ok(())
}

fn parse_bool(param: &str, value: &str) -> Result<bool, FilterError> {
    match value.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(FilterError::new(
            param,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

fn is_departement(code: &str) -> bool {
    territory::region_of_departement(code).is_some()
        || matches!(code, "975" | "977" | "978" | "986" | "987" | "988")
}

fn is_commune(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && b[2..].iter().all(u8::is_ascii_digit)
        && (b[..2].iter().all(u8::is_ascii_digit) || (b[0] == b'2' && matches!(b[1], b'A' | b'B')))
}

/// The Saturday of the week-end that is current or next at `now` (Paris date).
fn coming_saturday(now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&Tz::Europe__Paris).date_naive();
    let days = match today.weekday() {
        chrono::Weekday::Sun => -1,
        d => (5 - d.num_days_from_monday() as i64).max(0),
    };
    today + chrono::Duration::days(days)
}

impl Filter {
    /// Parses the filter parameters among `pairs`; other parameter names are ignored (the
    /// endpoint checks its own). `now` fixes the reference instant of `ouvert_actuellement=true`
    /// and of `ouvert_le_week_end`.
    pub fn from_pairs<'a, I>(pairs: I, now: DateTime<Utc>) -> Result<Filter, FilterError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut f = Filter::default();
        let mut territoire_type: Option<TerritoireType> = None;
        let mut territoires: Option<Vec<String>> = None;
        for (key, value) in pairs {
            match key {
                "services" => parse_enums(key, value, &mut f.services)?,
                "publics_specifiquement_adresses" => {
                    parse_enums(key, value, &mut f.publics_specifiquement_adresses)?
                }
                "prise_en_charge_specifique" => {
                    parse_enums(key, value, &mut f.prise_en_charge_specifique)?
                }
                "frais_a_charge" => parse_enums(key, value, &mut f.frais_a_charge)?,
                "dispositif_programmes_nationaux" => {
                    parse_enums(key, value, &mut f.dispositif_programmes_nationaux)?
                }
                "autres_formations_labels" => {
                    parse_strings(key, value, &mut f.autres_formations_labels)?
                }
                "source" => parse_strings(key, value, &mut f.source)?,
                "prise_rdv" => f.prise_rdv = Some(parse_bool(key, value)?),
                "exclure_doublons" => f.inclure_doublons = !parse_bool(key, value)?,
                "ouvert_le_week_end" => {
                    f.ouvert_le_week_end = Some((parse_bool(key, value)?, coming_saturday(now)))
                }
                "ouvert_actuellement" => {
                    let v = value.trim();
                    f.ouvert_actuellement = Some(if v == "true" {
                        now.fixed_offset()
                    } else {
                        DateTime::parse_from_rfc3339(v).map_err(|e| {
                            FilterError::new(key, format!("expected an ISO 8601 date-time with offset (2026-11-30T10:00:00+01:00) or true: {e}"))
                        })?
                    });
                }
                "territoire_type" => {
                    territoire_type = Some(match value.trim() {
                        "regions" => TerritoireType::Regions,
                        "departements" => TerritoireType::Departements,
                        "communes" => TerritoireType::Communes,
                        other => {
                            return Err(FilterError::new(
                                key,
                                format!(
                                    "expected regions, departements or communes, got {other:?}"
                                ),
                            ));
                        }
                    })
                }
                "territoires" => {
                    parse_strings(key, value, territoires.get_or_insert_with(Vec::new))?
                }
                _ => {}
            }
        }
        match (territoire_type, territoires) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(FilterError::new(
                    "territoire_type",
                    "required with territoires",
                ));
            }
            (Some(_), None) => {
                return Err(FilterError::new(
                    "territoires",
                    "required with territoire_type",
                ));
            }
            (Some(t), Some(codes)) => {
                for c in &codes {
                    let ok = match t {
                        TerritoireType::Regions => territory::is_region(c),
                        TerritoireType::Departements => is_departement(c),
                        TerritoireType::Communes => is_commune(c),
                    };
                    if !ok {
                        return Err(FilterError::new(
                            "territoires",
                            format!("{c:?} is not a code of {}", t.as_str()),
                        ));
                    }
                }
                f.territoires = Some((t, codes));
            }
        }
        Ok(f)
    }

    /// The instant at which results report `ouvert`: the one asked by `ouvert_actuellement`,
    /// else `now`.
    pub fn evaluation_instant(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.ouvert_actuellement.map(|t| t.to_utc()).unwrap_or(now)
    }

    /// True when no filter is set (duplicates are still excluded, by the dataset).
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// True when some filter narrows the set of places: any filter but `exclure_doublons`
    /// (which only chooses how duplicates are listed).
    pub fn narrows(&self) -> bool {
        *self
            != Filter {
                inclure_doublons: self.inclure_doublons,
                ..Filter::default()
            }
    }

    /// Does `lieu` (whose time zone is `tz`) pass every filter? The enumerated filters are
    /// evaluated here on the place's lists, and by the dataset on bit sets ([`Filter::compile`]);
    /// the oracle tests compare the two. The other filters are [`Filter::matches_rest`].
    pub fn matches(&self, lieu: &Lieu, tz: Tz) -> bool {
        fn any<T: PartialEq>(wanted: &[T], has: &[T]) -> bool {
            wanted.is_empty() || wanted.iter().any(|w| has.contains(w))
        }
        any(&self.services, &lieu.services)
            && any(
                &self.publics_specifiquement_adresses,
                &lieu.publics_specifiquement_adresses,
            )
            && any(
                &self.prise_en_charge_specifique,
                &lieu.prise_en_charge_specifique,
            )
            && any(&self.frais_a_charge, &lieu.frais_a_charge)
            && any(
                &self.dispositif_programmes_nationaux,
                &lieu.dispositif_programmes_nationaux,
            )
            && self
                .prise_rdv
                .is_none_or(|want| lieu.prise_rdv.is_some() == want)
            && self.matches_rest(lieu, tz)
    }
}

/// The enumerated fields of a place as bit sets (bit i = the i-th value of the enum's `ALL`),
/// 8 bytes per place: filters on them are answered without touching the full [`Lieu`], which
/// keeps filtered nearest-neighbour searches in cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bits {
    services: u16,
    dispositif: u16,
    publics: u8,
    prise_en_charge: u8,
    frais: u8,
    prise_rdv: bool,
}

fn mask<T: Copy>(values: &[T], index: impl Fn(T) -> usize) -> u32 {
    values.iter().fold(0, |m, v| m | (1 << index(*v)))
}

impl Bits {
    /// The bits of one place.
    pub fn of(lieu: &Lieu) -> Bits {
        Bits {
            services: mask(&lieu.services, Service::index) as u16,
            dispositif: mask(&lieu.dispositif_programmes_nationaux, Dispositif::index) as u16,
            publics: mask(&lieu.publics_specifiquement_adresses, Public::index) as u8,
            prise_en_charge: mask(&lieu.prise_en_charge_specifique, PriseEnCharge::index) as u8,
            frais: mask(&lieu.frais_a_charge, Frais::index) as u8,
            prise_rdv: lieu.prise_rdv.is_some(),
        }
    }
}

/// A [`Filter`] split for evaluation: its enumerated part as masks (0 = no constraint), and
/// whether the rest needs the place itself.
#[derive(Debug, Clone, Copy)]
pub struct Compiled {
    want: Bits,
    prise_rdv: Option<bool>,
    /// Some filter (labels, source, territory, hours) needs the full place.
    pub needs_lieu: bool,
}

impl Compiled {
    /// Does a place with these bits pass the enumerated filters?
    pub fn matches_bits(&self, b: Bits) -> bool {
        let w = self.want;
        (w.services == 0 || w.services & b.services != 0)
            && (w.dispositif == 0 || w.dispositif & b.dispositif != 0)
            && (w.publics == 0 || w.publics & b.publics != 0)
            && (w.prise_en_charge == 0 || w.prise_en_charge & b.prise_en_charge != 0)
            && (w.frais == 0 || w.frais & b.frais != 0)
            && self.prise_rdv.is_none_or(|want| b.prise_rdv == want)
    }
}

impl Filter {
    /// Compiles the enumerated part into masks (see [`Bits`]); evaluate the rest with
    /// [`Filter::matches_rest`] when `needs_lieu`.
    pub fn compile(&self) -> Compiled {
        Compiled {
            want: Bits {
                services: mask(&self.services, Service::index) as u16,
                dispositif: mask(&self.dispositif_programmes_nationaux, Dispositif::index) as u16,
                publics: mask(&self.publics_specifiquement_adresses, Public::index) as u8,
                prise_en_charge: mask(&self.prise_en_charge_specifique, PriseEnCharge::index) as u8,
                frais: mask(&self.frais_a_charge, Frais::index) as u8,
                prise_rdv: false,
            },
            prise_rdv: self.prise_rdv,
            needs_lieu: !self.autres_formations_labels.is_empty()
                || !self.source.is_empty()
                || self.territoires.is_some()
                || self.ouvert_actuellement.is_some()
                || self.ouvert_le_week_end.is_some(),
        }
    }

    /// The filters that [`Compiled`] does not cover: labels, source, territory, hours.
    pub fn matches_rest(&self, lieu: &Lieu, tz: Tz) -> bool {
        (self.autres_formations_labels.is_empty()
            || self
                .autres_formations_labels
                .iter()
                .any(|w| lieu.autres_formations_labels.iter().any(|x| x == w)))
            && (self.source.is_empty()
                || lieu
                    .source
                    .as_ref()
                    .is_some_and(|s| self.source.iter().any(|x| x == s)))
            && self
                .territoires
                .as_ref()
                .is_none_or(|(t, codes)| in_territoires(lieu, *t, codes))
            && self
                .ouvert_actuellement
                .is_none_or(|at| lieu.horaires.as_ref().is_some_and(|h| h.is_open(at, tz)))
            && self.ouvert_le_week_end.is_none_or(|(want, sat)| {
                lieu.horaires
                    .as_ref()
                    .is_some_and(|h| h.opens_on_weekend(sat, tz))
                    == want
            })
    }
}

/// The département of a place: from its INSEE code, else from its postcode (`20xxx` is
/// Corsica: both 2A and 2B match).
fn departements_of(lieu: &Lieu) -> (Option<&str>, Option<&str>) {
    if let Some(dep) = lieu
        .code_insee
        .as_deref()
        .and_then(territory::departement_of)
    {
        return (Some(dep), None);
    }
    let cp = lieu.code_postal.as_str();
    if cp.starts_with("20") {
        return (Some("2A"), Some("2B"));
    }
    (territory::departement_of(cp), None)
}

fn in_territoires(lieu: &Lieu, t: TerritoireType, codes: &[String]) -> bool {
    match t {
        TerritoireType::Communes => lieu
            .code_insee
            .as_ref()
            .is_some_and(|c| codes.iter().any(|x| x == c)),
        TerritoireType::Departements => {
            let (a, b) = departements_of(lieu);
            [a, b]
                .into_iter()
                .flatten()
                .any(|d| codes.iter().any(|c| c == d))
        }
        TerritoireType::Regions => {
            let (a, b) = departements_of(lieu);
            [a, b]
                .into_iter()
                .flatten()
                .filter_map(territory::region_of_departement)
                .any(|r| codes.iter().any(|c| c == r))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> Result<Filter, FilterError> {
        let now = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .map(|d| d.to_utc())
            .expect("now");
        Filter::from_pairs(q.iter().copied(), now)
    }

    #[test]
    fn parses_lists_and_rejects_unknown_values() {
        let f = parse(&[
            (
                "services",
                "Aide aux démarches administratives, Loisirs et créations numériques",
            ),
            ("k", "3"),
        ])
        .expect("ok");
        assert_eq!(
            f.services,
            vec![
                Service::AideAuxDemarchesAdministratives,
                Service::LoisirsEtCreationsNumeriques
            ]
        );
        let e =
            parse(&[("dispositif_programmes_nationaux", "France Service")]).expect_err("unknown");
        assert_eq!(e.parameter, "dispositif_programmes_nationaux");
        assert_eq!(
            parse(&[("territoires", "44")])
                .expect_err("alone")
                .parameter,
            "territoire_type"
        );
        assert_eq!(
            parse(&[("territoire_type", "regions"), ("territoires", "99")])
                .expect_err("bad")
                .parameter,
            "territoires"
        );
        assert!(
            parse(&[
                ("territoire_type", "departements"),
                ("territoires", "2A,974,01")
            ])
            .is_ok()
        );
        assert_eq!(
            parse(&[("ouvert_actuellement", "tomorrow")])
                .expect_err("bad")
                .parameter,
            "ouvert_actuellement"
        );
        assert_eq!(
            parse(&[("prise_rdv", "yes")]).expect_err("bad").parameter,
            "prise_rdv"
        );
        assert!(parse(&[("services", "")]).is_err());
        assert!(parse(&[]).expect("empty").is_empty());
    }

    #[test]
    fn coming_weekend() {
        let d = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.to_utc())
                .expect("date")
        };
        let sat = NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        assert_eq!(coming_saturday(d("2026-12-01T10:00:00Z")), sat); // Tuesday
        assert_eq!(coming_saturday(d("2026-12-05T10:00:00Z")), sat); // Saturday
        assert_eq!(coming_saturday(d("2026-12-06T10:00:00Z")), sat); // Sunday
        assert!(
            is_commune("2A004")
                && is_commune("97411")
                && !is_commune("2C004")
                && !is_commune("1234")
        );
    }
}
