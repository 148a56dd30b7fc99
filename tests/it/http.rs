//! The HTTP API in process (`warp::test`), checked against the library and a brute-force scan.

use std::io::Read;

use lieux::Dataset;
use lieux::http::{AppState, routes};
use lieux::testdata::synthetic_lieux;
use serde_json::Value;

fn state() -> AppState {
    AppState::new(Dataset::new(synthetic_lieux(3_000, 11)))
}

struct Res {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn get_with(state: &AppState, path: &str, headers: &[(&str, &str)]) -> Res {
    let mut req = warp::test::request().method("GET").path(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.reply(&routes(state.clone())).await;
    Res {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.body().to_vec(),
    }
}

async fn get(state: &AppState, path: &str) -> Res {
    get_with(state, path, &[]).await
}

fn features(v: &Value) -> &Vec<Value> {
    v["features"].as_array().expect("features array")
}

fn assert_bad_param(r: &Res, param: &str) {
    assert_eq!(r.status, 400, "body: {}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["error"]["parameter"], param, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn nearest_matches_library_and_brute_force() {
    let st = state();
    let ds = st.dataset();
    // `max_km` lifts the default bound of filtered queries (100 km): the brute force below is
    // unbounded, and 5 of the 7 nearest synthetic France Services lie within 100 km of Nantes
    let r = get(&st, "/v1/lieux/nearest?lat=47.2&lon=-1.55&k=7&max_km=20000&dispositif_programmes_nationaux=France%20Services").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/geo+json"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let v = r.json();
    let fs = features(&v);
    assert_eq!(fs.len(), 7);
    // brute force over the dataset
    let mut want: Vec<(f64, String)> = ds
        .lieux()
        .iter()
        .filter(|l| {
            l.dispositif_programmes_nationaux
                .contains(&lieux::model::Dispositif::FranceServices)
        })
        .filter_map(|l| {
            l.position.map(|p| {
                (
                    lieux::index::haversine_m(-1.55, 47.2, p.lon, p.lat),
                    l.id.to_string(),
                )
            })
        })
        .collect();
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    for (f, (d, id)) in fs.iter().zip(&want) {
        assert_eq!(f["id"], id.as_str());
        assert_eq!(f["properties"]["id"], id.as_str());
        assert!((f["properties"]["distance_m"].as_f64().expect("distance") - d).abs() < 0.01);
        assert_eq!(f["geometry"]["type"], "Point");
        assert!(
            f["properties"]["dispositif_programmes_nationaux"]
                .as_array()
                .expect("list")
                .contains(&Value::from("France Services"))
        );
    }
    // max_km limits the answer
    let r = get(&st, "/v1/lieux/nearest?lat=47.2&lon=-1.55&k=1000&max_km=50").await;
    let v = r.json();
    assert!(features(&v).iter().all(|f| {
        f["properties"]["distance_m"]
            .as_f64()
            .is_some_and(|d| d <= 50_000.0)
    }));
    assert_eq!(features(&v).len(), want_count_within(&ds, 50_000.0));
}

fn want_count_within(ds: &Dataset, m: f64) -> usize {
    ds.lieux()
        .iter()
        .filter_map(|l| l.position)
        .filter(|p| lieux::index::haversine_m(-1.55, 47.2, p.lon, p.lat) <= m)
        .count()
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let st = state();
    let cases = [
        ("/v1/lieux/nearest?lat=100&lon=2", "lat"),
        ("/v1/lieux/nearest?lat=48&lon=-181", "lon"),
        ("/v1/lieux/nearest?lat=48&lon=abc", "lon"),
        ("/v1/lieux/nearest?lon=2", "lat"),
        ("/v1/lieux/nearest?lat=48&lon=2&k=0", "k"),
        ("/v1/lieux/nearest?lat=48&lon=2&k=1001", "k"),
        ("/v1/lieux/nearest?lat=48&lon=2&k=-3", "k"),
        ("/v1/lieux/nearest?lat=48&lon=2&max_km=-1", "max_km"),
        (
            "/v1/lieux/nearest?lat=48&lon=2&services=Inconnu",
            "services",
        ),
        (
            "/v1/lieux/nearest?lat=48&lon=2&dispositif_programmes_nationaux=France%20Service",
            "dispositif_programmes_nationaux",
        ),
        (
            "/v1/lieux/nearest?lat=48&lon=2&frais_a_charge=gratuit",
            "frais_a_charge",
        ),
        (
            "/v1/lieux/nearest?lat=48&lon=2&ouvert_actuellement=2026-13-01T10:00:00Z",
            "ouvert_actuellement",
        ),
        (
            "/v1/lieux/nearest?lat=48&lon=2&ouvert_le_week_end=oui",
            "ouvert_le_week_end",
        ),
        (
            "/v1/lieux/nearest?lat=48&lon=2&territoires=44",
            "territoire_type",
        ),
        (
            "/v1/lieux/nearest?lat=48&lon=2&territoire_type=departements&territoires=100",
            "territoires",
        ),
        ("/v1/lieux/nearest?lat=48&lon=2&typo=1", "typo"),
        ("/v1/lieux/nearest?lat=48&lat=49&lon=2", "lat"),
        ("/v1/lieux?bbox=3,45,2,46", "bbox"),
        ("/v1/lieux?bbox=2,46,3,45", "bbox"),
        ("/v1/lieux?bbox=1,2,3", "bbox"),
        ("/v1/lieux?bbox=2,45,3,46&lat=45&lon=2&radius_m=10", "bbox"),
        ("/v1/lieux?lat=45&lon=2", "radius_m"),
        ("/v1/lieux?lat=45&lon=2&radius_m=2000000", "radius_m"),
        ("/v1/lieux?limit=0", "limit"),
        ("/v1/lieux?limit=10001", "limit"),
        ("/v1/lieux?cursor=-1", "cursor"),
        ("/v1/lieux/p000001?x=1", "x"),
    ];
    for (path, param) in cases {
        let r = get(&st, path).await;
        assert_eq!(r.status, 400, "{path}");
        assert_bad_param(&r, param);
    }
    let long = format!("/v1/lieux/nearest?lat=48&lon=2&source={}", "a".repeat(9000));
    assert_eq!(get(&st, &long).await.status, 400);
}

#[tokio::test]
async fn no_input_gives_a_5xx() {
    let st = state();
    let junk = [
        "/v1/lieux/nearest?lat=NaN&lon=inf",
        "/v1/lieux/nearest?lat=1e400&lon=2",
        "/v1/lieux/nearest?lat=%ff%fe&lon=2",
        "/v1/lieux/nearest?&&&=&lat",
        "/v1/lieux/nearest?lat=48&lon=2&k=99999999999999999999999",
        "/v1/lieux?bbox=,,,",
        "/v1/lieux?bbox=-180,-90,180,90&limit=1&cursor=18446744073709551615",
        "/v1/lieux/%00",
        "/v1/lieux/a%2Fb",
        "/v1/lieux/nearest/extra",
        "/nope",
        "/v1/lieux?territoire_type=regions&territoires=84,11&ouvert_le_week_end=true&ouvert_actuellement=true",
    ];
    for path in junk {
        let r = get(&st, path).await;
        assert!(r.status < 500, "{path} gave {}", r.status);
        if r.status >= 400 {
            assert!(r.json()["error"]["message"].is_string(), "{path}");
        }
    }
    let r = warp::test::request()
        .method("POST")
        .path("/v1/lieux")
        .reply(&routes(st.clone()))
        .await;
    assert_eq!(r.status().as_u16(), 405);
}

#[tokio::test]
async fn lieu_by_id_and_404() {
    let st = state();
    let r = get(&st, "/v1/lieux/p000002").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["type"], "Feature");
    assert_eq!(v["id"], "p000002");
    let r = get(&st, "/v1/lieux/does-not-exist").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["parameter"], "id");
}

#[tokio::test]
async fn etag_304_and_compression() {
    let st = state();
    let path = "/v1/lieux/nearest?lat=45.76&lon=4.84&k=20";
    let plain = get(&st, path).await;
    let tag = plain.header("etag").expect("etag").to_owned();
    let r = get_with(&st, path, &[("if-none-match", &tag)]).await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = get_with(&st, path, &[("if-none-match", "\"other\"")]).await;
    assert_eq!(r.status, 200);

    let gz = get_with(&st, path, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_ne!(gz.header("etag"), Some(tag.as_str()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut out)
        .expect("gzip body");
    assert_eq!(out, plain.body);

    let br = get_with(&st, path, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut out = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut out)
        .expect("brotli body");
    assert_eq!(out, plain.body);
    assert!(br.body.len() < plain.body.len() / 2);

    // streamed list, compressed chunk by chunk
    let all = get(&st, "/v1/lieux").await;
    let gz = get_with(&st, "/v1/lieux", &[("accept-encoding", "gzip")]).await;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut out)
        .expect("gzip stream");
    assert_eq!(out, all.body);
}

#[tokio::test]
async fn whole_set_is_streamed_with_counts() {
    let st = state();
    let ds = st.dataset();
    let r = get(&st, "/v1/lieux").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["numberMatched"], ds.lieux().len());
    assert_eq!(v["numberReturned"], ds.lieux().len());
    assert_eq!(features(&v).len(), ds.lieux().len());
    // places without position are listed with a null geometry
    assert!(features(&v).iter().any(|f| f["geometry"].is_null()));
    let r = get(
        &st,
        "/v1/lieux?dispositif_programmes_nationaux=France%20Services",
    )
    .await;
    let v = r.json();
    let fs = ds
        .lieux()
        .iter()
        .filter(|l| {
            l.dispositif_programmes_nationaux
                .contains(&lieux::model::Dispositif::FranceServices)
        })
        .count();
    assert_eq!(v["numberMatched"], fs);
    assert_eq!(features(&v).len(), fs);
}

#[tokio::test]
async fn bbox_pages_concatenate_to_the_full_answer() {
    let st = state();
    let ds = st.dataset();
    let base = "/v1/lieux?bbox=-2,44,5,49&services=Aide%20aux%20d%C3%A9marches%20administratives";
    let full = get(&st, base).await.json();
    let full_ids: Vec<Value> = features(&full).iter().map(|f| f["id"].clone()).collect();
    let want = ds
        .lieux()
        .iter()
        .filter(|l| {
            l.services
                .contains(&lieux::model::Service::AideAuxDemarchesAdministratives)
        })
        .filter(|l| {
            l.position
                .is_some_and(|p| (-2.0..=5.0).contains(&p.lon) && (44.0..=49.0).contains(&p.lat))
        })
        .count();
    assert_eq!(full_ids.len(), want);
    assert!(want > 100, "test needs several pages");
    assert_eq!(full["numberMatched"], want);

    let mut next = Some(format!("{base}&limit=40"));
    let mut got: Vec<Value> = Vec::new();
    let mut pages = 0;
    while let Some(path) = next {
        let v = get(&st, &path).await.json();
        assert_eq!(v["numberMatched"], want);
        assert!(v["numberReturned"].as_u64().is_some_and(|n| n <= 40));
        got.extend(features(&v).iter().map(|f| f["id"].clone()));
        next = v["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
            .and_then(|l| l["href"].as_str())
            .map(str::to_owned);
        pages += 1;
        assert!(pages < 100);
    }
    assert_eq!(got, full_ids);
    assert_eq!(pages, want.div_ceil(40));

    // radius: sorted by distance, each within the radius
    let v = get(&st, "/v1/lieux?lat=46&lon=2&radius_m=100000")
        .await
        .json();
    let d: Vec<f64> = features(&v)
        .iter()
        .filter_map(|f| f["properties"]["distance_m"].as_f64())
        .collect();
    assert_eq!(d.len(), features(&v).len());
    assert!(d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|x| *x <= 100_000.0));
    assert_eq!(
        d.len(),
        ds.within_radius(
            lieux::model::Position {
                lon: 2.0,
                lat: 46.0
            },
            100_000.0,
            &Default::default()
        )
        .len()
    );
}

#[tokio::test]
async fn open_now_fields() {
    let st = state();
    // Tuesday 10:30 in Paris
    let v = get(
        &st,
        "/v1/lieux/nearest?lat=46&lon=2&k=50&ouvert_actuellement=2026-12-01T10:30:00%2B01:00",
    )
    .await
    .json();
    let fs = features(&v);
    assert!(!fs.is_empty());
    for f in fs {
        assert_eq!(f["properties"]["ouvert"], true, "{f}");
        assert!(f["properties"]["horaires"].is_string());
    }
    // without ouvert_actuellement, `ouvert` is evaluated now; closed places with weekly hours
    // say when they open next, and places without hours carry neither field
    let v = get(&st, "/v1/lieux/nearest?lat=46&lon=2&k=300")
        .await
        .json();
    let fs = features(&v);
    assert!(fs.iter().any(|f| f["properties"]["ouvert"] == false
        && f["properties"]["prochaine_ouverture"].is_string()));
    for f in fs {
        let p = &f["properties"];
        assert_eq!(p["horaires"].is_string(), p["ouvert"].is_boolean(), "{f}");
        if p["ouvert"] == true {
            assert!(p["prochaine_ouverture"].is_null());
        }
    }
}

#[tokio::test]
async fn health_reports_version_and_counts() {
    let st = state();
    let v = get(&st, "/health").await.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["lieux"], 3000);
    assert_eq!(v["version"], st.dataset().version());
    assert_eq!(
        v["positioned"].as_u64().unwrap_or(0) + v["without_position"].as_u64().unwrap_or(0),
        3000
    );
}

