//! The `lieux` binary: parse arguments, set up logging, run a subcommand.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lieux::config::{Args, Command, GraphCommand, MappingArgs};
use lieux::http::{AppState, serve};
use lieux::import::{CommuneShapes, ImportError, ImportOptions, Mapping, MappingOptions};

/// Default log filter: service events at info; per-request lines (warp's trace) only on
/// server errors. `RUST_LOG=info,warp=info` logs every request.
const DEFAULT_LOG: &str = "info,warp::filters::trace=error";

/// mimalloc rather than glibc malloc: allocation was a quarter of the import's CPU (see the
/// README, "Imports of raw producer files").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    // a batch import keeps them: its many short-lived buffers took 20 times the page faults
    // without (16 k against 0.8 k at 20 000 rows, +0.05–0.1 s of system time; issue 16)
    if !matches!(args.command, Command::Import { .. }) {
        no_huge_pages();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| DEFAULT_LOG.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Transparent huge pages off for this process (every command but `import`), unless
/// `MIMALLOC_ALLOW_THP` says otherwise
/// (mimalloc reads it itself, before `main`). mimalloc asks for huge pages on its arenas; when
/// the machine's memory is fragmented (a page cache of several GB), each first touch of a 2 MB
/// page made the kernel compact memory synchronously: a fifth of the CPU of loading a
/// 1 M-place snapshot (`perf`, issue 19), 0.75 s, for no measured gain in RSS or queries.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // the C library's, linked by std (libc is only a dev-dependency)
        unsafe extern "C" {
            fn prctl(option: std::ffi::c_int, ...) -> std::ffi::c_int;
        }
        const PR_SET_THP_DISABLE: std::ffi::c_int = 41;
        // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of
        // ours; on failure (an old kernel) huge pages simply stay allowed.
        unsafe {
            prctl(
                PR_SET_THP_DISABLE,
                1 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
            );
        }
    }
}

