//! Bounded, useful nearest answers (issue 17): what `GET /v1/lieux/nearest` computes.
//!
//! - **Territory.** An answer stays in the query point's [`Territoire`] (metropolitan France
//!   with Corsica, or the one overseas territory of the point; [`Territoire::of_point`]): from
//!   Creuse, a place in Mayotte is never "near". [`Perimetre::Tous`] widens the search to every
//!   territory, [`Perimetre::Territoire`] names one. A point farther than
//!   [`crate::territory::SEA_MARGIN_M`] from every territory searches them all.
//! - **Distance.** A filtered query ([`Filter::narrows`]) looks no farther than
//!   [`DEFAULT_MAX_KM`] unless the caller gives its own bound; an unfiltered one has no bound
//!   (the nearest places of the territory are always an answer).
//! - **Nothing open.** With `ouvert_actuellement`, when fewer than `k` places within the bound
//!   are open, the answer says how many are ([`Answer::ouverts`]) and offers
//!   [`Answer::alternatives`]: the places in the same territory and bound that match every
//!   filter but `ouvert_actuellement`, closed at the instant, with a next opening (a place
//!   without hours, or with no opening within a year, is not offered: nobody can say when it
//!   opens). Each carries the straight-line travel estimate of [`crate::routing::estimate`]
//!   (distance × 1.3 at 50 km/h by car, 5 km/h on foot) and the first instant one can be there
//!   while it is open ([`Alternative::accueil_a`]): the arrival if the place is open then, else
//!   its next opening after the arrival. [`Tri::Distance`] lists the `k` nearest alternatives by
//!   `(distance, id)`; [`Tri::Ouverture`] ("which one can I reach soonest") ranks the
//!   [`MAX_CANDIDATES`] nearest by `(accueil_a, distance, id)` and keeps `k`.

use chrono::{DateTime, Duration, FixedOffset};

use crate::dataset::{Dataset, Eligible, Hit, Scope};
use crate::filter::Filter;
use crate::model::Position;
use crate::routing::{Profile, estimate};
use crate::territory::Territoire;

/// Distance bound of a filtered nearest query without `max_km`, km.
pub const DEFAULT_MAX_KM: f64 = 100.0;
/// Most places ranked by [`Tri::Ouverture`] (the nearest ones within the bound).
pub const MAX_CANDIDATES: usize = 1000;

/// Which territories a search covers (parameter `territoire`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Perimetre {
    /// The query point's territory (`auto`, the default).
    #[default]
    Auto,
    /// Every territory (`tous`).
    Tous,
    /// One named territory (`metropole`, `la-reunion`…).
    Territoire(Territoire),
}

impl Perimetre {
    /// `auto`, `tous` or a territory name ([`Territoire::as_str`]).
    pub fn parse(value: &str) -> Option<Perimetre> {
        match value {
            "auto" => Some(Perimetre::Auto),
            "tous" => Some(Perimetre::Tous),
            other => Territoire::from_name(other).map(Perimetre::Territoire),
        }
    }

    /// Every accepted value, for the API description.
    pub fn values() -> Vec<&'static str> {
        let mut v = vec!["auto", "tous"];
        v.extend(Territoire::ALL.iter().map(|t| t.as_str()));
        v
    }

    /// The territory searched from `at` (`None`: every territory).
    pub fn resolve(self, at: Position) -> Option<Territoire> {
        match self {
            Perimetre::Auto => Territoire::of_point(at.lon, at.lat),
            Perimetre::Tous => None,
            Perimetre::Territoire(t) => Some(t),
        }
    }
}

/// Order of the alternatives (parameter `tri`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tri {
    /// Nearest first (`distance`, the default).
    #[default]
    Distance,
    /// Soonest open on arrival first (`ouverture`).
    Ouverture,
}

impl Tri {
    pub fn parse(value: &str) -> Option<Tri> {
        match value {
            "distance" => Some(Tri::Distance),
            "ouverture" => Some(Tri::Ouverture),
            _ => None,
        }
    }
}

