//! Raw producer files for `benches/import.sh`: the rows of a real raw file (a JSON array of
//! objects from `../shared/data/mednum-cli-sources/`) replicated up to `N` rows, each copy with
//! its own id, a position moved by up to ±2° (deterministic), and its own name and address
//! (the copy number is added to both), so that copies are distinct places rather than a
//! million records of 91 places for the de-duplication rule, and one row in 40
//! without coordinates (both set to `null`, as producers publish them). The mapping config of
//! the source file applies unchanged to the output.
//!
//! `cargo run --release --example raw_bench_data -- SOURCE.json N OUT.json`
//!
//! The output is written element by element (1 M rows of `la-creuse.json` are ~620 MB): nothing
//! but the source rows is held in memory.

use std::io::Write;

use serde_json::{Map, Value};

/// A value in [-2, 2) degrees from `seed`: the copies of one row spread over a region, as
/// distinct places are (within ±0.02°, 10 000 copies of one row would be a dense cluster of
/// same-named places, all duplicates of each other for the de-duplication rule).
fn jitter(seed: u64) -> f64 {
    lieux::testdata::Rng::new(seed).range(-2.0, 2.0)
}

/// Moves a coordinate that is a number or a numeric string; other values are kept.
fn moved(v: &Value, by: f64) -> Value {
    let x = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    };
    match x {
        Some(x) => serde_json::json!(((x + by) * 1e6).round() / 1e6),
        None => v.clone(),
    }
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
        for (key, salt) in [(&lat_key, 1), (&lon_key, 2)] {
            let Some(k) = key else { continue };
            let v = match row.get(k.as_str()) {
                _ if i % 40 == 39 => Value::Null,
                Some(v) => moved(v, jitter(i * 4 + salt)),
                None => continue,
            };
            row.insert(k.clone(), v);
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
