//! The addok test server shared by `tests/it/geocode.rs` and `benches/geocode.rs`: the France
//! Services rows without their coordinates, the addok documents generated from them, and
//! `tests/addok/setup.sh start`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

const FS_V1: &str = "france-services/france-services-20221201.v1.csv";

/// Great-circle distance in metres.
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1, lon2, lat2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// The France Services rows: the file with latitude/longitude emptied, and the true
/// (lon, lat) of each id that had coordinates.
pub struct Rows {
    pub without_coordinates: Vec<u8>,
    pub truth: HashMap<String, (f64, f64)>,
    pub records: Vec<HashMap<String, String>>,
}

pub fn fs_rows(data: &Path) -> Rows {
    let mut rdr = csv::Reader::from_path(data.join(FS_V1)).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let mut truth = HashMap::new();
    let mut records = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let row: HashMap<String, String> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_owned(), v.to_owned()))
            .collect();
        if let (Ok(lat), Ok(lon)) = (row["latitude"].parse(), row["longitude"].parse()) {
            truth.insert(row["id"].clone(), (lon, lat));
        }
        let blanked: Vec<&str> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| {
                if h == "latitude" || h == "longitude" {
                    ""
                } else {
                    v
                }
            })
            .collect();
        w.write_record(&blanked).unwrap();
        records.push(row);
    }
    Rows {
        without_coordinates: w.into_inner().unwrap(),
        truth,
        records,
    }
}

/// addok JSON lines: street documents with house numbers, municipality documents.
pub fn addok_documents(rows: &Rows) -> String {
    let number = regex::Regex::new(r"^(\d+)\s*(bis|ter|[a-d])?\b[\s,\-/\d]*(.*)$").unwrap();
    let mut streets: Vec<serde_json::Value> = Vec::new();
    let mut street_of: HashMap<(String, String), usize> = HashMap::new();
    let mut communes: HashMap<String, String> = HashMap::new();
    for r in &rows.records {
        let Some(&(lon, lat)) = rows.truth.get(&r["id"]) else {
            continue;
        };
        let (insee, cp, city) = (&r["code_insee"], &r["code_postal"], &r["commune"]);
        if insee.is_empty() || r["adresse"].is_empty() {
            continue;
        }
        communes.entry(insee.clone()).or_insert_with(|| cp.clone());
        let (hn, street) = match number.captures(&r["adresse"]) {
            Some(c) if !c[3].trim().is_empty() => (
                Some(format!("{}{}", &c[1], c.get(2).map_or("", |m| m.as_str()))),
                c[3].trim().to_owned(),
            ),
            _ => (None, r["adresse"].trim().to_owned()),
        };
        let key = (insee.clone(), lieux::commune_table::fold(&street));
        let i = *street_of.entry(key).or_insert_with(|| {
            streets.push(serde_json::json!({
                "id": format!("{insee}_{}", streets.len()), "type": "street", "name": street,
                "postcode": cp, "city": city, "citycode": insee, "lon": lon, "lat": lat,
                "importance": 0.5, "context": city, "housenumbers": {},
            }));
            streets.len() - 1
        });
        if let Some(hn) = hn
            && let Some(numbers) = streets[i]["housenumbers"].as_object_mut()
        {
            numbers
                .entry(hn)
                .or_insert_with(|| serde_json::json!({"lon": lon, "lat": lat}));
        }
    }
    let mut out = String::new();
    for s in &streets {
        out.push_str(&s.to_string());
        out.push('\n');
    }
    let table = lieux::commune_table::embedded();
    for c in table.all() {
        if let Some(cp) = communes.get(&c.code_insee) {
            let doc = serde_json::json!({
                "id": c.code_insee, "type": "municipality", "name": c.nom, "postcode": cp,
                "city": c.nom, "citycode": c.code_insee, "lon": c.lon, "lat": c.lat,
                "importance": 0.5,
            });
            out.push_str(&doc.to_string());
            out.push('\n');
        }
    }
    out
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Starts redis-server and addok on free loopback ports with `docs` indexed (files in `dir`);
/// they stop when this process exits. Returns the base URL.
pub fn start(dir: &Path, docs: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/addok/setup.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(dir)
        .arg(docs)
        .arg(free_port().to_string())
        .arg(free_port().to_string())
        .arg(std::process::id().to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tests/addok/setup.sh start failed ({}); .ci/run installs redis-server and the addok venv",
        out.status
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned()
}
