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
        /// Folder written by `lieux coverage`: served on `/v1/coverage`.
        #[arg(long, env = "LIEUX_COVERAGE")]
        coverage: Option<PathBuf>,
        /// Folder of mapping configs (`NAME.config.json`): `POST /v1/imports?mapping=NAME`
        /// imports raw producer files with them.
        #[arg(long, env = "LIEUX_MAPPINGS")]
        mappings: Option<PathBuf>,
        /// BAN-compatible geocoder base URL (api-adresse, addok) for `/v1/adresses` and the
        /// `adresse` parameter; without it, or when it fails, the embedded commune table answers.
        #[arg(long, env = "LIEUX_GEOCODER")]
        geocoder: Option<String>,
        /// Longest wait for the geocoder, milliseconds, before the commune table answers.
        #[arg(long, env = "LIEUX_GEOCODER_TIMEOUT_MS", default_value_t = 2000,
              value_parser = clap::value_parser!(u64).range(1..=60_000))]
        geocoder_timeout_ms: u64,
        /// MapLibre style URL (http:// or https://) the map page draws its base map with, e.g.
        /// IGN Plan's vector style or an OpenMapTiles host; without it, the offline layers
        /// (départements, commune names, and the roads of `--graph`).
        #[arg(long, env = "LIEUX_BASEMAP_STYLE", value_parser = parse_style_url)]
        basemap_style: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        replica: ReplicaArgs,
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
    /// Build the commune shapes every import checks positions against (simplified exterior
    /// rings, compact binary) from the commune polygons of ../shared/data/communes.
    CommuneShapes {
        /// Commune polygons (GeoJSON, optionally gzip), e.g.
        /// ../shared/data/communes/communes-france-polygons.geojson.gz
        #[arg(long)]
        communes: PathBuf,
        /// Output (the binary embeds data/communes-shapes.bin.gz).
        #[arg(long, default_value = "data/communes-shapes.bin.gz")]
        out: PathBuf,
    },
    /// Generate the SDF glyph PBFs of the map's labels (ranges 0-255, 256-511, 8192-8447) from a
    /// font file, into `OUT/{family style}/{range}.pbf`.
    Glyphs {
        /// TrueType/OpenType font of one face (Debian fonts-dejavu-core).
        #[arg(
            long,
            default_value = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        )]
        font: PathBuf,
        /// Output folder (the binary embeds data/fonts).
        #[arg(long, default_value = "data/fonts")]
        out: PathBuf,
    },
    /// Exit 0 when URL answers 2xx within the timeout, 1 otherwise: the container
    /// `HEALTHCHECK` of an image that holds the binary alone (no curl).
    Probe {
        /// e.g. http://127.0.0.1:8080/ready
        #[arg(default_value = "http://127.0.0.1:8080/ready")]
        url: String,
        /// Seconds allowed for the answer.
        #[arg(long, default_value_t = 3.0)]
        timeout_s: f64,
    },
    /// Travel time from every commune to the nearest matching place (one multi-source search),
    /// with totals per département, région and France and an SVG map, written into `--out`.
    Coverage(CoverageArgs),
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
    #[command(flatten)]
    pub geocode: GeocodeArgs,
}