/// Freed memory returned to the system at once rather than after mimalloc's delay
/// (`MIMALLOC_PURGE_DELAY=0`, unless that variable says otherwise), for `graph build`: it frees
/// arrays of hundreds of MB phase after phase, and the delayed purges left them resident
/// while the next phase allocated (at 10 M way nodes the build's peak RSS was 7 % higher).
fn purge_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // the mimalloc library linked for the global allocator (its `mi_option_t` enum:
        // `mi_option_purge_delay` is 15 in mimalloc 2 and 3, libmimalloc-sys 0.1)
        unsafe extern "C" {
            fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
            fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
        }
        const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
        // SAFETY: reads and sets one of mimalloc's integer options (it reads them atomically);
        // no memory of ours is touched. Set only if it holds the delay's default (10 ms in
        // mimalloc 2, 1 s in 3, the one linked): a mimalloc numbering its options otherwise is
        // left alone.
        unsafe {
            if matches!(mi_option_get(MI_OPTION_PURGE_DELAY), 10 | 1000) {
                mi_option_set(MI_OPTION_PURGE_DELAY, 0);
            }
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Serve {
            snapshot,
            bind,
            graph,
            max_snap_m,
            coverage,
            mappings,
            geocoder,
            geocoder_timeout_ms,
            basemap_style,
            limits,
            replica,
        } => {
            let follow = replica.config().map_err(anyhow::Error::msg)?;
            if let Some(path) = snapshot
                .as_ref()
                .filter(|p| replica.init_snapshot && !p.exists())
            {
                let embedded =
                    lieux::Dataset::embedded().context("loading the embedded default data")?;
                lieux::snapshot::write_snapshot(path, embedded.lieux())
                    .with_context(|| format!("writing the initial snapshot {}", path.display()))?;
                tracing::info!(path = %path.display(), "no snapshot yet: wrote the embedded default data");
            }
            let blocking_threads = limits.blocking_threads();
            let limits = limits.limits()?;
            let dataset = match &snapshot {
                Some(path) => lieux::Dataset::from_snapshot_file(path)
                    .with_context(|| format!("loading snapshot {}", path.display()))?,
                None => lieux::Dataset::embedded().context("loading the embedded default data")?,
            };
            tracing::info!(
                lieux = dataset.lieux().len(),
                positioned = dataset.positioned(),
                version = dataset.version(),
                load_ms = dataset.load_time().as_millis() as u64,
                "dataset loaded"
            );
            anyhow::ensure!(
                max_snap_m.is_finite() && max_snap_m >= 0.0,
                "--max-snap-m must be a non-negative number of metres"
            );
            let state = match &graph {
                Some(path) => {
                    let started = std::time::Instant::now();
                    let network = lieux::routing::RoadNetwork::load(path)
                        .with_context(|| format!("loading road graph {}", path.display()))?;
                    let read_ms = started.elapsed().as_millis() as u64;
                    let router = lieux::routing::Router::new(network, &dataset, max_snap_m);
                    tracing::info!(
                        car_nodes = router.network().car.node_count(),
                        walk_nodes = router.network().walk.node_count(),
                        read_ms,
                        load_ms = started.elapsed().as_millis() as u64,
                        "road graph loaded, places snapped"
                    );
                    AppState::with_router(dataset, router)
                }
                None => AppState::new(dataset),
            };
            let state = match &coverage {
                Some(dir) => state.with_coverage(
                    lieux::coverage::CoverageReport::load(dir)
                        .with_context(|| format!("loading coverage {}", dir.display()))?,
                ),
                None => state,
            };
            // The token stays out of the arguments (visible in `ps`): environment only.
            let token = std::env::var("LIEUX_IMPORT_TOKEN").ok();
            if token.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                tracing::info!("live imports enabled on POST /v1/imports");
            }
            let state = state.with_limits(limits).with_imports(token, snapshot);
            let state = match mappings {
                Some(dir) => state.with_import_mappings(dir),
                None => state,
            };
            let state = match geocoder {
                Some(url) => {
                    anyhow::ensure!(
                        url.starts_with("http://") || url.starts_with("https://"),
                        "--geocoder must be an http:// or https:// base URL, got {url:?}"
                    );
                    let options = lieux::geocode::ban::BanOptions {
                        timeout: std::time::Duration::from_millis(geocoder_timeout_ms),
                        ..Default::default()
                    };
                    let ban = lieux::geocode::ban::BanGeocoder::new(&url, None, options)
                        .with_context(|| format!("geocoder {url}"))?;
                    tracing::info!(%url, timeout_ms = geocoder_timeout_ms, "address search geocoder");
                    state.with_geocoder(ban)
                }
                None => state,
            };
            let state = state.with_basemap_style(basemap_style);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(blocking_threads)
                .build()
                .context("starting the async runtime")?;
            #[cfg(unix)]
            rt.spawn(reload_on_sighup(state.clone()));
            rt.spawn(lieux::http::watch::watch_snapshot(
                state.clone(),
                lieux::http::watch::POLL,
            ));
            let state = match follow {
                Some(cfg) => {
                    tracing::info!(
                        url = cfg.url,
                        "following: not ready until the source answers"
                    );
                    let state = state.following();
                    rt.spawn(lieux::http::follow::follow(state.clone(), cfg));
                    state
                }
                None => state,
            };
            rt.block_on(serve(
                state,
                bind,
                |addr| tracing::info!("listening on http://{addr}"),
                async {
                    let _ = tokio::signal::ctrl_c().await;
                    tracing::info!("shutting down");
                },
            ))?;
            Ok(())
        }
        Command::Basemap { communes, out } => {
            let started = std::time::Instant::now();
            let n = lieux::basemap::build(&communes, &out)
                .with_context(|| format!("building {}", out.display()))?;
            eprintln!(
                "{n} départements written to {} in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Probe { url, timeout_s } => {
            anyhow::ensure!(
                timeout_s.is_finite() && timeout_s > 0.0,
                "--timeout-s must be a positive number of seconds"
            );
            let client = reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs_f64(timeout_s))
                .build()
                .context("building the HTTP client")?;
            let res = client
                .get(&url)
                .send()
                .with_context(|| format!("GET {url}"))?;
            anyhow::ensure!(
                res.status().is_success(),
                "GET {url}: HTTP {}",
                res.status()
            );
            Ok(())
        }
        Command::Glyphs { font, out } => {
            let report = lieux::glyphs::generate(&font, &out)
                .with_context(|| format!("generating glyphs of {}", font.display()))?;
            for (path, glyphs, bytes) in &report.files {
                eprintln!("{}: {glyphs} glyphs, {bytes} bytes", path.display());
            }
            Ok(())
        }
        Command::Communes {
            communes,
            postcodes,
            out,
        } => {
            let (n, with_cp) = lieux::commune_table::build(&communes, &postcodes, &out)
                .with_context(|| format!("building {}", out.display()))?;
            eprintln!(
                "{n} communes ({with_cp} with a postcode) written to {}",
                out.display()
            );
            Ok(())
        }
        Command::CommuneShapes { communes, out } => {
            let tolerance = lieux::import::position::shapes::EMBEDDED_TOLERANCE_DEG;
            let (n, points) =
                lieux::import::position::compact::write_compact(&communes, &out, tolerance)
                    .with_context(|| format!("building {}", out.display()))?;
            eprintln!(
                "{n} communes ({points} points, tolerance {tolerance}°) written to {}",
                out.display()
            );
            Ok(())
        }
        Command::Graph {
            command: GraphCommand::Build { extracts, osm, out },
        } => {
            let started = std::time::Instant::now();
            let files: Vec<_> = osm.into_iter().chain(extracts).collect();
            let names = files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            // each profile written as soon as built: a France build never holds both graphs
            purge_at_once();
            let stats =
                lieux::routing::build::build_to_file(&files, &out, true).with_context(|| {
                    format!(
                        "building the road graph from {names} into {}",
                        out.display()
                    )
                })?;
            let [(car_nodes, car_arcs), (walk_nodes, walk_arcs)] = stats.graph;
            eprintln!(
                "{}: car {} nodes / {} arcs, walk {} nodes / {} arcs; {} ways, {} way nodes \
                 ({} missing, {} segments dropped); {:.1} s",
                out.display(),
                car_nodes,
                car_arcs,
                walk_nodes,
                walk_arcs,
                stats.ways,
                stats.way_nodes,
                stats.missing_nodes,
                stats.dropped_segments,
                started.elapsed().as_secs_f64()
            );
            let [(cn, ca), (wn, wa)] = stats.uncontracted;
            eprintln!(
                "compact graph: every way node a node would be car {cn} nodes / {ca} arcs, \
                 walk {wn} nodes / {wa} arcs"
            );
            eprintln!(
                "turn restrictions: {} read ({} skipped: via ways or malformed), {} forbidden \
                 turns in the car graph",
                stats.restrictions, stats.restrictions_skipped, stats.forbidden_turns
            );
            if stats.extracts > 1 {
                eprintln!(
                    "{} extracts: car graph in {} unconnected parts, walk graph in {}",
                    stats.extracts, stats.components[0], stats.components[1]
                );
            }
            Ok(())
        }
        Command::Graph {
            command:
                GraphCommand::Synth {
                    nodes,
                    seed,
                    overseas,
                    out,
                },
        } => {
            let started = std::time::Instant::now();
            let options = lieux::routing::synth_pbf::SynthOptions {
                nodes,
                seed,
                overseas,
            };
            let written = lieux::routing::synth_pbf::write(&out, &options, true)
                .with_context(|| format!("writing {}", out.display()))?;
            for (path, s) in &written {
                eprintln!(
                    "{}: {} nodes, {} ways, {} relations ({} turn restrictions via a node, {} via \
                     a way), {} ferries, {} roundabouts, {} traffic signals, {} stops; {:.1} MB",
                    path.display(),
                    s.nodes,
                    s.ways,
                    s.relations,
                    s.via_node,
                    s.via_way,
                    s.ferries,
                    s.roundabouts,
                    s.signals,
                    s.stops,
                    s.bytes as f64 / 1e6
                );
            }
            eprintln!("written in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Coverage(args) => {
            let options = args.options(true).map_err(anyhow::Error::msg)?;
            let summary = lieux::coverage::cli::run(&options).context("computing coverage")?;
            eprintln!("{}", lieux::coverage::cli::summary_text(&summary, &options));
            Ok(())
        }
        Command::Import {
            files,
            out,
            report,
            mapping,
        } => {
            let options = import_options(&mapping)?;
            let (stats, summary) = lieux::import::run_import_summarised(
                &files,
                &out,
                report.as_deref(),
                true,
                &options,
            )
            .with_context(|| format!("importing into {}", out.display()))?;
            eprintln!("{stats}");
            // counted as the report rows were written: the same numbers as the report CSV
            eprint!("{}", summary.render(&stats));
            let report = report.unwrap_or_else(|| {
                let mut s = out.as_os_str().to_owned();
                s.push(".report.csv");
                s.into()
            });
            eprintln!("report: {}", report.display());
            Ok(())
        }
    }
}

