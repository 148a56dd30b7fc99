//! Map front end data: `/v1/lieux.json` (the national web component's format) checked against
//! the schema v0 enumerations of ../shared/data/schema/enums.json and the library, and
//! `/v1/communes` against the commune table of ../shared/data/communes.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;

use lieux::Dataset;
use lieux::http::{AppState, routes};
use serde_json::Value;

use crate::util::shared_data;

async fn get(state: &AppState, path: &str) -> (u16, Value) {
    let res = warp::test::request()
        .method("GET")
        .path(path)
        .reply(&routes(state.clone()))
        .await;
    let body = serde_json::from_slice(res.body())
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {:?}", res.body()));
    (res.status().as_u16(), body)
}

/// v0 enumerations per list field, from the schema file (not from our code).
fn v0_enums() -> Option<HashMap<String, BTreeSet<String>>> {
    let text = std::fs::read_to_string(shared_data()?.join("schema/enums.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let mut out = HashMap::new();
    for (field, spec) in v["v0"]["fields"].as_object()? {
        if let Some(values) = spec["enum"].as_array() {
            out.insert(
                field.clone(),
                values
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
            );
        }
    }
    Some(out)
}

/// Every rule the component (npm @gouvfr-anct/cartographie-nationale 5.22.0) applies before it
/// accepts the array; one failure would leave its map empty.
fn assert_component_accepts(records: &[Value], enums: &HashMap<String, BTreeSet<String>>) {
    for r in records {
        let o = r.as_object().expect("object");
        for f in [
            "id",
            "pivot",
            "nom",
            "commune",
            "code_postal",
            "adresse",
            "date_maj",
            "services",
        ] {
            assert!(
                o.get(f)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "{f} in {r}"
            );
        }
        let pivot = o["pivot"].as_str().unwrap_or("");
        assert!(
            pivot.chars().count() == 14 || (pivot.len() == 10 && pivot.starts_with('W')),
            "{r}"
        );
        let cp = o["code_postal"].as_str().unwrap_or("");
        assert!(
            cp.len() == 5 && cp.bytes().all(|b| b.is_ascii_digit()),
            "{r}"
        );
        for (field, allowed) in enums {
            let Some(v) = o.get(field) else { continue };
            let s = v
                .as_str()
                .unwrap_or_else(|| panic!("{field} must be a string: {r}"));
            for item in s.split(';') {
                assert!(
                    allowed.contains(item),
                    "{field} value {item:?} not in schema v0: {r}"
                );
            }
        }
        for (k, v) in o {
            match k.as_str() {
                "latitude" | "longitude" => assert!(v.is_f64(), "{k} number: {r}"),
                _ => assert!(
                    v.as_str().is_some_and(|s| !s.is_empty()),
                    "{k} non-empty string: {r}"
                ),
            }
        }
        // the commune and address character classes of the component (letters, digits, accents)
        assert!(
            o["commune"]
                .as_str()
                .unwrap_or("")
                .chars()
                .all(|c| c.is_alphanumeric() || " -'’".contains(c)),
            "{r}"
        );
    }
}

#[tokio::test]
async fn lieux_json_lists_every_place_with_services_in_the_components_format() {
    let ds = Dataset::embedded().expect("embedded");
    let want: Vec<String> = ds
        .lieux()
        .iter()
        .filter(|l| !l.services.is_empty())
        .map(|l| l.id.to_string())
        .collect();
    let state = AppState::new(ds);
    // every place: the 2022 list publishes 7 places twice (crate::dedup), keep both records
    let (status, v) = get(&state, "/v1/lieux.json?exclure_doublons=false").await;
    assert_eq!(status, 200);
    let records = v.as_array().expect("a JSON array");
    let ids: Vec<String> = records
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids, want, "every place with a service, in id order");
    assert_eq!(ids.len(), 2657, "France Services all list their services");
    let fs1 = records
        .iter()
        .find(|r| r["id"] == "france-services-1")
        .expect("france-services-1");
    assert_eq!(fs1["labels_nationaux"], "France Services");
    assert_eq!(fs1["typologie"], "RFS");
    assert_eq!(fs1["telephone"], "+33450568749");
    assert_eq!(fs1["courriel"], "franceservices@ccpb01.fr");
    assert_eq!(
        fs1["conditions_acces"],
        "Gratuit : Je peux accéder gratuitement au lieu et à ses services"
    );
    if let Some(enums) = v0_enums() {
        assert!(enums.contains_key("services") && enums.contains_key("labels_nationaux"));
        assert_component_accepts(records, &enums);
    }

    // filters and selection apply as on /v1/lieux
    let q = "dispositif_programmes_nationaux=France%20Services&territoire_type=departements&territoires=69,2A";
    let (_, filtered) = get(&state, &format!("/v1/lieux.json?{q}")).await;
    let (_, geo) = get(&state, &format!("/v1/lieux?{q}")).await;
    let n = filtered.as_array().map(Vec::len).unwrap_or(0);
    assert!(n > 5, "{n}");
    assert_eq!(Some(n as u64), geo["numberMatched"].as_u64());
    let (_, page) = get(&state, "/v1/lieux.json?bbox=4.7,45.6,5.0,45.9&limit=3").await;
    assert_eq!(page.as_array().map(Vec::len), Some(3));
    let (_, none) = get(&state, "/v1/lieux.json?bbox=-30,10,-29,11").await;
    assert_eq!(none, serde_json::json!([]));

    let (status, err) = get(&state, "/v1/lieux.json?servises=x").await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["parameter"], "servises");
}

