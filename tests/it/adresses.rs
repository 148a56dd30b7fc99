//! `GET /v1/adresses` and `adresse=` on the nearest endpoints (issue 17): against the real local
//! addok of `geocode.rs` (its index holds the France Services addresses; the oracle is the
//! list's own coordinates), the offline commune fallback (the embedded commune table, no
//! geocoder), and fake geocoders that hang, fail or answer garbage (the fallback must answer,
//! within the configured timeout).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use lieux::Dataset;
use lieux::geocode::ban::{BanGeocoder, BanOptions};
use lieux::http::AppState;
use serde_json::Value;

use crate::geocode::fixture::haversine_m;
use crate::geocode::{addok, serial};
use crate::util::{Server, request};

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn get(server: &Server, path: &str) -> (u16, String, Value) {
    let (status, headers, body) = request(server, "GET", path, &[], b"");
    let ct = headers.get("content-type").cloned().unwrap_or_default();
    let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, ct, v)
}

fn with_geocoder(url: &str, timeout: Duration) -> AppState {
    let options = BanOptions {
        timeout,
        ..BanOptions::default()
    };
    AppState::new(Dataset::embedded().unwrap())
        .with_geocoder(BanGeocoder::new(url, None, options).unwrap())
}

/// Every feature follows the contract the map page is built against.
fn check_contract(v: &Value, source: &str) {
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["source"], source, "{v}");
    let features = v["features"].as_array().unwrap();
    assert_eq!(v["numberReturned"], features.len());
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "Point");
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        assert!(c[0].as_f64().unwrap().abs() <= 180.0 && c[1].as_f64().unwrap().abs() <= 90.0);
        let p = &f["properties"];
        assert!(!p["label"].as_str().unwrap().is_empty());
        for k in ["commune", "code_insee", "code_postal"] {
            assert!(p[k].is_string() || p[k].is_null(), "{k}: {p}");
        }
        let t = p["type"].as_str().unwrap();
        assert!(
            ["housenumber", "street", "locality", "municipality"].contains(&t),
            "{t}"
        );
        let s = p["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s), "{s}");
        assert_eq!(p["source"], source);
    }
}

#[test]
fn bad_input_is_a_400_naming_the_parameter() {
    let server = Server::start(AppState::new(Dataset::embedded().unwrap()));
    let long = "a".repeat(201);
    for (query, parameter) in [
        ("", "q"),
        ("q=", "q"),
        ("q=%20%20%20", "q"),
        ("q=ab", "q"),
        ("q=%20ab%20", "q"),
        (&format!("q={long}") as &str, "q"),
        ("q=Angers&limit=0", "limit"),
        ("q=Angers&limit=21", "limit"),
        ("q=Angers&limit=x", "limit"),
        ("q=Angers&lat=91&lon=0", "lat"),
        ("q=Angers&lat=45", "lon"),
        ("q=Angers&lon=abc&lat=1", "lon"),
        ("q=Angers&q=Tours", "q"),
        ("q=Angers&foo=1", "foo"),
    ] {
        let (status, ct, v) = get(&server, &format!("/v1/adresses?{query}"));
        assert_eq!(status, 400, "{query}: {v}");
        assert_eq!(ct, "application/json");
        assert_eq!(v["error"]["parameter"], parameter, "{query}: {v}");
    }
    // 200 characters is the limit, not beyond
    let (status, _, _) = get(&server, &format!("/v1/adresses?q={}", "a".repeat(200)));
    assert_eq!(status, 200);

    // `adresse` on the nearest endpoints: not with lat/lon; nothing found is a 404
    for endpoint in ["nearest", "closest", "reachable"] {
        let (status, _, v) = get(
            &server,
            &format!("/v1/lieux/{endpoint}?adresse=Angers&lat=47&lon=0"),
        );
        assert_eq!(status, 400, "{endpoint}: {v}");
        assert_eq!(v["error"]["parameter"], "adresse");
        let (status, _, v) = get(&server, &format!("/v1/lieux/{endpoint}?adresse=ab"));
        assert_eq!((status, &v["error"]["parameter"]), (400, &"adresse".into()));
        let (status, _, v) = get(
            &server,
            &format!("/v1/lieux/{endpoint}?adresse=zzqxw%20yyk"),
        );
        assert_eq!(status, 404, "{endpoint}: {v}");
        assert_eq!(v["error"]["parameter"], "adresse");
        let (status, _, v) = get(&server, &format!("/v1/lieux/{endpoint}"));
        assert_eq!((status, &v["error"]["parameter"]), (400, &"lat".into()));
    }
}

