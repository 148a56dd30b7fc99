//! Raw producer files for `benches/import.sh`: the rows of a real raw file (a JSON array of
//! objects from `../shared/data/mednum-cli-sources/`) replicated up to `N` rows, each copy with
//! its own id, its own name and address (the copy number is added to both), so that copies are
//! distinct places rather than a million records of 91 places for the de-duplication rule, and
//! one row in 40 without coordinates (both set to `null`, as producers publish them). Each copy
//! is moved to a random point near a real commune (deterministic: up to ±0.03° from the
//! interior point of a commune picked among the embedded table), and its commune, postcode and
//! INSEE code fields (when the source has them) name the commune whose shape holds that point,
//! as real rows do; the import's commune check then passes them as it passes good real rows.
//! (Positions moved by ±2° without their commune, as this generator made them before, are 98 %
//! bad positions; copies at the interior point itself pile 30 places within 150 m in every
//! commune, which the de-duplication compares pairwise.) The mapping config of the source file
//! applies unchanged to the output.
//!
//! `cargo run --release --example raw_bench_data -- SOURCE.json N OUT.json`
//!
//! The output is written element by element (1 M rows of `la-creuse.json` are ~620 MB): nothing
//! but the source rows is held in memory.

use std::io::Write;

use serde_json::{Map, Value};

/// A value in [-0.03, 0.03) degrees from `seed`: a copy's offset from the interior point of the
/// commune it was sent to (about 3 km: it may land in a neighbour, which then names it).
fn jitter(seed: u64) -> f64 {
    lieux::testdata::Rng::new(seed).range(-0.03, 0.03)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: raw_bench_data SOURCE.json N OUT.json";
    let source = args.next().ok_or(usage)?;
    let n: u64 = args.next().ok_or(usage)?.parse()?;
    let out = args.next().ok_or(usage)?;
    let rows: Vec<Map<String, Value>> = serde_json::from_slice(&std::fs::read(&source)?)?;
    if rows.is_empty() {
        return Err(format!("{source}: no rows").into());
    }
    // The id column, and the coordinate columns, as the source names them.
    let find = |names: &[&str]| {
        names
            .iter()
            .find(|k| rows[0].contains_key(**k))
            .map(|k| (*k).to_owned())
    };
    let id_key = find(&["id", "ID", "Id"]);
    let name_key = find(&["nom", "Nom", "name", "NOM"]);
    let address_key = find(&["adresse", "Adresse", "address", "ADRESSE"]);
    let lat_key = find(&["latitude", "lat", "LAT", "bf_latitude"]);
    let lon_key = find(&["longitude", "long", "lon", "LNG", "bf_longitude"]);
    let commune_key = find(&["commune", "Commune", "ville", "COMMUNE"]);
    let postcode_key = find(&["code_postal", "Code postal", "cp", "CODE_POSTAL"]);
    let insee_key = find(&["code_insee", "insee", "CODE_INSEE"]);
    // communes with a postcode, to move the copies to
    let communes: Vec<&lieux::commune_table::CommuneEntry> = lieux::commune_table::embedded()
        .all()
        .iter()
        .filter(|c| !c.codes_postaux.is_empty())
        .collect();
    if communes.is_empty() {
        return Err("the embedded commune table is empty".into());
    }
    let shapes = lieux::import::CommuneShapes::embedded();

    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    w.write_all(b"[\n")?;
    for i in 0..n {
        let mut row = rows[(i % rows.len() as u64) as usize].clone();
        if let Some(k) = &id_key {
            row.insert(k.clone(), Value::from(i + 1));
        }
        let copy = i / rows.len() as u64;
        if copy > 0 {
            for (key, text) in [
                (&name_key, format!(" {copy}")),
                (&address_key, format!(" bâtiment {copy}")),
            ] {
                let Some(k) = key else { continue };
                if let Some(Value::String(v)) = row.get_mut(k.as_str()) {
                    v.push_str(&text);
                }
            }
        }
        if copy > 0 {
            // a point near a random commune, named by the commune whose shape holds it (a few
            // tries for points that fall in the sea)
            let placed = (0..8).find_map(|t| {
                let c = communes[lieux::testdata::Rng::new(i * 8 + t).below(communes.len())];
                let lon = ((c.lon + jitter(i * 16 + t * 2)) * 1e6).round() / 1e6;
                let lat = ((c.lat + jitter(i * 16 + t * 2 + 1)) * 1e6).round() / 1e6;
                let s = shapes.at(lon, lat, 0.0)?;
                Some((s, s.codes_postaux.first()?.clone(), lon, lat))
            });
            if let Some((c, postcode, lon, lat)) = placed {
                for (key, value) in [
                    (&commune_key, Value::from(c.nom.clone())),
                    (&postcode_key, Value::from(postcode)),
                    (&insee_key, Value::from(c.code_insee.clone())),
                    (&lat_key, serde_json::json!(lat)),
                    (&lon_key, serde_json::json!(lon)),
                ] {
                    if let Some(k) = key {
                        row.insert(k.clone(), value);
                    }
                }
            }
        }
        if i % 40 == 39 {
            for k in [&lat_key, &lon_key].into_iter().flatten() {
                row.insert(k.clone(), Value::Null);
            }
        }
        if i > 0 {
            w.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut w, &row)?;
    }
    w.write_all(b"\n]\n")?;
    w.flush()?;
    eprintln!("{n} rows written to {out}");
    Ok(())
}
