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
        #[command(flatten)]
        limits: LimitArgs,
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
    },
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

/// Request limits of `lieux serve` (see [`crate::http::limits`]).
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Sustained requests per second allowed per client IP; beyond: 429 with Retry-After.
    /// 0 (default) turns the rate limit off: behind a reverse proxy every client has the
    /// proxy's address.
    #[arg(long, env = "LIEUX_RATE_LIMIT", default_value_t = 0.0)]
    pub rate_limit: f64,
    /// Requests a client may send at once above the sustained rate; 0: twice the rate.
    #[arg(long, env = "LIEUX_RATE_BURST", default_value_t = 0)]
    pub rate_burst: u32,
    /// Requests handled at once; more wait for a slot, up to the timeout (then 503).
    #[arg(long, env = "LIEUX_MAX_IN_FLIGHT", default_value_t = crate::http::limits::DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    /// Open connections; more wait in the listen backlog.
    #[arg(long, env = "LIEUX_MAX_CONNECTIONS", default_value_t = crate::http::limits::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Longest time to answer a request, seconds; beyond: 503.
    #[arg(long, env = "LIEUX_REQUEST_TIMEOUT_S", default_value_t = crate::http::limits::DEFAULT_TIMEOUT_S)]
    pub request_timeout_s: f64,
}

impl LimitArgs {
    /// The validated limits.
    pub fn limits(&self) -> Result<crate::http::limits::Limits, crate::http::limits::LimitsError> {
        crate::http::limits::Limits::new(
            self.rate_limit,
            self.rate_burst,
            self.max_in_flight,
            self.max_connections,
            self.request_timeout_s,
        )
    }
}