#[test]
fn offline_fallback_answers_from_the_commune_table() {
    let server = Server::start(AppState::new(Dataset::embedded().unwrap()));
    let table = lieux::commune_table::embedded();
    let (status, ct, v) = get(&server, "/v1/adresses?q=Angers");
    assert_eq!((status, ct.as_str()), (200, "application/geo+json"));
    check_contract(&v, "communes");
    let first = &v["features"][0];
    assert_eq!(first["properties"]["code_insee"], "49007");
    assert_eq!(first["properties"]["score"], 1.0);
    let angers = table.by_code("49007").unwrap();
    assert_eq!(
        first["geometry"]["coordinates"],
        serde_json::json!([angers.lon, angers.lat])
    );

    // limit, and the proximity order among equal scores: Saint-Denis near Réunion
    let (_, _, v) = get(
        &server,
        "/v1/adresses?q=Saint-Denis&limit=3&lat=-20.88&lon=55.45",
    );
    check_contract(&v, "communes");
    assert_eq!(v["numberReturned"], 3);
    assert_eq!(v["features"][0]["properties"]["code_insee"], "97411");

    // Oracle: the list's own commune. A France Services address followed by its postcode and
    // commune comes back as that commune (a commune not in the table excepted).
    let data = crate::util::shared_data();
    let Some(data) = data else { return };
    let rows = crate::geocode::fixture::fs_rows(&data);
    let (mut asked, mut same) = (0, 0);
    for r in rows.records.iter().step_by(25) {
        let insee = &r["code_insee"];
        if r["adresse"].is_empty() || table.by_code(insee).is_none() {
            continue;
        }
        let text = format!("{} {} {}", r["adresse"], r["code_postal"], r["commune"]);
        let (status, _, v) = get(&server, &format!("/v1/adresses?q={}&limit=1", enc(&text)));
        assert_eq!(status, 200, "{text}");
        check_contract(&v, "communes");
        asked += 1;
        if v["features"][0]["properties"]["code_insee"] == insee.as_str() {
            same += 1;
        }
    }
    eprintln!("commune fallback: {same}/{asked} addresses placed in their own commune");
    assert!(asked >= 80, "{asked}");
    assert!(same as f64 >= 0.9 * asked as f64, "{same}/{asked}");
}

