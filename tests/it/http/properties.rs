//! Part of [`super`] (http.rs): `properties=` (issue 19). Every answer with a selection is
//! the full answer with each Feature's properties restricted to the names asked (and `id`), on
//! the embedded France Services (real data, duplicates and hours included).

use super::*;

fn embedded() -> AppState {
    AppState::new(Dataset::embedded().expect("embedded data"))
}

/// The property names `/openapi.json` lists for `properties=` of `path`.
async fn listed_names(st: &AppState, path: &str) -> Vec<String> {
    let doc = get(st, "/openapi.json").await.json();
    let params = doc["paths"][path]["get"]["parameters"]
        .as_array()
        .expect("parameters");
    let p = params
        .iter()
        .find(|p| p["name"] == "properties")
        .unwrap_or_else(|| panic!("no properties parameter on {path}"));
    p["schema"]["items"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .map(|v| v.as_str().expect("name").to_owned())
        .collect()
}

/// `features` (and `alternatives`) of `v` with the properties outside `names` and `id` removed.
fn restricted(v: &Value, names: &[&str]) -> Value {
    let mut v = v.clone();
    let keep = |f: &mut Value| {
        if let Some(p) = f["properties"].as_object_mut() {
            p.retain(|k, _| k == "id" || names.contains(&k.as_str()));
        }
    };
    if v["type"] == "Feature" {
        keep(&mut v);
    }
    for list in ["features", "alternatives"] {
        if let Some(fs) = v.get_mut(list).and_then(Value::as_array_mut) {
            fs.iter_mut().for_each(keep);
        }
    }
    v
}

/// What the two answers must share: everything but the links and time stamp, which carry the
/// query (and the second).
fn comparable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("links");
        o.remove("timeStamp");
    }
    v
}

/// Asks `path` with and without `properties=names`, and checks that the selection is the full
/// answer restricted to `names`. Retried when a minute boundary changes the full answer
/// (`ouvert` is evaluated per minute) between the requests.
async fn check_selection(st: &AppState, path: &str, names: &[&str]) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let selected_path = format!("{path}{sep}properties={}", names.join(","));
    for _ in 0..3 {
        let before = get(st, path).await;
        let selected = get(st, &selected_path).await;
        let after = get(st, path).await;
        assert_eq!(before.status, 200, "{path}");
        assert_eq!(
            selected.status,
            200,
            "{selected_path}: {}",
            String::from_utf8_lossy(&selected.body)
        );
        let (before, selected, after) = (before.json(), selected.json(), after.json());
        if comparable(&before) != comparable(&after) {
            continue;
        }
        let want = comparable(&restricted(&before, names));
        let got = comparable(&selected);
        assert_eq!(got, want, "{selected_path}");
        // the selection did remove something: the check can tell the two shapes apart
        assert_ne!(comparable(&before), got, "{selected_path}");
        return;
    }
    panic!("{path}: the full answer kept changing");
}

