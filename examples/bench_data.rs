//! Data for `benches/postgis.sh`: the same places for lieux (FlatGeobuf snapshots) and for
//! PostgreSQL (CSV `id,fs,lon,lat`, `fs` = France Services), at three sizes:
//!
//! - `fs`: the embedded France Services (2 657 places, 2 627 positioned);
//! - `communes`: one place per commune interior point (34 871), every tenth a France Services;
//! - `synthetic`: 1 000 000 generated places ([`lieux::testdata::synthetic_lieux`]).
//!
//! `cargo run --release --example bench_data -- OUT_DIR [COMMUNES_CSV_GZ]`

use std::io::Write;
use std::path::{Path, PathBuf};

use lieux::model::{Dispositif, Lieu, Position};

fn write_pg_csv(path: &Path, lieux: &[Lieu]) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    for l in lieux {
        if let Some(p) = l.position {
            let fs = l
                .dispositif_programmes_nationaux
                .contains(&Dispositif::FranceServices);
            writeln!(w, "{},{},{},{}", l.id, fs, p.lon, p.lat)?;
        }
    }
    w.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: bench_data OUT_DIR [COMMUNES]")?);
    let communes = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/data/communes/communes-france.csv.gz".into()),
    );
    std::fs::create_dir_all(&out)?;

    let fs = lieux::Dataset::embedded()?.lieux().to_vec();
    let mut sets: Vec<(&str, Vec<Lieu>)> = vec![("fs", fs)];
    if communes.is_file() {
        let list = lieux::coverage::commune_list::read(&communes)?;
        let places: Vec<Lieu> = list
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let (lon, lat) = c.point?;
                let mut l = lieux::testdata::lieu(
                    format!("c{}", c.code_insee),
                    Some(Position { lon, lat }),
                );
                l.code_insee = Some(c.code_insee.as_str().into());
                if i % 10 == 0 {
                    l.dispositif_programmes_nationaux
                        .push(Dispositif::FranceServices);
                }
                Some(l)
            })
            .collect();
        sets.push(("communes", places));
    } else {
        eprintln!("{} absent: no commune set", communes.display());
    }
    sets.push(("synthetic", lieux::testdata::synthetic_lieux(1_000_000, 42)));
    for (name, lieux) in &sets {
        lieux::import::write_snapshot(&out.join(format!("{name}.fgb")), lieux)?;
        write_pg_csv(&out.join(format!("{name}.csv")), lieux)?;
        eprintln!("{name}: {} places", lieux.len());
    }
    Ok(())
}
