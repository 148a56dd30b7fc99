//! Part of [`super`] (nearest_bounds.rs): its helpers and imports are used through `super::*`.

use super::*;

/// Public holidays are the territory's (issue 17): on 22 May 2026, abolition day in
/// Martinique, a `PH off` place there is closed and opens again on the 26th (the 25th is Whit
/// Monday), while the same hours in metropolitan France are open that morning.
#[tokio::test]
async fn holidays_are_the_territorys() {
    let hours = "Mo-Fr 07:00-16:00; PH off";
    let place = |id: &str, insee: &str, lon: f64, lat: f64| {
        let mut l = lieu(id.to_owned(), Some(Position { lon, lat }));
        l.code_postal = insee.into();
        l.code_insee = Some(insee.into());
        l.horaires = hours.parse().ok();
        l
    };
    let st = AppState::new(Dataset::new(vec![
        place("fdf", "97209", -61.07, 14.61),
        place("gueret", "23096", 1.87, 46.17),
    ]));
    let ask = |lat: f64, lon: f64, when: &str| {
        format!(
            "/v1/lieux/nearest?lat={lat}&lon={lon}&k=1&ouvert_actuellement={}",
            enc(when)
        )
    };
    let (status, v) = get(&st, &ask(14.6, -61.05, "2026-05-22T10:00:00-04:00")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["territoire"], "martinique");
    assert_eq!(v["ouverts"], 0, "{v}");
    let alt = &v["alternatives"][0]["properties"];
    assert_eq!(alt["id"], "fdf");
    assert_eq!(
        alt["prochaine_ouverture"], "2026-05-26T07:00:00-04:00",
        "{v}"
    );
    let (_, v) = get(&st, &ask(46.1, 1.9, "2026-05-22T10:00:00+02:00")).await;
    assert_eq!(ids(&v["features"]), vec!["gueret".to_owned()], "{v}");
    // and on Whit Monday both are closed
    let (_, v) = get(&st, &ask(46.1, 1.9, "2026-05-25T10:00:00+02:00")).await;
    assert_eq!(v["ouverts"], 0, "{v}");
    assert_eq!(
        v["alternatives"][0]["properties"]["prochaine_ouverture"],
        "2026-05-26T07:00:00+02:00"
    );
}

/// The case: Creuse at 05:15 on a weekday, `ouvert_actuellement`: no place open, and
/// no Mayotte; the answer says so and offers the three nearest with their next opening, or the
/// one reached soonest. Widened, it finds the places open overseas again.
#[tokio::test]
async fn nothing_open_in_creuse_at_dawn_offers_the_next_openings() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let ds = st.dataset();
    let when = "2026-12-02T05:15:00+01:00";
    let base = format!(
        "/v1/lieux/nearest?lat=46.1&lon=2.0&k=3&ouvert_actuellement={}",
        enc(when)
    );
    let (status, v) = get(&st, &base).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["features"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(v["numberReturned"], 0);
    assert_eq!(v["ouverts"], 0);
    assert_eq!(v["territoire"], "metropole");
    assert_eq!(v["max_km"], 100.0);
    let alts = v["alternatives"].as_array().expect("alternatives");
    assert_eq!(alts.len(), 3, "{v}");
    let mut last = 0.0;
    for f in alts {
        let p = &f["properties"];
        let d = p["distance_m"].as_f64().expect("distance");
        assert!(d >= last && d <= 100_000.0, "{v}");
        last = d;
        assert!(
            !p["code_postal"]
                .as_str()
                .expect("postcode")
                .starts_with("97")
        );
        let opening = p["prochaine_ouverture"].as_str().expect("next opening");
        assert!(
            opening.starts_with("2026-12-02T") && opening.ends_with("+01:00"),
            "{opening}"
        );
        assert!(
            p["accueil_a"].is_string() && p["attente_s"].as_f64() > Some(0.0),
            "{p}"
        );
        assert!(p["duration_s"].as_f64() > Some(0.0), "{p}");
    }
    // which one can I reach soonest: ordered by arrival + waiting, ties by distance then id
    let (_, soonest) = get(&st, &format!("{base}&tri=ouverture")).await;
    let alts = soonest["alternatives"].as_array().expect("alternatives");
    assert_eq!(alts.len(), 3);
    let times: Vec<DateTime<FixedOffset>> = alts
        .iter()
        .map(|f| {
            DateTime::parse_from_rfc3339(f["properties"]["accueil_a"].as_str().expect("accueil_a"))
                .expect("RFC 3339")
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{soonest}");
    assert!(
        times[0] <= DateTime::parse_from_rfc3339("2026-12-02T09:00:00+01:00").expect("date"),
        "some France Services within 100 km of Creuse opens by 09:00: {soonest}"
    );
    // the same request again: the same bytes (stable order)
    let (_, again) = get(&st, &format!("{base}&tri=ouverture")).await;
    assert_eq!(again, soonest);
    // widened to every territory and distance: open places overseas answer, as before
    let (_, wide) = get(&st, &format!("{base}&territoire=tous&max_km=20000")).await;
    assert_eq!(wide["territoire"], Value::Null);
    let overseas = ids(&wide["features"])
        .iter()
        .filter(|id| {
            let l = ds.lieu(ds.slot_of(id).expect("id"));
            territory_by_code(l) != "metropole"
        })
        .count();
    assert!(overseas > 0, "{wide}");
}
