//! The map page's journeys in Debian chromium (tests/browser/parcours.mjs) at 1280×800 and
//! 375×700, checked against the server's own answers and the library, with axe-core on every
//! state; and the page's reading of opening hours (static/horaires.js) against the server's
//! evaluation on every embedded place (tests/browser/horaires.mjs).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde_json::Value;

use crate::browser::{
    artifacts, assert_no_axe_violations, assert_no_page_errors, browser_ready, digits, run_node,
};
use crate::cli::{http_get, start};
use lieux::Dataset;
use lieux::filter::Filter;
use lieux::model::{Itinerance, Lieu, Position};

const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

fn json(addr: &str, path: &str) -> Value {
    let (status, body) = http_get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().or_else(|| x["id"].as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn lonlat(v: &Value) -> (f64, f64) {
    (
        v["lon"].as_f64().unwrap_or(f64::NAN),
        v["lat"].as_f64().unwrap_or(f64::NAN),
    )
}

/// "8 h 45", "14 h": how the page writes a local time (no-break spaces read as spaces).
fn heure(h: u32, m: u32) -> String {
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m:02}")
    }
}

/// The wording the page must give a closed place seen at `now`, from the API's
/// `prochaine_ouverture` (an independent spelling of horaires.js's `ouvre`, within a week).
fn ouvre(next: &str, now: DateTime<FixedOffset>) -> String {
    let next = DateTime::parse_from_rfc3339(next).expect("prochaine_ouverture");
    let today = now.with_timezone(next.offset()).date_naive();
    let at = heure(next.hour(), next.minute());
    match (next.date_naive() - today).num_days() {
        0 => format!("Fermé, ouvre aujourd'hui à {at}"),
        1 => format!("Fermé, ouvre demain à {at}"),
        2..=6 => format!(
            "Fermé, ouvre {} à {at}",
            DAYS[next.weekday().num_days_from_monday() as usize]
        ),
        n => panic!("next opening {n} days away: pick another instant"),
    }
}

/// Whether the page must mark the place as itinerant: the schema's `itinerance` says so, or
/// the name does ("Bus France services…", "…itinérante") where the producer wrote "Fixe".
pub(crate) fn itinerant(l: &Lieu) -> bool {
    let name = l.nom.to_lowercase();
    l.itinerance.contains(&Itinerance::Itinerant)
        || name
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "bus")
        || name.contains("itinéran")
        || name.contains("itineran")
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").replace('\u{a0}', " ")
}

