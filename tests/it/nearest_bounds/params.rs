//! Part of [`super`] (nearest_bounds.rs): its helpers and imports are used through `super::*`.

use super::*;

/// `closest` and `reachable` (straight-line estimates here) stay in the point's territory too.
#[tokio::test]
async fn travel_time_answers_stay_in_the_territory() {
    let st = AppState::new(dataset());
    let ds = st.dataset();
    // Mayotte: the 100 closest; Réunion lies 1 400 km away
    let (status, v) = get(&st, "/v1/lieux/closest?lat=-12.78&lon=45.23&k=100").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["territoire"], "mayotte");
    let got = ids(&v["features"]);
    assert!(!got.is_empty());
    let all_mayotte = |ids: &[String]| {
        ids.iter()
            .all(|id| territory_by_code(ds.lieu(ds.slot_of(id).expect("id"))) == "mayotte")
    };
    assert!(all_mayotte(&got), "{v}");
    let (_, wide) = get(
        &st,
        "/v1/lieux/closest?lat=-12.78&lon=45.23&k=100&territoire=tous",
    )
    .await;
    assert_eq!(wide["territoire"], Value::Null);
    assert!(!all_mayotte(&ids(&wide["features"])), "{wide}");
    // reachable within 2 hours by car from Basse-Terre: Guadeloupe only (Martinique and the
    // generated misplaced places coded elsewhere are left out)
    let (status, v) = get(&st, "/v1/lieux/reachable?lat=16.0&lon=-61.7&minutes=120").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["territoire"], "guadeloupe");
    assert!(!ids(&v["features"]).is_empty(), "{v}");
    assert!(
        ids(&v["features"])
            .iter()
            .all(|id| territory_by_code(ds.lieu(ds.slot_of(id).expect("id"))) == "guadeloupe")
    );
}

/// Bad values of the new parameters are 400s naming them, with the JSON error body.
#[tokio::test]
async fn bad_values_of_the_new_parameters_are_400_naming_them() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    for (url, param) in [
        (
            "/v1/lieux/nearest?lat=46&lon=2&territoire=Tous",
            "territoire",
        ),
        (
            "/v1/lieux/nearest?lat=46&lon=2&territoire=france",
            "territoire",
        ),
        ("/v1/lieux/nearest?lat=46&lon=2&territoire=", "territoire"),
        (
            "/v1/lieux/nearest?lat=46&lon=2&territoire=tous&territoire=auto",
            "territoire",
        ),
        ("/v1/lieux/nearest?lat=46&lon=2&tri=heure", "tri"),
        ("/v1/lieux/nearest?lat=46&lon=2&tri=", "tri"),
        ("/v1/lieux/nearest?lat=46&lon=2&mode=bike", "mode"),
        ("/v1/lieux/nearest?lat=46&lon=2&max_km=-5", "max_km"),
        ("/v1/lieux/nearest?lat=46&lon=2&max_km=abc", "max_km"),
        (
            "/v1/lieux/closest?lat=46&lon=2&territoire=partout",
            "territoire",
        ),
        (
            "/v1/lieux/reachable?lat=46&lon=2&territoire=974",
            "territoire",
        ),
    ] {
        let (status, v) = get(&st, url).await;
        assert_eq!(status, 400, "{url}: {v}");
        assert_eq!(v["error"]["parameter"], param, "{url}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{url}: {v}"
        );
    }
    // and the documented values are accepted
    for t in lieux::nearest::Perimetre::values() {
        let (status, v) = get(
            &st,
            &format!("/v1/lieux/nearest?lat=46&lon=2&k=1&territoire={t}"),
        )
        .await;
        assert_eq!(status, 200, "{t}: {v}");
    }
}

/// The issue's two small fixes: `/favicon.ico` is an icon, the map page links it, and the
/// TileJSON centre lies in metropolitan France.
#[tokio::test]
async fn favicon_and_tilejson_centre() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let res = warp::test::request()
        .path("/favicon.ico")
        .reply(&routes(st.clone()))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/x-icon");
    assert_eq!(&res.body()[..4], &[0, 0, 1, 0], "an ICO header");
    let res = warp::test::request()
        .path("/favicon.svg")
        .reply(&routes(st.clone()))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    let page = warp::test::request()
        .path("/")
        .header("accept", "text/html")
        .reply(&routes(st.clone()))
        .await;
    let html = String::from_utf8_lossy(page.body());
    assert!(
        html.contains(r#"<link rel="icon" href="/favicon.ico""#),
        "{html}"
    );
    assert!(html.contains(r#"<link rel="icon" href="/favicon.svg""#));

    let (status, tj) = get(&st, "/tiles/lieux").await;
    assert_eq!(status, 200);
    let c = tj["center"].as_array().expect("center");
    let (lon, lat) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
    // inside metropolitan France's land, not its box's corners: Creuse is 2.0, 46.1
    assert!(
        (-1.0..=5.0).contains(&lon) && (44.0..=48.5).contains(&lat),
        "{tj}"
    );
    assert_eq!(c[2], 5);
    // the bounds still cover every place, overseas included
    let b = tj["bounds"].as_array().expect("bounds");
    assert!(
        b[0].as_f64() < Some(-60.0) && b[2].as_f64() > Some(50.0),
        "{tj}"
    );
}

/// The territory boxes hold the places of their territory: every commune centroid of
/// `../shared/data` (metropolitan France and the five overseas départements), and every real
/// place whose coordinates are in some territory's box, lies in the box of its own code.
#[test]
fn territory_boxes_hold_their_communes_and_places() {
    let Some(centroids) = crate::util::commune_centroids() else {
        return;
    };
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for (code, lon, lat) in &centroids {
        let t = Territoire::of_codes(Some(code), "");
        assert_eq!(
            Territoire::of_point(*lon, *lat),
            Some(t),
            "commune {code} at {lon},{lat}"
        );
        *per.entry(t.as_str()).or_default() += 1;
    }
    eprintln!("commune centroids per territory: {per:?}");
    assert_eq!(per.len(), 6, "{per:?}");
    let Some(data) = shared_data() else { return };
    let mut outside = Vec::new();
    let lieux = crate::dedup::load(&data);
    for l in &lieux {
        let Some(p) = l.position else { continue };
        let by_code = Territoire::of_codes(l.code_insee.as_deref(), &l.code_postal);
        if Territoire::of_point(p.lon, p.lat) != Some(by_code) {
            outside.push(format!(
                "{} {:?} {} at {},{}",
                l.id, l.code_insee, l.code_postal, p.lon, p.lat
            ));
        }
    }
    eprintln!(
        "{} of {} real places lie outside their territory's box: {outside:?}",
        outside.len(),
        lieux.len()
    );
    assert!(outside.len() * 1000 <= lieux.len(), "{outside:?}");
}