/// A nearest query.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub at: Position,
    pub k: usize,
    /// The caller's distance bound, metres (`max_km`).
    pub max_m: Option<f64>,
    pub perimetre: Perimetre,
    pub tri: Tri,
    /// Travel mode of the alternatives' estimates.
    pub profile: Profile,
}

/// A place closed at the requested instant, offered instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alternative {
    pub slot: u32,
    /// Great-circle distance from the query point, metres.
    pub distance_m: f64,
    /// Next opening after the requested instant, in the place's zone.
    pub prochaine_ouverture: DateTime<FixedOffset>,
    /// Straight-line travel estimate, seconds.
    pub duration_s: f64,
    /// Waiting on arrival until the place opens, seconds (0 when open on arrival).
    pub attente_s: f64,
    /// First instant one can be there while it is open: arrival + waiting, in the place's zone.
    pub accueil_a: DateTime<FixedOffset>,
}

/// A nearest answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The places matching every filter, by `(distance, id)`.
    pub hits: Vec<Hit>,
    /// The territory searched (`None`: every territory).
    pub territoire: Option<Territoire>,
    /// The distance bound applied, metres (`None`: none).
    pub max_m: Option<f64>,
    /// With `ouvert_actuellement`: how many open places were found (`hits.len()`).
    pub ouverts: Option<usize>,
    /// With `ouvert_actuellement` and fewer than `k` open places: the alternatives.
    pub alternatives: Option<Vec<Alternative>>,
}

/// The distance bound of a query: the caller's, else [`DEFAULT_MAX_KM`] when a filter narrows
/// the search, else none.
pub fn distance_bound(max_m: Option<f64>, filter: &Filter) -> Option<f64> {
    max_m.or_else(|| filter.narrows().then_some(DEFAULT_MAX_KM * 1000.0))
}

/// Answers `req` over `ds` (see the module doc).
pub fn answer(ds: &Dataset, req: &Request, filter: &Filter) -> Answer {
    let scope = Scope {
        territoire: req.perimetre.resolve(req.at),
        max_m: distance_bound(req.max_m, filter),
    };
    let hits = ds.nearest_in(req.at, req.k, scope, filter);
    let (ouverts, alternatives) = match filter.ouvert_actuellement {
        None => (None, None),
        Some(when) => {
            let alternatives =
                (hits.len() < req.k).then(|| alternatives(ds, req, scope, filter, when, &hits));
            (Some(hits.len()), alternatives)
        }
    };
    Answer {
        hits,
        territoire: scope.territoire,
        max_m: scope.max_m,
        ouverts,
        alternatives,
    }
}

