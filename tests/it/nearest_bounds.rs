//! Bounded nearest (issue 17): answers stay in the query point's territory unless widened, a
//! filtered query looks no farther than 100 km by default, and a query with nothing open
//! offers the nearest closed places with their next opening. Checked over HTTP against a
//! brute-force scan of every place, from seeded random points in metropolitan France and in
//! each overseas territory, at seeded random instants (nights, Sundays, public holidays,
//! weekday mornings).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use lieux::Dataset;
use lieux::filter::Filter;
use lieux::http::{AppState, routes};
use lieux::index::haversine_m;
use lieux::model::{Lieu, Position};
use lieux::territory::Territoire;
use lieux::testdata::{Rng, lieu};
use serde_json::Value;

use crate::util::shared_data;

/// The territory of a place by its code, written out again for the oracle (the library's is
/// [`Territoire::of_codes`]): INSEE code, postcode when absent.
fn territory_by_code(l: &Lieu) -> &'static str {
    // Saint-Barthélemy and Saint-Martin: Guadeloupe postcodes, and INSEE codes of
    // Guadeloupe until 2007
    match (l.code_insee.as_deref(), l.code_postal.as_str()) {
        (Some("97123"), _) | (None, "97133") => return "saint-barthelemy",
        (Some("97127"), _) | (None, "97150") => return "saint-martin",
        _ => {}
    }
    let code = l
        .code_insee
        .as_deref()
        .filter(|c| c.len() >= 3)
        .unwrap_or(&l.code_postal);
    match (code.get(..3), code) {
        (Some("971"), _) => "guadeloupe",
        (Some("972"), _) => "martinique",
        (Some("973"), _) => "guyane",
        (Some("974"), _) => "la-reunion",
        (Some("975"), _) => "saint-pierre-et-miquelon",
        (Some("976"), _) => "mayotte",
        (Some("977"), _) => "saint-barthelemy",
        (Some("978"), _) => "saint-martin",
        (Some("986"), _) => "wallis-et-futuna",
        (Some("987"), _) => "polynesie-francaise",
        (Some("988"), _) => "nouvelle-caledonie",
        _ => "metropole",
    }
}

/// INSEE département prefix of each overseas territory, for the generated places.
fn code_prefix(t: Territoire) -> &'static str {
    match t {
        Territoire::Metropole => "23",
        Territoire::Guadeloupe => "971",
        Territoire::Martinique => "972",
        Territoire::Guyane => "973",
        Territoire::LaReunion => "974",
        Territoire::SaintPierreEtMiquelon => "975",
        Territoire::Mayotte => "976",
        Territoire::SaintBarthelemy => "977",
        Territoire::SaintMartin => "978",
        Territoire::WallisEtFutuna => "986",
        Territoire::PolynesieFrancaise => "987",
        Territoire::NouvelleCaledonie => "988",
    }
}

const HOURS: &[&str] = &[
    "Mo-Fr 08:30-12:00,13:30-17:00",
    "Mo-Fr 09:00-12:00; Sa 09:00-12:00",
    "Tu-Sa 10:00-18:00",
    "Mo,We,Fr 14:00-17:30",
    "Su 10:00-12:00",
    "Mo-Fr 07:00-16:00; PH off",
    "Mo-Fr 22:00-02:00",
    "24/7",
    "",
];

/// Generated places in every territory (none of the real files has places in
/// Saint-Pierre-et-Miquelon, Saint-Barthélemy, Wallis-et-Futuna or Polynésie), a few of them
/// placed in another territory than their code says (the code decides, as for real data with
/// a bad position).
fn generated(rng: &mut Rng) -> Vec<Lieu> {
    let mut out = Vec::new();
    for &t in Territoire::ALL {
        let n = if t == Territoire::Metropole { 300 } else { 60 };
        for i in 0..n {
            let misplaced = rng.below(40) == 0;
            let box_of = if misplaced {
                Territoire::ALL[rng.below(Territoire::ALL.len())]
            } else {
                t
            };
            let [w, s, e, nn] = box_of.bbox();
            let position = Position {
                lon: rng.range(w, e),
                lat: rng.range(s, nn),
            };
            let mut l = lieu(format!("gen-{}-{i:03}", t.as_str()), Some(position));
            let prefix = code_prefix(t);
            let insee = format!(
                "{prefix}{:0width$}",
                1 + rng.below(40),
                width = 5 - prefix.len()
            );
            l.code_postal = insee.as_str().into();
            // one in five has only its postcode
            l.code_insee = (rng.below(5) != 0).then_some(insee.into());
            l.horaires = HOURS[rng.below(HOURS.len())].parse().ok();
            if rng.below(3) == 0 {
                l.dispositif_programmes_nationaux
                    .push(lieux::model::Dispositif::FranceServices);
            }
            if rng.below(4) == 0 {
                l.prise_rdv = Some("https://rdv.example".into());
            }
            out.push(l);
        }
    }
    out
}