#[tokio::test]
async fn lieux_json_of_real_v0_exports_passes_the_components_checks() {
    let (Some(dir), Some(enums)) = (shared_data(), v0_enums()) else {
        return;
    };
    // files the national pipeline itself produced for the component, imported (v0 → v1) and
    // written back: varied services, publics, labels, typologies, URLs and phone numbers
    for name in [
        "hinaura-687.json",
        "charente-20230711.json",
        "nouvelle-caledonie-20240320.json",
    ] {
        let path = dir.join("cartographie-nationale-v0").join(name);
        let outcome = lieux::import::read_path(&path).expect("import");
        let with_services = outcome
            .lieux
            .iter()
            .filter(|l| !l.services.is_empty())
            .count();
        let state = AppState::new(Dataset::new(outcome.lieux));
        let (status, v) = get(&state, "/v1/lieux.json?exclure_doublons=false").await;
        assert_eq!(status, 200);
        let records = v.as_array().expect("array");
        assert_eq!(records.len(), with_services, "{name}");
        assert!(records.len() > 50, "{name}: {}", records.len());
        assert_component_accepts(records, &enums);
        // values seen in the original file come back: the v0 → v1 → v0 trip keeps services
        let raw: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        let original: HashMap<&str, &Value> = raw
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|r| Some((r["id"].as_str()?, r)))
            .collect();
        let mut phones = 0;
        for r in records {
            let Some(o) = r["id"].as_str().and_then(|id| original.get(id)) else {
                continue;
            };
            if o["telephone"].is_string() && r["telephone"].is_string() {
                phones += 1;
            }
            // the import trims values
            assert_eq!(r["nom"].as_str(), o["nom"].as_str().map(str::trim), "{r}");
        }
        assert!(
            phones > 0 || name.starts_with("nouvelle"),
            "{name}: phones kept"
        );
    }
}

#[tokio::test]
async fn communes_are_found_by_name_without_accents_and_by_postcode() {
    let state = AppState::new(Dataset::embedded().expect("embedded"));
    let first = |v: &Value| {
        v["communes"][0]["code_insee"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    for (q, code) in [
        ("clermont-ferrand", "63113"),
        ("CLERMONT FERRAND", "63113"),
        ("saint etienne", "42218"),
        ("St-Étienne", "42218"),
        ("Lyon", "69123"),
        ("ferrand", "63113"),
        ("63000", "63113"),
        ("97400", "97411"),
    ] {
        let (status, v) = get(&state, &format!("/v1/communes?q={}", q.replace(' ', "%20"))).await;
        assert_eq!(status, 200, "{q}: {v}");
        assert_eq!(first(&v), code, "{q}: {v}");
    }
    let (_, v) = get(&state, "/v1/communes?q=%C3%A9tretat").await;
    assert_eq!(v["communes"][0]["nom"], "Étretat");
    let (_, v) = get(&state, "/v1/communes?q=750&limit=50").await;
    let n = v["communes"].as_array().map(Vec::len).unwrap_or(0);
    assert!(n >= 20, "Paris arrondissements by postcode: {v}");
    let (_, v) = get(&state, "/v1/communes?q=zzzzqx").await;
    assert_eq!(v["communes"], serde_json::json!([]));
    for (path, param) in [
        ("/v1/communes", "q"),
        ("/v1/communes?q=%20", "q"),
        ("/v1/communes?q=lyon&limit=0", "limit"),
        ("/v1/communes?q=lyon&limit=51", "limit"),
        ("/v1/communes?q=lyon&k=3", "k"),
        ("/v1/communes?q=lyon&q=paris", "q"),
    ] {
        let (status, v) = get(&state, path).await;
        assert_eq!(status, 400, "{path}: {v}");
        assert_eq!(v["error"]["parameter"], param, "{path}");
    }
}

#[test]
fn every_commune_of_the_source_is_found_by_its_own_name() {
    let Some(dir) = shared_data() else { return };
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(dir.join("communes/communes-france.csv.gz")).expect("open"),
    )
    .read_to_string(&mut text)
    .expect("gunzip");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().expect("headers").clone();
    let col = |n: &str| h.iter().position(|x| x == n).expect(n);
    let (code, typ, nom, lon) = (
        col("code_insee"),
        col("type"),
        col("nom"),
        col("interior_lon"),
    );
    let table = lieux::commune_table::embedded();
    let mut expected = 0;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.expect("record");
        if !matches!(&rec[typ], "COM" | "ARM") || rec[lon].is_empty() {
            continue;
        }
        expected += 1;
        if i % 97 != 0 {
            continue; // a sample of ~390 names keeps the test quick
        }
        let hits = table.search(&rec[nom], 50);
        assert!(
            hits.iter().any(|c| c.code_insee == rec[code]),
            "{} ({}) not found by its name",
            &rec[nom],
            &rec[code]
        );
    }
    assert_eq!(table.len(), expected, "COM and ARM with a position");
    let with_cp = table
        .all()
        .iter()
        .filter(|c| !c.codes_postaux.is_empty())
        .count();
    assert!(
        with_cp * 100 / table.len() >= 85,
        "{with_cp} of {} have a postcode",
        table.len()
    );
}
