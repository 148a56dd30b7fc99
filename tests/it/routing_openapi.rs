//! The travel-time endpoints against their OpenAPI description: every documented bound is the
//! handler's bound (the maximum passes, one past it is a 400 naming the parameter), every
//! documented enum value passes, an undocumented parameter is refused, and real answers carry
//! the members the document requires: straight-line estimates (no graph: what the schemathesis
//! CI run sees) and road answers on the Andorra graph, including the documented 422.

use lieux::Dataset;
use lieux::http::AppState;
use lieux::testdata::synthetic_lieux;
use serde_json::Value;

use crate::routing::{andorra_state, get};

const PATHS: [(&str, &str); 3] = [
    ("/v1/lieux/reachable", "TravelCollection"),
    ("/v1/lieux/closest", "TravelCollection"),
    ("/v1/isochrone", "ContourCollection"),
];

async fn document(st: &AppState) -> Value {
    let r = get(st, "/openapi.json").await;
    assert_eq!(r.status, 200);
    r.json()
}

fn required(schema: &Value) -> Vec<&str> {
    schema["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The members `doc` requires of a `schema` answer, checked on `v` (top level, features and
/// their properties), and the `estimate` value when present.
fn assert_conforms(doc: &Value, schema: &str, v: &Value, what: &str) {
    let s = &doc["components"]["schemas"][schema];
    for key in required(s) {
        assert!(v.get(key).is_some(), "{what}: {key} missing");
    }
    if let Some(e) = v.get("estimate") {
        assert_eq!(e, "straight_line", "{what}");
    }
    let features = v["features"].as_array().expect("features");
    let feature_props: Vec<&str> = if schema == "TravelCollection" {
        required(&s["properties"]["features"]["items"]["allOf"][1]["properties"]["properties"])
    } else {
        required(&doc["components"]["schemas"]["Contour"]["properties"]["properties"])
    };
    assert!(!feature_props.is_empty(), "{schema}: no required property");
    for f in features {
        for key in &feature_props {
            assert!(f["properties"].get(*key).is_some(), "{what}: {key} missing");
        }
    }
}

fn params<'a>(doc: &'a Value, path: &str) -> &'a Vec<Value> {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("{path} undocumented"))
}

async fn expect(st: &AppState, url: &str, status: u16, param: Option<&str>) -> Value {
    let r = get(st, url).await;
    assert_eq!(
        r.status,
        status,
        "{url}: {}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    if let Some(p) = param {
        assert_eq!(v["error"]["parameter"], p, "{url}");
    }
    v
}

/// Checks every documented bound and enum of the three endpoints against the server, with the
/// query point `(lat, lon)`.
async fn bounds_match(st: &AppState, lat: f64, lon: f64) {
    let doc = document(st).await;
    for (path, schema) in PATHS {
        let base = format!("{path}?lat={lat}&lon={lon}");
        let ps = params(&doc, path);
        let names: Vec<&str> = ps.iter().filter_map(|p| p["name"].as_str()).collect();
        for req in ["lat", "lon"] {
            assert!(names.contains(&req), "{path}: {req}");
        }
        assert!(
            doc["paths"][path]["get"]["responses"]["422"].is_object(),
            "{path}: 422"
        );
        for p in ps {
            let name = p["name"].as_str().expect("name");
            let s = &p["schema"];
            // the filters are shared with every listing; their contract is tested in http.rs
            if name == "lat" || name == "lon" || lieux::filter::PARAMETERS.contains(&name) {
                continue;
            }
            // integers with a range
            if s["type"] == "integer" {
                let (lo, hi) = (
                    s["minimum"].as_i64().unwrap(),
                    s["maximum"].as_i64().unwrap(),
                );
                for ok in [lo, hi] {
                    let v = expect(st, &format!("{base}&{name}={ok}"), 200, None).await;
                    assert_conforms(&doc, schema, &v, path);
                }
                for bad in [lo - 1, hi + 1] {
                    expect(st, &format!("{base}&{name}={bad}"), 400, Some(name)).await;
                }
            }
            // enums of plain string parameters (mode, isochrone)
            if let Some(values) = s["enum"].as_array() {
                for value in values {
                    let value = value.as_str().unwrap();
                    let v = expect(st, &format!("{base}&{name}={value}"), 200, None).await;
                    assert_conforms(&doc, schema, &v, path);
                }
                expect(st, &format!("{base}&{name}=bogus"), 400, Some(name)).await;
            }
            // the isochrone's list of minutes
            if s["type"] == "array" && s["items"]["type"] == "integer" {
                let max_items = s["maxItems"].as_u64().unwrap();
                let hi = s["items"]["maximum"].as_u64().unwrap();
                let list = |n: u64| {
                    (0..n)
                        .map(|i| (hi - i).to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let v = expect(st, &format!("{base}&{name}={}", list(max_items)), 200, None).await;
                assert_eq!(
                    v["features"].as_array().map(Vec::len),
                    Some(max_items as usize)
                );
                assert_conforms(&doc, schema, &v, path);
                expect(
                    st,
                    &format!("{base}&{name}={}", list(max_items + 1)),
                    400,
                    Some(name),
                )
                .await;
                expect(st, &format!("{base}&{name}={}", hi + 1), 400, Some(name)).await;
                expect(st, &format!("{base}&{name}=0"), 400, Some(name)).await;
            }
        }
        // only documented parameters are accepted
        expect(st, &format!("{base}&nope=1"), 400, Some("nope")).await;
        let v = expect(st, &base, 200, None).await;
        assert_conforms(&doc, schema, &v, path);
    }
}

#[tokio::test]
async fn documented_bounds_hold_for_straight_line_estimates() {
    let st = AppState::new(Dataset::new(synthetic_lieux(2_000, 5)));
    bounds_match(&st, 47.2, -1.55).await;
    // the estimate answers say so, as documented
    let v = get(&st, "/v1/lieux/reachable?lat=47.2&lon=-1.55&minutes=60")
        .await
        .json();
    assert_eq!(v["estimate"], "straight_line");
    assert!(v.get("snap_m").is_none());
}

#[tokio::test]
async fn documented_bounds_hold_on_the_andorra_graph() {
    let Some(st) = andorra_state() else { return };
    // Andorra la Vella: on the road graph
    bounds_match(&st, 42.5063, 1.5218).await;
    let doc = document(&st).await;
    let v = get(
        &st,
        "/v1/lieux/reachable?lat=42.5063&lon=1.5218&minutes=20&isochrone=true",
    )
    .await
    .json();
    assert!(v.get("estimate").is_none());
    assert!(v["snap_m"].as_f64().is_some());
    assert_conforms(&doc, "TravelCollection", &v, "reachable");
    let contour = &doc["components"]["schemas"]["Contour"];
    for key in required(contour) {
        assert!(v["isochrone"].get(key).is_some(), "isochrone: {key}");
    }
    assert_eq!(
        v["isochrone"]["geometry"]["type"],
        contour["properties"]["geometry"]["properties"]["type"]["const"]
    );
}