/// The real places (`../shared/data`: France Services 2022, Hinaura, Charente, the Charente
/// bus, Nouvelle-Calédonie; else the embedded France Services) and the generated ones.
fn dataset() -> Dataset {
    let mut all = match shared_data() {
        Some(data) => crate::dedup::load(&data),
        None => Dataset::embedded().expect("embedded").lieux().to_vec(),
    };
    all.extend(generated(&mut Rng::new(17)));
    Dataset::new(all)
}

/// An instant of one of the kinds the issue names, in the local time of `tz`.
fn instant(rng: &mut Rng, tz: chrono_tz::Tz) -> (&'static str, DateTime<FixedOffset>) {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    let (kind, date, minutes) = match rng.below(4) {
        // 00:00-05:59, Monday to Friday
        0 => (
            "night",
            d(2026, 11, 30) + Duration::days(rng.below(5) as i64),
            rng.below(360),
        ),
        1 => ("sunday", d(2026, 12, 6), 6 * 60 + rng.below(14 * 60)),
        2 => {
            let holidays = [
                d(2026, 12, 25),
                d(2027, 1, 1),
                d(2026, 7, 14),
                d(2026, 5, 1),
                d(2026, 11, 11),
            ];
            (
                "holiday",
                holidays[rng.below(holidays.len())],
                8 * 60 + rng.below(10 * 60),
            )
        }
        _ => (
            "weekday morning",
            d(2026, 11, 30) + Duration::days(rng.below(5) as i64),
            7 * 60 + rng.below(4 * 60),
        ),
    };
    let local = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(minutes as i64);
    let at = tz
        .from_local_datetime(&local)
        .earliest()
        .expect("local time exists")
        .fixed_offset();
    (kind, at)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn get(st: &AppState, path: &str) -> (u16, Value) {
    let res = warp::test::request()
        .path(path)
        .reply(&routes(st.clone()))
        .await;
    let v = serde_json::from_slice(res.body())
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {:?}", res.body()));
    (res.status().as_u16(), v)
}

/// One place found by the oracle: distance, id, slot.
type Found = (f64, String, u32);

/// Brute force: every positioned place of the territory (`None`: all) within the bound that
/// passes `keep`, by (distance, id).
fn scan(
    ds: &Dataset,
    at: Position,
    territoire: Option<&str>,
    max_m: Option<f64>,
    mut keep: impl FnMut(u32) -> bool,
) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    for (slot, l) in ds.lieux().iter().enumerate() {
        let Some(p) = l.position else { continue };
        if territoire.is_some_and(|t| territory_by_code(l) != t) {
            continue;
        }
        let d = haversine_m(at.lon, at.lat, p.lon, p.lat);
        if max_m.is_some_and(|m| d > m) || !keep(slot as u32) {
            continue;
        }
        out.push((d, l.id.to_string(), slot as u32));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    out
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array of features")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The alternatives the oracle expects: closed at `when` with a next opening, matching the
/// filter without `ouvert_actuellement`, not a duplicate of an answered place; nearest first,
/// or (`soonest`) among the 1 000 nearest the soonest one can be at while open.
fn expected_alternatives(
    ds: &Dataset,
    (at, when): (Position, DateTime<FixedOffset>),
    (territoire, max_m): (Option<&str>, Option<f64>),
    (filter, answered, k): (&Filter, &[u32], usize),
    (soonest, kmh): (bool, f64),
) -> Vec<(String, String, String)> {
    let relaxed = Filter {
        ouvert_actuellement: None,
        ..filter.clone()
    };
    let groups: Vec<u32> = answered
        .iter()
        .filter_map(|&s| ds.group_of(s).map(|g| g.first))
        .collect();
    let next = |slot: u32| {
        let h = ds.lieu(slot).horaires.as_ref()?;
        h.status(when, ds.timezone(slot)).prochaine_ouverture
    };
    let found = scan(ds, at, territoire, max_m, |s| {
        ds.matches(s, &relaxed)
            && next(s).is_some()
            && ds.group_of(s).is_none_or(|g| !groups.contains(&g.first))
    });
    let mut rows: Vec<(DateTime<FixedOffset>, f64, String, String, String)> = found
        .into_iter()
        .take(if soonest { 1000 } else { k })
        .map(|(d, id, slot)| {
            let opening = next(slot).expect("next opening");
            let tz = ds.timezone(slot);
            let travel = (d * 1.3 / (kmh / 3.6)).ceil() as i64;
            let arrival = (when + Duration::seconds(travel))
                .with_timezone(&tz)
                .fixed_offset();
            let s = ds
                .lieu(slot)
                .horaires
                .as_ref()
                .expect("hours")
                .status(arrival, tz);
            let accueil = if s.ouvert {
                arrival
            } else {
                s.prochaine_ouverture.expect("opens again")
            };
            (accueil, d, id, opening.to_rfc3339(), accueil.to_rfc3339())
        })
        .collect();
    if soonest {
        rows.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        });
    }
    rows.into_iter().take(k).map(|r| (r.2, r.3, r.4)).collect()
}