/// `lieux import` geocoding of rows without usable coordinates (see the README, "Geocoding").
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GeocodeArgs {
    /// Place rows without usable coordinates: a BAN geocoder base URL (the `/search/csv/`
    /// protocol of api-adresse.data.gouv.fr and addok, e.g. http://127.0.0.1:7878), then a
    /// point inside the row's commune for what it cannot place; or `offline` for the commune
    /// fallback alone. Default: no geocoding (such rows are kept without position).
    #[arg(long, value_name = "URL|offline")]
    pub geocoder: Option<String>,
    /// Cache of the BAN geocoder's answers (JSON lines, created if absent); default
    /// `$XDG_CACHE_HOME/lieux/geocode-<host>.jsonl` (`~/.cache/lieux/…`).
    #[arg(long, requires = "geocoder")]
    pub geocoder_cache: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum GraphCommand {
    /// Build the car and walk road graphs (one file) from one or several OpenStreetMap PBF
    /// extracts (e.g. regions and overseas territories): extracts whose roads meet are joined,
    /// the others stay separate parts of the graph.
    Build {
        /// OpenStreetMap extracts (`.osm.pbf`), as arguments or with `--osm` (repeatable).
        #[arg(value_name = "OSM")]
        extracts: Vec<PathBuf>,
        /// OpenStreetMap extract (`.osm.pbf`); repeatable.
        #[arg(long = "osm", value_name = "OSM", required_unless_present = "extracts")]
        osm: Vec<PathBuf>,
        /// Graph file to write (atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a synthetic OpenStreetMap PBF with France's proportions (roads only: ~100 M way
    /// nodes, ~15 M ways, France's highway mix, turn restrictions, islands and ferries), to
    /// prove `lieux graph build` at France's size.
    Synth {
        /// Road nodes of metropolitan France (about); France's OSM roads have ~100 M.
        #[arg(long, default_value_t = 100_000_000)]
        nodes: u64,
        /// Seed: the same nodes and seed always write the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write Réunion, Martinique, Guadeloupe, Guyane and Mayotte, each to
        /// `STEM-TERRITORY.osm.pbf` beside `--out`.
        #[arg(long)]
        overseas: bool,
        /// The PBF to write (metropolitan France), e.g. /tmp/france.osm.pbf.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Arguments of `lieux coverage`.
#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Road graph written by `lieux graph build`.
    #[arg(long)]
    pub graph: PathBuf,
    /// Travel mode: car or walk.
    #[arg(long, default_value = "car")]
    pub mode: String,
    /// Headline threshold, minutes (totals always include 10, 20, 30 and 45).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub minutes: u32,
    /// A filter of the API, `NAME=VALUE` (repeatable), e.g.
    /// `--filter 'dispositif_programmes_nationaux=France Services'`.
    #[arg(long = "filter")]
    pub filters: Vec<String>,
    /// Snapshot written by `lieux import`; the embedded France Services when absent.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// Communes (CSV, optionally gzip) with interior points and population.
    #[arg(long, default_value = crate::coverage::cli::DEFAULT_COMMUNES)]
    pub communes: PathBuf,
    /// Commune polygons for the map (GeoJSON, optionally gzip); dots when the file is absent.
    #[arg(long, default_value = crate::coverage::cli::DEFAULT_POLYGONS)]
    pub polygons: PathBuf,
    /// Largest distance from a commune point or a place to its road, metres.
    #[arg(long, default_value_t = crate::routing::DEFAULT_MAX_SNAP_M)]
    pub max_snap_m: f64,
    /// Output folder: communes.csv, totals.csv, run.json, map.svg.
    #[arg(long)]
    pub out: PathBuf,
}

impl CoverageArgs {
    /// Validates into the command's options.
    pub fn options(self, progress: bool) -> Result<crate::coverage::cli::Options, String> {
        let profile = self
            .mode
            .parse()
            .map_err(|()| format!("--mode: expected car or walk, got {:?}", self.mode))?;
        if !(self.max_snap_m.is_finite() && self.max_snap_m >= 0.0) {
            return Err("--max-snap-m must be a non-negative number of metres".into());
        }
        let filters = self
            .filters
            .iter()
            .map(|f| {
                f.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .ok_or_else(|| format!("--filter: expected NAME=VALUE, got {f:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::coverage::cli::Options {
            graph: self.graph,
            profile,
            minutes: self.minutes,
            filters,
            snapshot: self.snapshot,
            communes: self.communes,
            polygons: Some(self.polygons),
            max_snap_m: self.max_snap_m,
            out: self.out,
            progress,
        })
    }
}

/// Request limits of `lieux serve` (see [`crate::http::limits`]).
/// Replica options of `serve`: follow the snapshot a primary publishes, seed a primary's.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplicaArgs {
    /// Follow this snapshot URL (a primary's `http://HOST:PORT/v1/snapshot`): poll it, verify
    /// each new version (length, Repr-Digest, full load, content hash = ETag) and swap it in.
    /// Not ready (`/ready` and data endpoints 503) until the first version is loaded or
    /// confirmed. `--snapshot FILE` is then an optional warm start.
    #[arg(long, env = "LIEUX_FOLLOW")]
    pub follow: Option<String>,
    /// Seconds between two polls of `--follow` (jittered ±20 %).
    #[arg(
        long,
        env = "LIEUX_FOLLOW_INTERVAL_S",
        default_value_t = 10.0,
        requires = "follow"
    )]
    pub follow_interval_s: f64,
    /// Largest snapshot a follower accepts, MB.
    #[arg(
        long,
        env = "LIEUX_FOLLOW_MAX_MB",
        default_value_t = 4096,
        requires = "follow"
    )]
    pub follow_max_mb: u64,
    /// Write the embedded default data to `--snapshot FILE` when FILE does not exist yet (a
    /// primary's first start on an empty volume); without it a missing file is an error.
    #[arg(long, env = "LIEUX_INIT_SNAPSHOT", requires = "snapshot")]
    pub init_snapshot: bool,
}

impl ReplicaArgs {
    /// The follower's settings, `None` without `--follow`.
    pub fn config(&self) -> Result<Option<crate::http::follow::FollowConfig>, String> {
        let Some(url) = self.follow.clone() else {
            return Ok(None);
        };
        if !url.starts_with("http://") {
            return Err(format!(
                "--follow {url}: expected an http:// URL (for a file on a shared volume, use \
                 --snapshot FILE, which is reloaded when it changes; put a TLS-terminating \
                 proxy in front of an https source)"
            ));
        }
        if !(self.follow_interval_s.is_finite() && self.follow_interval_s >= 0.1) {
            return Err("--follow-interval-s must be at least 0.1".to_owned());
        }
        Ok(Some(crate::http::follow::FollowConfig {
            url,
            every: std::time::Duration::from_secs_f64(self.follow_interval_s),
            max_bytes: self.follow_max_mb.saturating_mul(1 << 20),
            timeout: std::time::Duration::from_secs(600),
            dir: std::env::temp_dir(),
        }))
    }
}

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
    /// Threads for road searches, tile building and imports; 0 (default): twice the cores, at
    /// least 4. Each keeps its search arrays (8 bytes per graph node) between requests.
    #[arg(long, env = "LIEUX_BLOCKING_THREADS", default_value_t = 0)]
    pub blocking_threads: usize,
}

impl LimitArgs {
    /// Size of the runtime's blocking pool: `--blocking-threads`, or twice the cores (at
    /// least 4). tokio's default (512) let a 10-minute load on the Andorra graph grow to ~28
    /// threads and ~400 MiB, each thread holding its own search and grid buffers.
    pub fn blocking_threads(&self) -> usize {
        if self.blocking_threads > 0 {
            return self.blocking_threads;
        }
        std::thread::available_parallelism().map_or(4, |n| (2 * n.get()).max(4))
    }

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

/// `--basemap-style`: an absolute http(s) URL (the page fetches it from the browser).
fn parse_style_url(s: &str) -> Result<String, String> {
    if s.starts_with("http://") || s.starts_with("https://") {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "expected an http:// or https:// style URL, got {s:?}"
        ))
    }
}