#[tokio::test]
async fn geojson_output_imports_back_to_the_same_places() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let ds = st.dataset();
    // every place, duplicates included (crate::dedup)
    let r = get(&st, "/v1/lieux?exclure_doublons=false").await;
    assert_eq!(r.status, 200);
    imports_back_to(&ds, "lieux.geojson", &r.body);
}

/// `body`, imported as file `name`, gives back every place of `ds` column for column.
fn imports_back_to(ds: &Dataset, name: &str, body: &[u8]) {
    let back = lieux::import::read_bytes(name, body).expect("our output imports");
    assert_eq!(back.stats.rejected, 0, "{:?}", back.report.first());
    let back = Dataset::new(back.lieux);
    assert_eq!(back.lieux().len(), ds.lieux().len());
    for (a, b) in ds.lieux().iter().zip(back.lieux()) {
        for c in lieux::model::V1_COLUMNS {
            assert_eq!(a.column(c), b.column(c), "{} {c}", a.id);
        }
    }
    // not `version()`: it also hashes how each position was obtained, which an import of an
    // export records as the producer's own coordinates
}

#[tokio::test]
async fn csv_output_imports_back_to_the_same_places() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let ds = st.dataset();
    for coding in ["identity", "gzip"] {
        let r = get_with(
            &st,
            "/v1/lieux.csv?exclure_doublons=false",
            &[("accept-encoding", coding)],
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
        let body = if coding == "gzip" {
            assert_eq!(r.header("content-encoding"), Some("gzip"));
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&r.body[..])
                .read_to_end(&mut out)
                .expect("gzip");
            out
        } else {
            r.body
        };
        let header = body.split(|b| *b == b'\n').next().expect("header line");
        assert_eq!(header, lieux::model::V1_COLUMNS.join(",").as_bytes());
        imports_back_to(&ds, "x.csv", &body);
    }
}