#[derive(Default, Debug)]
struct Tally {
    queries: usize,
    features: usize,
    with_alternatives: usize,
    alternatives: usize,
    nothing_open: usize,
    widened: usize,
    widened_crossing: usize,
    per_kind: BTreeMap<&'static str, usize>,
}

/// 1 000 seeded random points in each territory's box, random instants, filters, bounds and
/// orders: every answer equals the brute-force oracle's, and none crosses a territory unless
/// `territoire=tous` or a territory name asked for it.
#[tokio::test]
async fn nearest_stays_in_its_territory_and_equals_the_oracle() {
    // the oracle reads the dataset the server serves
    let st = AppState::new(dataset());
    let ds = st.dataset();
    let lieux = ds.lieux();
    let mut rng = Rng::new(2026);
    let mut tally = Tally::default();
    let mut holiday_queries = 0;
    for &home in Territoire::ALL {
        let [w, s, e, n] = home.bbox();
        for _ in 0..1000 {
            let at = Position {
                lon: rng.range(w, e),
                lat: rng.range(s, n),
            };
            let (kind, when) = instant(&mut rng, home.timezone());
            let k = 1 + rng.below(12);
            let mut pairs: Vec<(&str, String)> = Vec::new();
            match rng.below(6) {
                0 => {}
                1 => pairs.push(("ouvert_actuellement", when.to_rfc3339())),
                2 => pairs.push(("dispositif_programmes_nationaux", "France Services".into())),
                3 => {
                    pairs.push(("ouvert_actuellement", when.to_rfc3339()));
                    pairs.push(("prise_rdv", "true".into()));
                }
                4 => {
                    pairs.push(("ouvert_actuellement", when.to_rfc3339()));
                    pairs.push(("dispositif_programmes_nationaux", "France Services".into()));
                }
                _ => pairs.push(("exclure_doublons", "false".into())),
            }
            let filter =
                Filter::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())), when.to_utc())
                    .expect("filter");
            let max_km = (rng.below(4) == 0).then(|| (1 + rng.below(300)) as f64);
            let territoire: Option<&str> = match rng.below(10) {
                0 | 1 => Some("tous"),
                2 => Some(Territoire::ALL[rng.below(Territoire::ALL.len())].as_str()),
                3 => Some("auto"),
                _ => None,
            };
            let soonest = rng.below(3) == 0;
            let walk = rng.below(5) == 0;
            let mut url = format!("/v1/lieux/nearest?lat={}&lon={}&k={k}", at.lat, at.lon);
            for (key, v) in &pairs {
                url.push_str(&format!("&{key}={}", enc(v)));
            }
            if let Some(m) = max_km {
                url.push_str(&format!("&max_km={m}"));
            }
            if let Some(t) = territoire {
                url.push_str(&format!("&territoire={t}"));
            }
            if soonest {
                url.push_str("&tri=ouverture");
            }
            if walk {
                url.push_str("&mode=walk");
            }
            let (status, v) = get(&st, &url).await;
            assert_eq!(status, 200, "{url}: {v}");

            // the territory and bound the oracle searches
            let expected_territory = match territoire {
                None | Some("auto") => Some(home.as_str()),
                Some("tous") => None,
                Some(name) => Some(name),
            };
            let narrows = pairs.iter().any(|(k, _)| *k != "exclure_doublons");
            let bound_m = max_km
                .map(|km| km * 1000.0)
                .or(narrows.then_some(100_000.0));
            assert_eq!(
                v["territoire"].as_str(),
                expected_territory,
                "{url}: territory searched"
            );
            assert_eq!(v["max_km"].as_f64(), bound_m.map(|m| m / 1000.0), "{url}");

            let want = scan(&ds, at, expected_territory, bound_m, |s| {
                ds.matches(s, &filter)
            });
            let got = ids(&v["features"]);
            let want_ids: Vec<String> = want.iter().take(k).map(|x| x.1.clone()).collect();
            assert_eq!(got, want_ids, "{url}");
            for (f, (d, _, _)) in v["features"]
                .as_array()
                .expect("features")
                .iter()
                .zip(&want)
            {
                let got_d = f["properties"]["distance_m"].as_f64().expect("distance");
                assert!((got_d - d).abs() < 0.01, "{url}: {got_d} vs {d}");
            }
            // the property itself, stated plainly: no feature from another territory
            let crossing = got
                .iter()
                .filter(|id| {
                    let slot = ds.slot_of(id).expect("served id");
                    territory_by_code(&lieux[slot as usize]) != home.as_str()
                })
                .count();
            if territoire.is_none() || territoire == Some("auto") {
                assert_eq!(crossing, 0, "{url}: an answer crosses a territory");
            } else {
                tally.widened += 1;
                tally.widened_crossing += usize::from(crossing > 0);
            }

            // A public holiday: no place whose hours say `PH off` is open (read from the hours
            // as written, not through the evaluator). Every holiday drawn is a weekday, when
            // `Mo-Fr 07:00-16:00; PH off` would otherwise be open in the morning.
            if kind == "holiday" && filter.ouvert_actuellement.is_some() {
                for id in &got {
                    let l = &lieux[ds.slot_of(id).expect("served id") as usize];
                    let raw = l.horaires.as_ref().map_or("", |h| h.raw());
                    assert!(
                        !raw.contains("PH off"),
                        "{url}: {id} ({raw}) open on a holiday"
                    );
                }
                holiday_queries += 1;
            }

            // nothing (or too little) open: the alternatives
            if filter.ouvert_actuellement.is_some() {
                assert_eq!(v["ouverts"].as_u64(), Some(got.len() as u64), "{url}");
                if got.len() < k {
                    let answered: Vec<u32> = want.iter().take(k).map(|x| x.2).collect();
                    let expected = expected_alternatives(
                        &ds,
                        (at, when),
                        (expected_territory, bound_m),
                        (&filter, &answered, k),
                        (soonest, if walk { 5.0 } else { 50.0 }),
                    );
                    let alts = v["alternatives"].as_array().expect("alternatives");
                    let got_alts: Vec<(String, String, String)> = alts
                        .iter()
                        .map(|f| {
                            let p = &f["properties"];
                            assert_eq!(p["ouvert"], false, "{url}");
                            assert_eq!(p["estimate"], "straight_line", "{url}");
                            let opening = p["prochaine_ouverture"].as_str().expect("next opening");
                            let t = DateTime::parse_from_rfc3339(opening).expect("RFC 3339");
                            assert!(t > when, "{url}: opening {t} not after {when}");
                            (
                                f["id"].as_str().expect("id").to_owned(),
                                opening.to_owned(),
                                p["accueil_a"].as_str().expect("accueil_a").to_owned(),
                            )
                        })
                        .collect();
                    assert_eq!(got_alts, expected, "{url}");
                    if territoire.is_none() || territoire == Some("auto") {
                        for (id, _, _) in &got_alts {
                            let slot = ds.slot_of(id).expect("served id");
                            assert_eq!(
                                territory_by_code(&lieux[slot as usize]),
                                home.as_str(),
                                "{url}: an alternative crosses a territory"
                            );
                        }
                    }
                    tally.with_alternatives += 1;
                    tally.alternatives += got_alts.len();
                    tally.nothing_open += usize::from(got.is_empty());
                } else {
                    assert!(v.get("alternatives").is_none(), "{url}");
                }
            } else {
                assert!(v.get("ouverts").is_none() && v.get("alternatives").is_none());
            }
            tally.queries += 1;
            tally.features += got.len();
            *tally.per_kind.entry(kind).or_default() += 1;
        }
    }
    eprintln!("nearest bounds: {tally:?}");
    assert_eq!(tally.queries, 1000 * Territoire::ALL.len());
    assert!(tally.nothing_open > 100, "{tally:?}");
    assert!(tally.widened_crossing > 0, "widening does widen: {tally:?}");
    assert!(tally.per_kind.len() == 4, "{tally:?}");
    assert!(holiday_queries > 100, "{holiday_queries}");
}

mod dawn;
mod params;