#[test]
fn addok_answers_addresses_and_nearest_by_adresse() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let server = Server::start(with_geocoder(&a.url, Duration::from_secs(10)));
    let (mut asked, mut near) = (0, 0);
    let mut first_hit: Option<(String, Value)> = None;
    for r in a.rows.records.iter().step_by(40) {
        let Some(&truth) = a.rows.truth.get(&r["id"]) else {
            continue;
        };
        if r["adresse"].is_empty() {
            continue;
        }
        let text = format!("{} {} {}", r["adresse"], r["code_postal"], r["commune"]);
        let (status, _, v) = get(&server, &format!("/v1/adresses?q={}", enc(&text)));
        assert_eq!(status, 200, "{text}: {v}");
        check_contract(&v, "geocodeur");
        assert!(v["numberReturned"].as_u64().unwrap() <= 5);
        asked += 1;
        let f = &v["features"][0];
        let c = &f["geometry"]["coordinates"];
        let got = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        if haversine_m(truth, got) <= 100.0 {
            near += 1;
            first_hit.get_or_insert((text.clone(), f.clone()));
        }
    }
    eprintln!("addok through /v1/adresses: {near}/{asked} first answers within 100 m");
    assert!(asked >= 50, "{asked}");
    assert!(near as f64 >= 0.9 * asked as f64, "{near}/{asked}");

    // lat/lon and limit are passed on; the answer is still the geocoder's
    let (text, f) = first_hit.unwrap();
    let c = &f["geometry"]["coordinates"];
    let (status, _, v) = get(
        &server,
        &format!(
            "/v1/adresses?q={}&limit=2&lat={}&lon={}",
            enc(&text),
            c[1],
            c[0]
        ),
    );
    assert_eq!(status, 200);
    check_contract(&v, "geocodeur");
    assert!(v["numberReturned"].as_u64().unwrap() <= 2);

    // nearest by adresse = nearest from the point the address resolves to, echoed in `origine`
    let (status, _, by_address) = get(
        &server,
        &format!("/v1/lieux/nearest?adresse={}&k=5", enc(&text)),
    );
    assert_eq!(status, 200, "{by_address}");
    let o = &by_address["origine"];
    assert_eq!(o["source"], "geocodeur");
    assert_eq!(o["label"], f["properties"]["label"]);
    assert_eq!((&o["lon"], &o["lat"]), (&c[0], &c[1]));
    let (_, _, by_point) = get(
        &server,
        &format!("/v1/lieux/nearest?lat={}&lon={}&k=5", c[1], c[0]),
    );
    assert_eq!(by_address["features"], by_point["features"]);
    assert!(by_point.get("origine").is_none());
    for endpoint in ["closest", "reachable"] {
        let (status, _, v) = get(
            &server,
            &format!("/v1/lieux/{endpoint}?adresse={}", enc(&text)),
        );
        assert_eq!(status, 200, "{endpoint}: {v}");
        assert_eq!(v["origine"]["source"], "geocodeur");
        let (_, _, by_point) = get(
            &server,
            &format!("/v1/lieux/{endpoint}?lat={}&lon={}", c[1], c[0]),
        );
        assert_eq!(v["features"], by_point["features"], "{endpoint}");
    }
}

/// A fake geocoder on a loopback port: every connection gets `answer` (or nothing, held
/// open, when `None`). Runs until the test process exits.
fn fake_geocoder(answer: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            match answer {
                None => held.push(s),
                Some(a) => {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(a.as_bytes());
                }
            }
        }
    });
    url
}

#[test]
fn a_failing_geocoder_gives_the_fallback_answer() {
    let offline = Server::start(AppState::new(Dataset::embedded().unwrap()));
    let q = "/v1/adresses?q=3%20rue%20du%20Parc%2023000%20Gu%C3%A9ret";
    let (_, _, expected) = get(&offline, q);
    check_contract(&expected, "communes");
    assert_eq!(expected["features"][0]["properties"]["code_insee"], "23096");

    let timeout = Duration::from_millis(400);
    for (name, answer) in [
        ("hangs", None),
        (
            "500",
            Some(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops",
            ),
        ),
        (
            "html",
            Some(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<html>",
            ),
        ),
        (
            "empty",
            Some(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"features\":[]}",
            ),
        ),
    ] {
        let server = Server::start(with_geocoder(&fake_geocoder(answer), timeout));
        let started = Instant::now();
        let (status, headers, body) = request(&server, "GET", q, &[], b"");
        let took = started.elapsed();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 200, "{name}: {v}");
        assert_eq!(v, expected, "{name}");
        if name == "hangs" {
            assert!(took >= timeout, "{name}: {took:?}");
        }
        assert!(took < timeout + Duration::from_secs(3), "{name}: {took:?}");
        // a stand-in for a failed geocoder is not cached; "found nothing" is an answer
        let no_store = headers.get("cache-control").map(String::as_str) == Some("no-store");
        assert_eq!(no_store, name != "empty", "{name}: {headers:?}");

        // nearest by adresse still answers, from the commune
        let (status, _, v) = get(&server, "/v1/lieux/nearest?adresse=Gu%C3%A9ret&k=1");
        assert_eq!(status, 200, "{name}: {v}");
        assert_eq!(v["origine"]["source"], "communes");
        assert_eq!(v["origine"]["label"], "Guéret (23000)");
    }
}