/// The import's options from the `lieux import` arguments: reads the mapping config and the
/// commune polygons, sets up the geocoders (the library's import knows nothing of clap).
fn import_options(args: &MappingArgs) -> Result<ImportOptions, ImportError> {
    if args.communes.is_none() {
        // Decoding the embedded commune shapes (~0.05 s of CPU) starts now, on its own thread,
        // while the mapping is read and the geocoders built; the validator waits for the rest.
        std::thread::spawn(|| {
            CommuneShapes::embedded();
        });
    }
    let mapping = match &args.mapping {
        Some(path) => Some((
            Mapping::from_path(path)?,
            MappingOptions {
                date_maj: args.date_maj,
                source: args.source.clone(),
                id_prefix: args.id_prefix.clone(),
            },
        )),
        None => None,
    };
    let communes = match &args.communes {
        Some(path) => Some(CommuneShapes::from_path(path)?),
        None => None,
    };
    let geocoders = match &args.geocode.geocoder {
        Some(spec) => {
            let cache = args
                .geocode
                .geocoder_cache
                .clone()
                .or_else(|| lieux::geocode::default_cache_path(spec));
            lieux::geocode::chain_from_spec(spec, cache)?
        }
        None => Vec::new(),
    };
    Ok(ImportOptions {
        mapping,
        communes,
        geocoders,
    })
}

/// `kill -HUP`: serve the `--snapshot` file again (e.g. after `lieux import` rewrote it); a
/// failed reload is logged and the data served stays as it was.
#[cfg(unix)]
async fn reload_on_sighup(state: AppState) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%e, "cannot listen for SIGHUP: no reload on signal");
            return;
        }
    };
    while hup.recv().await.is_some() {
        let s = state.clone();
        match tokio::task::spawn_blocking(move || s.reload_snapshot()).await {
            Ok(Ok(Some(version))) => tracing::info!(version, "SIGHUP: snapshot reloaded"),
            Ok(Ok(None)) => tracing::info!("SIGHUP: snapshot unchanged"),
            Ok(Err(e)) => tracing::error!("SIGHUP: {:#}", anyhow::Error::new(e)),
            Err(e) => tracing::error!(%e, "SIGHUP: reload task failed"),
        }
    }
}
