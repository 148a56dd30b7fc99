//! Command-line arguments (raw, clap) and the validated configuration the binary runs.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// lieux: nearest, open-now and in-area queries over France's lieux de médiation numérique.
#[derive(Debug, Parser)]
#[command(version, about, after_help = "Logging: RUST_LOG=debug (default info).")]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (default data: the embedded France Services 2022-12-01 list).
    Serve {
        /// Snapshot written by `lieux import`; the embedded default when absent.
        #[arg(long, env = "LIEUX_SNAPSHOT")]
        snapshot: Option<PathBuf>,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, env = "LIEUX_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Road graph written by `lieux graph build`: enables road travel times (without it,
        /// travel-time endpoints answer with straight-line estimates).
        #[arg(long, env = "LIEUX_GRAPH")]
        graph: Option<PathBuf>,
        /// Largest distance from a point to the road it is snapped to, metres.
        #[arg(long, env = "LIEUX_MAX_SNAP_M", default_value_t = crate::routing::DEFAULT_MAX_SNAP_M)]
        max_snap_m: f64,
    },
    /// Road graph tools.
    Graph {
        #[command(subcommand)]
        command: GraphCommand,
    },
    /// Build the offline base layer of the map page (département outlines) from the commune
    /// polygons of ../shared/data/communes.
    Basemap {
        /// Commune polygons (GeoJSON, optionally gzip), e.g.
        /// ../shared/data/communes/communes-france-polygons.geojson.gz
        #[arg(long)]
        communes: PathBuf,
        /// Output GeoJSON (the binary embeds data/departements.geojson).
        #[arg(long, default_value = "data/departements.geojson")]
        out: PathBuf,
    },
    /// Build the commune search table of the map page (names, postcodes, points) from
    /// ../shared/data/communes.
    Communes {
        /// e.g. ../shared/data/communes/communes-france.csv.gz
        #[arg(long)]
        communes: PathBuf,
        /// e.g. ../shared/data/communes/mednum-cli-communes-codes-postaux.json
        #[arg(long)]
        postcodes: PathBuf,
        /// Output (the binary embeds data/communes.tsv.gz).
        #[arg(long, default_value = "data/communes.tsv.gz")]
        out: PathBuf,
    },
    /// Import schema files (v1 CSV/JSON/GeoJSON, v0 JSON/CSV) into one snapshot.
    Import {
        /// Input files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Snapshot to write (atomically: a failed import leaves the previous one intact).
        #[arg(long)]
        out: PathBuf,
        /// Per-row report of rejected and repaired rows (CSV); default `<out>.report.csv`.
        #[arg(long)]
        report: Option<PathBuf>,
        #[command(flatten)]
        mapping: MappingArgs,
    },
}

/// `lieux import` options for raw producer files (see the README, "Mapping configs").
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MappingArgs {
    /// Mapping config (mednum-cli `*.config.json` format): the files are raw producer files
    /// (JSON array or CSV) mapped field by field into the schema.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// With --mapping: `date_maj` of rows without a usable date (default: today), YYYY-MM-DD.
    #[arg(long, requires = "mapping")]
    pub date_maj: Option<chrono::NaiveDate>,
    /// With --mapping: `source` of rows the config gives none.
    #[arg(long, requires = "mapping")]
    pub source: Option<String>,
    /// With --mapping: prefix added to every id (e.g. `france-services-`).
    #[arg(long, requires = "mapping")]
    pub id_prefix: Option<String>,
    /// Commune polygons (GeoJSON, optionally .gz, e.g.
    /// ../shared/data/communes/communes-france-polygons.geojson.gz): positions are checked
    /// against the row's commune (swapped latitude/longitude, points far outside).
    #[arg(long)]
    pub communes: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum GraphCommand {
    /// Build the car and walk road graphs (one file) from an OpenStreetMap PBF extract.
    Build {
        /// OpenStreetMap extract (`.osm.pbf`).
        #[arg(long)]
        osm: PathBuf,
        /// Graph file to write (atomically).
        #[arg(long)]
        out: PathBuf,
    },
}