/// Ids of the places in `bbox=-5,42,8,51` (metropolitan France) matching one filter pair, in
/// the dataset's order: the oracle for the listing endpoints.
fn metropole_ids(ds: &Dataset, pair: (&str, &str)) -> Vec<String> {
    let filter = lieux::filter::Filter::from_pairs([pair], chrono::Utc::now()).expect("filter");
    let bbox = lieux::index::Bbox {
        min_lon: -5.0,
        min_lat: 42.0,
        max_lon: 8.0,
        max_lat: 51.0,
    };
    ds.within_bbox(&bbox, &filter)
        .into_iter()
        .map(|s| ds.lieu(s).id.to_string())
        .collect()
}

#[tokio::test]
async fn csv_applies_selection_and_filters() {
    let st = state();
    let ds = st.dataset();
    let q = "bbox=-5,42,8,51&services=Aide%20aux%20d%C3%A9marches%20administratives";
    let r = get(&st, &format!("/v1/lieux.csv?{q}")).await;
    assert_eq!(r.status, 200);
    let want = metropole_ids(&ds, ("services", "Aide aux démarches administratives"));
    let mut rdr = csv::Reader::from_reader(&r.body[..]);
    let got: Vec<String> = rdr
        .records()
        .map(|r| r.expect("record")[0].to_owned())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // the same paging and parameter checks as /v1/lieux
    let r = get(&st, "/v1/lieux.csv?lat=47&lon=2&radius_m=50000&limit=3").await;
    assert_eq!(r.status, 200);
    assert_eq!(csv::Reader::from_reader(&r.body[..]).records().count(), 3);
    assert_bad_param(&get(&st, "/v1/lieux.csv?bbox=1,2,3").await, "bbox");
    assert_bad_param(&get(&st, "/v1/lieux.csv?radius_m=10").await, "lat");
    assert_bad_param(&get(&st, "/v1/lieux.csv?format=x").await, "format");
}

mod codings;
mod formats;
mod properties;
