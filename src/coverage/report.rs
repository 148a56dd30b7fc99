//! Coverage results as files and figures: one row per commune, totals per département, région
//! and France, and the output folder (`communes.csv`, `totals.csv`, `run.json`) that
//! `lieux coverage` writes and `serve --coverage DIR` reads back.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{CommuneTime, CoverageError, Method};
use crate::dataset::Dataset;

/// The time bands of the totals, minutes.
pub const BANDS: [u32; 4] = [10, 20, 30, 45];

/// One commune's result, as written in `communes.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub code_insee: String,
    pub nom: String,
    pub code_departement: String,
    pub code_region: String,
    pub population: u64,
    /// Travel time to the nearest place, minutes (1 decimal); empty when none.
    pub minutes: Option<f64>,
    /// The same, seconds (rounded): totals use this column.
    pub seconds: Option<u64>,
    /// Id of the nearest place.
    pub lieu_id: Option<String>,
    /// `road`, `straight_line` or `none`.
    pub method: String,
}

impl Row {
    pub fn from_time(t: &CommuneTime, ds: &Dataset) -> Row {
        let c = &t.commune;
        Row {
            code_insee: c.code_insee.clone(),
            nom: c.nom.clone(),
            code_departement: c.code_departement.clone(),
            code_region: c.code_region.clone(),
            population: c.population,
            minutes: t.seconds.map(|s| (s / 6.0).round() / 10.0),
            seconds: t.seconds.map(|s| s.round() as u64),
            lieu_id: t.place.map(|slot| ds.lieu(slot).id.to_string()),
            method: t.method.as_str().to_owned(),
        }
    }

    pub fn method(&self) -> Method {
        Method::parse(&self.method).unwrap_or(Method::None)
    }
}

/// What a computation was run with, and how long it took (`run.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// `car` or `walk`.
    pub mode: String,
    /// The headline threshold (`--minutes`).
    pub minutes: u32,
    /// Filter parameters as given (`name`, `value`), in the API's vocabulary.
    pub filters: Vec<(String, String)>,
    pub graph: String,
    pub max_snap_m: f64,
    pub dataset_version: String,
    pub computed_at: String,
    pub places: usize,
    pub places_on_graph: usize,
    pub nodes: usize,
    pub nodes_settled: usize,
    pub index_ms: f64,
    pub search_ms: f64,
    pub communes_ms: f64,
}

/// Granularity of totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    France,
    Region,
    Departement,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::France => "france",
            Level::Region => "region",
            Level::Departement => "departement",
        }
    }

    fn key(self, r: &Row) -> &str {
        match self {
            Level::France => "FR",
            Level::Region => &r.code_region,
            Level::Departement => &r.code_departement,
        }
    }
}

/// Population totals of one territory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub code: String,
    pub communes: usize,
    pub population: u64,
    /// Population within each of [`BANDS`] minutes.
    pub within_bands: [u64; 4],
    /// Population within the requested minutes.
    pub within: u64,
    /// Population whose time is a straight-line estimate.
    pub population_straight_line: u64,
    pub communes_straight_line: usize,
    /// Population without a time (no coordinates, or no matching place).
    pub population_without_time: u64,
}

impl Totals {
    fn add(&mut self, r: &Row, minutes: u32) {
        self.communes += 1;
        self.population += r.population;
        if let Some(s) = r.seconds {
            for (i, b) in BANDS.iter().enumerate() {
                if s <= u64::from(*b) * 60 {
                    self.within_bands[i] += r.population;
                }
            }
            if s <= u64::from(minutes) * 60 {
                self.within += r.population;
            }
        }
        match r.method() {
            Method::StraightLine => {
                self.population_straight_line += r.population;
                self.communes_straight_line += 1;
            }
            Method::None => self.population_without_time += r.population,
            Method::Road => {}
        }
    }

    /// `part / population`, 0 for an empty territory.
    pub fn share(&self, part: u64) -> f64 {
        if self.population == 0 {
            0.0
        } else {
            part as f64 / self.population as f64
        }
    }
}

/// Totals per territory of `level`, sorted by code, with `minutes` as the requested threshold.
pub fn totals(rows: &[Row], level: Level, minutes: u32) -> Vec<Totals> {
    let mut by: BTreeMap<&str, Totals> = BTreeMap::new();
    for r in rows {
        let key = level.key(r);
        by.entry(key)
            .or_insert_with(|| Totals {
                code: key.to_owned(),
                ..Totals::default()
            })
            .add(r, minutes);
    }
    by.into_values().collect()
}