fn alternatives(
    ds: &Dataset,
    req: &Request,
    scope: Scope,
    filter: &Filter,
    when: DateTime<FixedOffset>,
    hits: &[Hit],
) -> Vec<Alternative> {
    let relaxed = Filter {
        ouvert_actuellement: None,
        ..filter.clone()
    };
    // a group of duplicates already answered through an open member is not offered again
    let answered: Vec<u32> = hits
        .iter()
        .filter_map(|h| ds.group_of(h.slot).map(|g| g.first))
        .collect();
    let next_opening = |slot: u32| {
        let h = ds.lieu(slot).horaires.as_ref()?;
        h.status(when, ds.timezone(slot)).prochaine_ouverture
    };
    let candidates = match req.tri {
        Tri::Distance => req.k,
        Tri::Ouverture => MAX_CANDIDATES.max(req.k),
    };
    // Only places with hours can have a next opening: that takes part in the group test, so a
    // group whose first member in principal order has no hours is offered through a member
    // that has them (not dropped).
    let has_hours: Eligible = |l| l.horaires.is_some();
    let found = ds.nearest_where_among(
        req.at,
        candidates,
        scope,
        &relaxed,
        Some(has_hours),
        |slot| {
            next_opening(slot).is_some()
                && ds
                    .group_of(slot)
                    .is_none_or(|g| !answered.contains(&g.first))
        },
    );
    let mut out: Vec<Alternative> = found
        .iter()
        .filter_map(|h| {
            let prochaine_ouverture = next_opening(h.slot)?;
            let p = ds.lieu(h.slot).position?;
            let (duration_s, _) = estimate(req.profile, (req.at.lon, req.at.lat), (p.lon, p.lat));
            let tz = ds.timezone(h.slot);
            let arrival = (when + Duration::seconds(duration_s.ceil() as i64))
                .with_timezone(&tz)
                .fixed_offset();
            let status = ds.lieu(h.slot).horaires.as_ref()?.status(arrival, tz);
            let accueil_a = if status.ouvert {
                arrival
            } else {
                status.prochaine_ouverture?
            };
            Some(Alternative {
                slot: h.slot,
                distance_m: h.distance_m,
                prochaine_ouverture,
                duration_s,
                attente_s: (accueil_a - arrival).num_seconds().max(0) as f64,
                accueil_a,
            })
        })
        .collect();
    if req.tri == Tri::Ouverture {
        out.sort_by(|a, b| {
            a.accueil_a
                .cmp(&b.accueil_a)
                .then(a.distance_m.total_cmp(&b.distance_m))
                .then(a.slot.cmp(&b.slot))
        });
    }
    out.truncate(req.k);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{lieu, synthetic_lieux};

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("test datetime")
    }

    /// "Open at `when`" and a request for the `k` nearest around (`lon`, `lat`), sorted by `tri`.
    fn open_at(when: &str, lon: f64, lat: f64, k: usize, tri: Tri) -> (Filter, Request) {
        let filter = Filter {
            ouvert_actuellement: Some(at(when)),
            ..Filter::default()
        };
        let req = Request {
            at: Position { lon, lat },
            k,
            max_m: None,
            perimetre: Perimetre::Auto,
            tri,
            profile: Profile::Car,
        };
        (filter, req)
    }

    #[test]
    fn parameters() {
        assert_eq!(Perimetre::parse("tous"), Some(Perimetre::Tous));
        assert_eq!(
            Perimetre::parse("mayotte"),
            Some(Perimetre::Territoire(Territoire::Mayotte))
        );
        assert_eq!(Perimetre::parse("Tous"), None);
        assert_eq!(Perimetre::values().len(), 2 + Territoire::ALL.len());
        assert_eq!(Tri::parse("ouverture"), Some(Tri::Ouverture));
        assert_eq!(Tri::parse("heure"), None);
    }

    /// Creuse at 05:15 on a weekday: nothing nearby is open, Mayotte (3 hours later) is; the
    /// answer stays metropolitan and offers the nearest places with their next opening, or the
    /// one reached soonest.
    #[test]
    fn creuse_at_dawn() {
        let mut places = Vec::new();
        let mut add = |id: &str, lon: f64, lat: f64, insee: &str, hours: &str| {
            let mut l = lieu(id.into(), Some(Position { lon, lat }));
            l.code_insee = Some(insee.into());
            l.code_postal = format!("{}00", &insee[..3]).into();
            l.horaires = hours.parse().ok();
            places.push(l);
        };
        add("a-gueret", 1.87, 46.17, "23096", "Mo-Fr 09:00-12:00");
        add("b-aubusson", 2.17, 45.96, "23008", "Mo-Fr 08:30-12:00");
        add("c-limoges", 1.26, 45.83, "87085", "Mo-Fr 10:00-12:00");
        add("d-sans-horaires", 2.01, 46.11, "23001", "");
        add("e-mamoudzou", 45.23, -12.78, "97611", "Mo-Fr 07:00-16:00");
        let ds = Dataset::new(places);
        let (filter, mut req) = open_at("2026-12-02T05:15:00+01:00", 2.0, 46.1, 3, Tri::Distance);
        let a = answer(&ds, &req, &filter);
        assert!(a.hits.is_empty(), "{a:?}");
        assert_eq!(a.territoire, Some(Territoire::Metropole));
        assert_eq!(a.max_m, Some(100_000.0));
        assert_eq!(a.ouverts, Some(0));
        let alt = a.alternatives.expect("alternatives");
        let ids: Vec<&str> = alt.iter().map(|x| ds.lieu(x.slot).id.as_str()).collect();
        assert_eq!(ids, ["a-gueret", "b-aubusson", "c-limoges"]);
        assert_eq!(alt[0].prochaine_ouverture, at("2026-12-02T09:00:00+01:00"));
        assert_eq!(alt[0].accueil_a, alt[0].prochaine_ouverture);
        assert!(alt[0].attente_s > 3.0 * 3600.0);
        // soonest: Aubusson opens at 08:30
        req.tri = Tri::Ouverture;
        let alt = answer(&ds, &req, &filter)
            .alternatives
            .expect("alternatives");
        assert_eq!(ds.lieu(alt[0].slot).id, "b-aubusson");
        assert_eq!(alt[0].accueil_a, at("2026-12-02T08:30:00+01:00"));
        // widened: Mayotte is open (07:15 there) and answers, 7 800 km away
        req.perimetre = Perimetre::Tous;
        req.max_m = Some(20_000_000.0);
        let a = answer(&ds, &req, &filter);
        assert_eq!(a.hits.len(), 1);
        assert_eq!(ds.lieu(a.hits[0].slot).id, "e-mamoudzou");
        assert!(a.hits[0].distance_m > 7_000_000.0);
    }

    /// A place published twice, the newer record without hours: when nothing is open, the
    /// group is offered through the record that has hours (it was dropped when the principal
    /// alone was asked for a next opening).
    #[test]
    fn a_group_is_offered_through_its_member_with_hours() {
        let mut principal = lieu(
            "a-principal".into(),
            Some(Position {
                lon: 1.87,
                lat: 46.17,
            }),
        );
        principal.nom = "France Services de Guéret".into();
        principal.code_insee = Some("23096".into());
        principal.code_postal = "23000".into();
        principal.date_maj = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let mut copie = principal.clone();
        copie.id = "b-copie".into();
        copie.position = Some(Position {
            lon: 1.8703,
            lat: 46.1701,
        });
        copie.date_maj = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
        copie.horaires = "Mo-Fr 09:00-12:00".parse().ok();
        let ds = Dataset::new(vec![principal, copie]);
        let group = ds.group_of(0).expect("one place published twice");
        assert_eq!(ds.lieu(group.first).id, "a-principal");
        let (filter, req) = open_at("2026-12-02T05:15:00+01:00", 2.0, 46.1, 3, Tri::Distance);
        let a = answer(&ds, &req, &filter);
        let alt = a.alternatives.expect("alternatives");
        let ids: Vec<&str> = alt.iter().map(|x| ds.lieu(x.slot).id.as_str()).collect();
        assert_eq!(ids, ["b-copie"]);
        assert_eq!(alt[0].prochaine_ouverture, at("2026-12-02T09:00:00+01:00"));
    }

    /// Travel time counts: a place that opens a little later but is much nearer wins over one
    /// open now far away, and a place open when one arrives waits 0.
    #[test]
    fn arrival_and_waiting() {
        let mut ds = synthetic_lieux(3000, 9);
        for l in &mut ds {
            l.horaires = "Mo-Fr 09:00-17:00".parse().ok();
        }
        let ds = Dataset::new(ds);
        let when = at("2026-12-02T08:55:00+01:00");
        let (filter, req) = open_at("2026-12-02T08:55:00+01:00", 2.35, 48.85, 5, Tri::Ouverture);
        let a = answer(&ds, &req, &filter);
        let alt = a.alternatives.expect("nothing is open at 08:55");
        assert_eq!(alt.len(), 5);
        for x in &alt {
            let arrival = when + Duration::seconds(x.duration_s.ceil() as i64);
            if arrival < at("2026-12-02T09:00:00+01:00") {
                assert_eq!(x.accueil_a, at("2026-12-02T09:00:00+01:00"));
            } else {
                assert_eq!(x.attente_s, 0.0);
                assert_eq!(x.accueil_a, arrival);
            }
        }
        assert!(alt.windows(2).all(|w| w[0].accueil_a <= w[1].accueil_a));
    }
}
