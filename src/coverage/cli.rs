//! `lieux coverage`: loads the graph, the places and the communes, computes, and writes the
//! output folder and the map, with a progress bar.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;

use super::report::{CoverageReport, Row, RunMeta};
use super::{CoverageError, Prepared, commune_list, compute, map};
use crate::dataset::Dataset;
use crate::filter::Filter;
use crate::routing::{Profile, RoadNetwork};

/// Default communes file (relative to the working directory: run from the repository).
pub const DEFAULT_COMMUNES: &str = "../shared/data/communes/communes-france.csv.gz";
/// Default commune polygons for the map (same).
pub const DEFAULT_POLYGONS: &str = "../shared/data/communes/communes-france-polygons.geojson.gz";

/// Validated options of `lieux coverage`.
#[derive(Debug, Clone)]
pub struct Options {
    pub graph: PathBuf,
    pub profile: Profile,
    pub minutes: u32,
    /// `NAME=VALUE` filter parameters, the API's vocabulary.
    pub filters: Vec<(String, String)>,
    pub snapshot: Option<PathBuf>,
    pub communes: PathBuf,
    /// Commune polygons for the map; dots when `None` or absent.
    pub polygons: Option<PathBuf>,
    pub max_snap_m: f64,
    pub out: PathBuf,
    pub progress: bool,
}

/// What `lieux coverage` did, for its summary line.
#[derive(Debug, Clone)]
pub struct Summary {
    pub report: CoverageReport,
    pub drawn: usize,
    pub map_from_polygons: bool,
    pub load_ms: f64,
}

/// Errors of the command: its inputs, then the computation's.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Coverage(#[from] CoverageError),
    #[error("loading road graph {1}")]
    Graph(#[source] crate::routing::GraphError, PathBuf),
    #[error("loading the places")]
    Dataset(#[source] crate::Error),
    #[error("--filter {0}")]
    Filter(#[source] crate::filter::FilterError),
    #[error("reading snapshot {1}")]
    Snapshot(#[source] std::io::Error, PathBuf),
}

/// Parses `NAME=VALUE` pairs into a [`Filter`].
pub fn filter_of(pairs: &[(String, String)]) -> Result<Filter, crate::filter::FilterError> {
    Filter::from_pairs(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        Utc::now(),
    )
}

/// Runs the command.
pub fn run(o: &Options) -> Result<Summary, CliError> {
    let started = Instant::now();
    let filter = filter_of(&o.filters).map_err(CliError::Filter)?;
    let ds = match &o.snapshot {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| CliError::Snapshot(e, p.clone()))?;
            Dataset::from_snapshot(&bytes).map_err(CliError::Dataset)?
        }
        None => Dataset::embedded().map_err(CliError::Dataset)?,
    };
    let network = RoadNetwork::load(&o.graph).map_err(|e| CliError::Graph(e, o.graph.clone()))?;
    let list = commune_list::read(&o.communes)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;

    let g = network.graph(o.profile);
    let t = Instant::now();
    let prepared = Prepared::new(g);
    let index = t.elapsed();
    let bar = if o.progress {
        let bar = indicatif::ProgressBar::new(list.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("communes [{bar:40}] {pos}/{len} ({elapsed})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let points: HashMap<String, (f64, f64)> = list
        .iter()
        .filter_map(|c| c.point.map(|p| (c.code_insee.clone(), p)))
        .collect();
    let (times, stats) = compute(&prepared, &ds, &filter, list, o.max_snap_m, || bar.inc(1));
    bar.finish();
    let rows: Vec<Row> = times.iter().map(|t| Row::from_time(t, &ds)).collect();
    let report = CoverageReport {
        meta: RunMeta {
            mode: o.profile.as_str().to_owned(),
            minutes: o.minutes,
            filters: o.filters.clone(),
            graph: o.graph.display().to_string(),
            max_snap_m: o.max_snap_m,
            dataset_version: ds.version().to_owned(),
            computed_at: Utc::now().to_rfc3339(),
            places: stats.places,
            places_on_graph: stats.places_on_graph,
            nodes: stats.nodes,
            nodes_settled: stats.nodes_settled,
            index_ms: index.as_secs_f64() * 1e3,
            search_ms: stats.search.as_secs_f64() * 1e3,
            communes_ms: stats.communes.as_secs_f64() * 1e3,
        },
        rows,
    };
    report.save(&o.out)?;
    let polygons = o.polygons.as_deref().filter(|p| p.is_file());
    let title = map_title(o.profile, &o.filters);
    let drawn = map::write_svg(
        &report.rows,
        &points,
        polygons,
        &title,
        &o.out.join("map.svg"),
    )?;
    Ok(Summary {
        report,
        drawn,
        map_from_polygons: polygons.is_some(),
        load_ms,
    })
}

/// The summary the command prints: France totals, estimates, timings.
pub fn summary_text(s: &Summary, o: &Options) -> String {
    use super::report::{BANDS, Level, totals};
    let m = &s.report.meta;
    let mut out = String::new();
    if let Some(t) = totals(&s.report.rows, Level::France, o.minutes).first() {
        let bands: Vec<String> = BANDS
            .iter()
            .zip(t.within_bands)
            .map(|(b, p)| format!("≤{b} min {:.1} %", 100.0 * t.share(p)))
            .collect();
        out.push_str(&format!(
            "{} communes, population {}: {}; within {} min: {} ({:.1} %); \
             straight-line estimates: {} communes, population {} ({:.1} %); without time: {}\n",
            t.communes,
            t.population,
            bands.join(", "),
            o.minutes,
            t.within,
            100.0 * t.share(t.within),
            t.communes_straight_line,
            t.population_straight_line,
            100.0 * t.share(t.population_straight_line),
            t.population_without_time,
        ));
    }
    out.push_str(&format!(
        "{} places ({} on the graph); graph {} nodes, {} settled; load {:.0} ms, snapping index \
         {:.0} ms, search {:.0} ms, communes {:.0} ms; map: {} communes ({}); written to {}",
        m.places,
        m.places_on_graph,
        m.nodes,
        m.nodes_settled,
        s.load_ms,
        m.index_ms,
        m.search_ms,
        m.communes_ms,
        s.drawn,
        if s.map_from_polygons {
            "polygons"
        } else {
            "dots"
        },
        o.out.display()
    ));
    out
}

/// The title of the coverage map (French): mode and filters.
pub fn map_title(profile: Profile, filters: &[(String, String)]) -> String {
    let mode = match profile {
        Profile::Car => "en voiture",
        Profile::Walk => "à pied",
    };
    let mut title = format!("Temps {mode} jusqu’au lieu le plus proche");
    if !filters.is_empty() {
        let f: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        title.push_str(&format!(" ({})", f.join(", ")));
    }
    title
}