#[test]
fn map_page_journeys_keyboard_list_card_30_min_and_nothing_open_at_both_sizes() {
    let Some(dir) = browser_ready() else { return };
    let ds = Dataset::embedded().expect("embedded");
    // An address, answered by the local addok behind `serve --geocoder` (its index holds the
    // France Services addresses); without ../shared/data (no addok index), a commune answered
    // from the server's commune table. Either way the oracle is the server's /v1/adresses.
    let addok = crate::geocode::addok();
    let _serial = addok.map(|_| crate::geocode::serial()); // addok tests count its queries
    let (query, server_args) = match addok {
        Some(a) => (
            "9 rue des écoles 23320 Saint-Vaury",
            vec!["--geocoder", a.url.as_str()],
        ),
        None => {
            eprintln!("no ../shared/data, so no addok: the journey searches a commune");
            ("Guéret", vec![])
        }
    };
    // a Sunday before dawn, in Lyon: nothing open within 100 km; a bus among the alternatives
    let instant = "2026-12-06T05:15:00+01:00";
    let (closed_lon, closed_lat) = (4.8357, 45.764);
    let (mut server, addr) = start(&server_args);
    let page_args = [query, instant].map(String::from);
    let at = [closed_lon, closed_lat].map(|x| x.to_string());
    let mut args = vec![format!("http://{addr}"), artifacts().display().to_string()];
    args.extend(page_args.into_iter().chain(at));
    let v = run_node(&dir, "parcours.mjs", &args);
    // the server's own answers, asked independently of the page
    let encoded = percent_encoding::utf8_percent_encode(query, percent_encoding::NON_ALPHANUMERIC);
    let adresses = json(&addr, &format!("/v1/adresses?q={encoded}&limit=5"));
    if addok.is_some() {
        assert_eq!(adresses["source"], "geocodeur", "{adresses}");
        assert_eq!(adresses["features"][0]["properties"]["type"], "housenumber");
    }
    let first = &adresses["features"][0];
    let (alon, alat) = (
        first["geometry"]["coordinates"][0].as_f64().expect("lon"),
        first["geometry"]["coordinates"][1].as_f64().expect("lat"),
    );
    let label = first["properties"]["label"].as_str().expect("label");
    // the page sends 5 decimals
    let (plon, plat): (f64, f64) = (
        format!("{alon:.5}").parse().expect("lon"),
        format!("{alat:.5}").parse().expect("lat"),
    );
    let reach = json(
        &addr,
        &format!("/v1/lieux/reachable?lat={plat:.5}&lon={plon:.5}&minutes=30&mode=car"),
    );
    let closed = json(
        &addr,
        &format!(
            "/v1/lieux/nearest?lat={closed_lat:.5}&lon={closed_lon:.5}&k=10&ouvert_actuellement={}",
            instant.replace('+', "%2B")
        ),
    );
    let _ = server.kill();
    assert_no_page_errors(&v);
    assert_no_axe_violations(&v["axe"]);
    assert_eq!(
        v["axe"].as_object().map(|o| o.len()),
        Some(10),
        "five states, two sizes"
    );

    let want_list: Vec<String> = ds
        .nearest(
            Position {
                lon: plon,
                lat: plat,
            },
            10,
            None,
            &Filter::default(),
        )
        .iter()
        .map(|h| ds.lieu(h.slot).id.to_string())
        .collect();
    let place = |id: &str| ds.lieu(ds.slot_of(id).expect("listed id"));
    for size in ["1280", "375"] {
        let s = &v["sizes"][size];
        let ctx = format!("at {size} px: {s:#}");
        // keyboard: the search box is the first stop, and shows its focus
        assert_eq!(s["tabsToSearch"], 1, "{ctx}");
        assert_ne!(
            text(&s["searchFocus"]["outline"]).split(' ').next(),
            Some("none")
        );
        // combobox: the server's suggestions, the first one active after ↓
        assert!(text(&s["suggestions"][0]).starts_with(label), "{ctx}");
        assert_eq!(s["expanded"], "true");
        let n = s["suggestions"].as_array().map_or(0, Vec::len);
        assert_eq!(
            s["afterUp"]["active"].as_str(),
            Some(format!("suggestion-{}", n - 1).as_str()),
            "↑ from the input: the last suggestion"
        );
        assert_eq!(s["afterEscape"]["expanded"], "false");
        assert_eq!(s["afterEscape"]["hidden"], true);
        assert!(s["afterEscape"]["active"].is_null());
        assert_eq!(s["afterDown"]["expanded"], "true", "↓ opens again");
        assert_eq!(s["activeDescendant"], "suggestion-0");
        // Enter: the nearest around the address, which is the reference point on the map
        let (olon, olat) = lonlat(&s["origin"]);
        assert!(
            (olon - alon).abs() < 1e-9 && (olat - alat).abs() < 1e-9,
            "{ctx}"
        );
        assert_eq!(s["marker"]["role"], "img");
        assert_eq!(
            text(&s["marker"]["label"]),
            format!("Point de départ : {label}")
        );
        assert_eq!(ids(&s["list"]), want_list, "{ctx}");
        assert_eq!(
            text(&s["listTitle"]),
            format!("Les plus proches de {label}")
        );
        // Tab reaches the first place's button; Enter opens its card (focused), map centred on it
        assert_eq!(s["afterChoice"]["id"], "nearest", "results take the focus");
        assert_eq!(
            s["firstButton"]["dataId"].as_str(),
            Some(want_list[0].as_str())
        );
        assert_eq!(s["cardFocus"]["id"], "card");
        let p0 = place(&want_list[0]);
        assert_eq!(s["card"]["title"], p0.nom.as_str());
        let pos = p0.position.expect("position");
        let c = &s["card"]["centre"];
        assert!(
            (c[0].as_f64().unwrap_or(0.0) - pos.lon).abs() < 1e-6
                && (c[1].as_f64().unwrap_or(0.0) - pos.lat).abs() < 1e-6,
            "the map is centred on the place: {ctx}"
        );
        // hours in French, never OSM syntax; the state worded
        let lines: Vec<String> = s["card"]["horaires"]
            .as_array()
            .expect("hours")
            .iter()
            .map(text)
            .collect();
        assert!(!lines.is_empty() && s["card"]["brut"].is_null(), "{ctx}");
        for l in &lines {
            let day = l.split(' ').next().unwrap_or("");
            assert!(
                DAYS.contains(&day) && l.contains(" h") && l.contains(" – "),
                "{l}"
            );
            assert!(!l.contains(':') && !l.contains("Mo"), "{l}");
        }
        let etat = text(&s["card"]["etat"]);
        assert!(
            etat.starts_with("Ouvert jusqu'à ") || etat.starts_with("Fermé"),
            "{etat}"
        );
        // Tab from the card reaches the directions link, every stop with a visible focus
        let path = s["toDirections"].as_array().expect("focus path");
        assert!(
            text(&path[path.len() - 1]["cls"]).contains("itineraire"),
            "{ctx}"
        );
        for stop in path {
            assert!(!text(&stop["outline"]).starts_with("none"), "{stop}");
        }
        assert_eq!(
            text(&s["directions"]),
            format!(
                "https://www.openstreetmap.org/directions?route={alat:.5},{alon:.5};{:.5},{:.5}",
                pos.lat, pos.lon
            )
        );
        // another list button: its card, the map on it; "Retour à la liste" goes back
        let last = want_list.last().expect("10 places");
        let pl = place(last).position.expect("position");
        assert_eq!(s["lastCard"]["title"], place(last).nom.as_str());
        let c = &s["lastCard"]["centre"];
        assert!(
            (c[0].as_f64().unwrap_or(0.0) - pl.lon).abs() < 1e-6,
            "{ctx}"
        );
        assert_eq!(s["backTo"]["dataId"].as_str(), Some(last.as_str()));
        // 30 min from the searched point, although the map has moved away from it
        let t = &s["trente"];
        let (tlon, tlat) = lonlat(&t["origin"]);
        assert_eq!((tlon, tlat), (olon, olat), "{ctx}");
        let cb = &s["centreBefore30"];
        assert!(
            (cb[0].as_f64().unwrap_or(0.0) - alon).abs()
                + (cb[1].as_f64().unwrap_or(0.0) - alat).abs()
                > 0.05,
            "the map centre moved: {ctx}"
        );
        let want = ids(&reach["features"]);
        assert!(!want.is_empty(), "{reach}");
        assert_eq!(ids(&t["ids"]), want[..want.len().min(50)].to_vec(), "{ctx}");
        assert_eq!(digits(&text(&t["count"])), want.len().to_string());
        assert!(text(&t["title"]).ends_with(&format!("de {label}")));
        assert!(t["zone"].as_u64().unwrap_or(0) > 0);

        // nothing open: the API's alternatives, worded with their next opening
        let k = &s["closed"];
        assert_eq!(closed["ouverts"], 0, "{closed}");
        assert_eq!(
            text(&k["alerte"]),
            "Aucun lieu ouvert maintenant à moins de 100 km."
        );
        let alt = closed["alternatives"].as_array().expect("alternatives");
        assert_eq!(ids(&k["ids"]), ids(&closed["alternatives"]), "{ctx}");
        let now = DateTime::parse_from_rfc3339(instant).expect("instant");
        let etats: Vec<String> = k["etats"]
            .as_array()
            .expect("etats")
            .iter()
            .map(text)
            .collect();
        let want_etats: Vec<String> = alt
            .iter()
            .map(|f| {
                ouvre(
                    f["properties"]["prochaine_ouverture"]
                        .as_str()
                        .expect("next"),
                    now,
                )
            })
            .collect();
        assert_eq!(etats, want_etats);
        // itinerant places are marked: the schema's field, or a bus by name
        let itinerant: Vec<String> = ids(&k["ids"])
            .into_iter()
            .filter(|id| itinerant(place(id)))
            .collect();
        assert!(!itinerant.is_empty(), "a bus in Lyon: {ctx}");
        assert_eq!(ids(&k["itinerants"]), itinerant);
    }
}