#[tokio::test]
async fn selections_are_the_full_answers_restricted() {
    let st = embedded();
    let names = listed_names(&st, "/v1/lieux/nearest").await;
    assert!(names.len() >= 30, "{names:?}");
    // a place with duplicates: its `doublons` member is computed per request
    let all = get(&st, "/v1/lieux?exclure_doublons=false").await.json();
    let with_doublons = features(&all)
        .iter()
        .find(|f| f["properties"]["doublons"].is_object())
        .and_then(|f| f["id"].as_str())
        .expect("the embedded list has duplicates")
        .to_owned();
    // every property the answers carry is a name `properties=` takes
    for f in features(&all) {
        for k in f["properties"].as_object().expect("properties").keys() {
            assert!(names.contains(k), "{k} is not listed");
        }
    }
    let cases: &[(&str, &[&str])] = &[
        (
            "/v1/lieux/nearest?lat=48.8566&lon=2.3522&k=10",
            &["nom", "adresse", "distance_m"],
        ),
        (
            "/v1/lieux/nearest?lat=45.76&lon=4.84&k=4",
            &["ouvert", "prochaine_ouverture", "commune"],
        ),
        // Sunday night: nothing open, the alternatives are restricted too
        (
            "/v1/lieux/nearest?lat=47.2&lon=-1.55&k=3&ouvert_actuellement=2026-12-06T23:30:00%2B01:00",
            &["nom", "attente_s", "accueil_a"],
        ),
        (
            "/v1/lieux?bbox=2.2,48.8,2.5,48.95",
            &["date_maj", "doublons", "services", "ouvert"],
        ),
        (
            "/v1/lieux?exclure_doublons=false&limit=500&cursor=100",
            &["doublons", "telephone"],
        ),
        (
            "/v1/lieux?lat=43.6&lon=1.44&radius_m=50000",
            &["distance_m", "position", "horaires"],
        ),
        (
            "/collections/lieux/items?limit=40&offset=7",
            &["nom", "code_postal", "typologie"],
        ),
        (
            "/v1/lieux/closest?lat=48.11&lon=-1.68&k=3",
            &["duration_s", "estimate", "motif_estimation"],
        ),
        (
            "/v1/lieux/reachable?lat=48.11&lon=-1.68&minutes=40",
            &["nom", "duration_s"],
        ),
    ];
    for (path, names) in cases {
        check_selection(&st, path, names).await;
    }
    let one = format!("/v1/lieux/{with_doublons}");
    check_selection(&st, &one, &["doublons", "nom"]).await;
    check_selection(
        &st,
        &format!("/collections/lieux/items/{with_doublons}"),
        &["pivot"],
    )
    .await;

    // random subsets of every name, in random order, at random points
    let mut rng = lieux::testdata::Rng::new(19);
    for _ in 0..25 {
        let picked: Vec<&str> = names
            .iter()
            .filter(|_| rng.below(4) == 0)
            .map(String::as_str)
            .collect();
        let lat = 43.0 + rng.below(6000) as f64 / 1000.0;
        let lon = -1.0 + rng.below(7000) as f64 / 1000.0;
        let mut shuffled = picked.clone();
        shuffled.reverse();
        let path = format!("/v1/lieux/nearest?lat={lat}&lon={lon}&k=15");
        check_selection(&st, &path, &shuffled).await;
    }
}

#[tokio::test]
async fn empty_unknown_and_repeated_selections() {
    let st = embedded();
    // empty: `id` alone, with the Feature's id and geometry
    let v = get(
        &st,
        "/v1/lieux/nearest?lat=48.8566&lon=2.3522&k=5&properties=",
    )
    .await
    .json();
    for f in features(&v) {
        let keys: Vec<&String> = f["properties"]
            .as_object()
            .expect("object")
            .keys()
            .collect();
        assert_eq!(keys, ["id"], "{f}");
        assert_eq!(f["properties"]["id"], f["id"]);
        assert_eq!(f["geometry"]["type"], "Point");
    }
    for path in [
        "/v1/lieux/nearest?lat=48.8&lon=2.3&properties=nom,bogus",
        "/v1/lieux/nearest?lat=48.8&lon=2.3&properties=Nom",
        "/v1/lieux?properties=nom;adresse",
        "/v1/lieux/france-services-1?properties=geometry",
        "/collections/lieux/items?properties=x",
        "/collections/lieux/items/france-services-1?properties=x",
        "/v1/lieux/closest?lat=48.8&lon=2.3&properties=x",
        "/v1/lieux/nearest?lat=48.8&lon=2.3&properties=nom&properties=adresse",
    ] {
        assert_bad_param(&get(&st, path).await, "properties");
    }
    // the other endpoints do not take it
    assert_bad_param(
        &get(&st, "/v1/lieux.csv?properties=nom").await,
        "properties",
    );
}