/// A finished computation: its parameters and one row per commune.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageReport {
    pub meta: RunMeta,
    pub rows: Vec<Row>,
}

const COMMUNES_CSV: &str = "communes.csv";
const TOTALS_CSV: &str = "totals.csv";
const RUN_JSON: &str = "run.json";

impl CoverageReport {
    /// Writes `communes.csv`, `totals.csv` and `run.json` into `dir` (created if needed).
    pub fn save(&self, dir: &Path) -> Result<(), CoverageError> {
        std::fs::create_dir_all(dir).map_err(|e| CoverageError::Io(e, dir.to_owned()))?;
        let path = dir.join(COMMUNES_CSV);
        let csv_err = |p: &Path| {
            let p = p.to_owned();
            move |e| CoverageError::Csv(e, p)
        };
        let mut w = csv::Writer::from_path(&path).map_err(csv_err(&path))?;
        for r in &self.rows {
            w.serialize(r).map_err(csv_err(&path))?;
        }
        w.flush().map_err(|e| CoverageError::Io(e, path.clone()))?;

        let path = dir.join(TOTALS_CSV);
        let mut w = csv::Writer::from_path(&path).map_err(csv_err(&path))?;
        // the headline threshold (`--minutes`, in run.json) has its own columns: it may differ
        // from the bands
        let m = self.meta.minutes;
        let mut header = vec!["level".to_owned(), "code".into(), "communes".into()];
        header.push("population".into());
        for b in BANDS {
            header.push(format!("population_{b}min"));
            header.push(format!("share_{b}min"));
        }
        header.extend([
            "population_within".to_owned(),
            "share_within".into(),
            "population_straight_line".into(),
            "share_straight_line".into(),
            "communes_straight_line".into(),
            "population_without_time".into(),
        ]);
        w.write_record(&header).map_err(csv_err(&path))?;
        for level in [Level::France, Level::Region, Level::Departement] {
            for t in totals(&self.rows, level, m) {
                let mut rec = vec![
                    level.as_str().to_owned(),
                    t.code.clone(),
                    t.communes.to_string(),
                    t.population.to_string(),
                ];
                for p in t.within_bands {
                    rec.push(p.to_string());
                    rec.push(format!("{:.4}", t.share(p)));
                }
                rec.extend([
                    t.within.to_string(),
                    format!("{:.4}", t.share(t.within)),
                    t.population_straight_line.to_string(),
                    format!("{:.4}", t.share(t.population_straight_line)),
                    t.communes_straight_line.to_string(),
                    t.population_without_time.to_string(),
                ]);
                w.write_record(&rec).map_err(csv_err(&path))?;
            }
        }
        w.flush().map_err(|e| CoverageError::Io(e, path.clone()))?;

        let path = dir.join(RUN_JSON);
        let json = serde_json::to_vec_pretty(&self.meta)
            .map_err(|e| CoverageError::Json(e, path.clone()))?;
        std::fs::write(&path, json).map_err(|e| CoverageError::Io(e, path.clone()))
    }

    /// Reads back a folder written by [`CoverageReport::save`].
    pub fn load(dir: &Path) -> Result<CoverageReport, CoverageError> {
        let path = dir.join(RUN_JSON);
        let bytes = std::fs::read(&path).map_err(|e| CoverageError::Io(e, path.clone()))?;
        let meta: RunMeta =
            serde_json::from_slice(&bytes).map_err(|e| CoverageError::Json(e, path.clone()))?;
        let path = dir.join(COMMUNES_CSV);
        let mut rdr =
            csv::Reader::from_path(&path).map_err(|e| CoverageError::Csv(e, path.clone()))?;
        let mut rows = Vec::new();
        for (i, r) in rdr.deserialize::<Row>().enumerate() {
            let r = r.map_err(|e| CoverageError::Csv(e, path.clone()))?;
            if Method::parse(&r.method).is_none() {
                return Err(CoverageError::Invalid {
                    path: path.clone(),
                    line: i as u64 + 2,
                    message: format!("unknown method {:?}", r.method),
                });
            }
            rows.push(r);
        }
        Ok(CoverageReport { meta, rows })
    }
}