#[test]
fn hours_worded_by_the_page_agree_with_the_server_on_every_place() {
    let Some(dir) = browser_ready() else { return };
    let (mut server, addr) = start(&[]);
    // weekdays at and around the usual bounds, a Sunday, a night, Christmas (no France Services
    // hours have a PH rule: open as any Friday for both), summer time, and an instant in UTC-4
    let instants = [
        "2026-12-07T10:17:00+01:00",
        "2026-12-08T12:29:30+01:00",
        "2026-12-09T13:59:00+01:00",
        "2026-12-10T17:15:00+01:00",
        "2026-12-12T11:00:00+01:00",
        "2026-12-13T10:00:00+01:00",
        "2026-12-14T03:00:00+01:00",
        "2026-12-25T10:00:00+01:00",
        "2026-07-14T09:30:00+02:00",
        "2026-12-11T14:00:00-04:00",
    ];
    let mut args = vec![format!("http://{addr}")];
    args.extend(instants.iter().map(|s| s.to_string()));
    let v = run_node(&dir, "horaires.mjs", &args);
    let _ = server.kill();
    // the France Services hours all use the weekly syntax the page reads
    let places = v["places"].as_u64().unwrap_or(0);
    assert!(places > 2000, "{v}");
    assert_eq!(v["read"], places, "raw: {}", v["rawSamples"]);
    let mut open_total = 0;
    for t in instants {
        let r = &v["instants"][t];
        assert_eq!(r["mismatchCount"], 0, "{t}: {r}");
        open_total += r["open"].as_u64().unwrap_or(0);
    }
    assert!(open_total > 5000, "the instants see places open: {v}");
    assert_eq!(
        v["instants"]["2026-12-13T10:00:00+01:00"]["open"], 0,
        "Sunday"
    );
    // "ouvert jusqu'à": the server stops listing the place at the end the page gives
    let ends = &v["ends"];
    assert!(ends["checked"].as_u64().unwrap_or(0) > 1000, "{ends}");
    assert_eq!(ends["wrongCount"], 0, "{ends}");
    // what the page does not read is shown raw (null), and two wordings in full
    let cases = v["cases"].as_object().expect("cases");
    for raw in [
        "Mo-Fr 09:00-12:00 \"sur rendez-vous\"",
        "Mo 22:00-02:00",
        "Dec 25 off",
        "Mo-Fr 09:00-12:00 || \"rdv\"",
        "24/7",
    ] {
        assert!(cases[raw].is_null(), "{raw}: {}", cases[raw]);
    }
    let lines =
        |h: &str| -> Vec<String> { cases[h].as_array().expect(h).iter().map(text).collect() };
    assert_eq!(
        lines("Mo-Th 08:30-12:30,13:30-17:00; Fr 08:30-12:00; PH off"),
        [
            "lundi 8 h 30 – 12 h 30, 13 h 30 – 17 h",
            "mardi 8 h 30 – 12 h 30, 13 h 30 – 17 h",
            "mercredi 8 h 30 – 12 h 30, 13 h 30 – 17 h",
            "jeudi 8 h 30 – 12 h 30, 13 h 30 – 17 h",
            "vendredi 8 h 30 – 12 h",
            "fermé les jours fériés",
        ]
    );
    assert_eq!(
        lines("Mo-Fr 09:00-12:00; We off; Sa 10:00-12:00,11:00-12:30"),
        [
            "lundi 9 h – 12 h",
            "mardi 9 h – 12 h",
            "jeudi 9 h – 12 h",
            "vendredi 9 h – 12 h",
            "samedi 10 h – 12 h 30",
        ]
    );
}
