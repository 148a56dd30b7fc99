//! The `lieux` binary: parse arguments, set up logging, run a subcommand.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lieux::config::{Args, Command};
use lieux::http::{AppState, serve};

/// Default log filter: service events at info; per-request lines (warp's trace) only on
/// server errors. `RUST_LOG=info,warp=info` logs every request.
const DEFAULT_LOG: &str = "info,warp::filters::trace=error";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| DEFAULT_LOG.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Serve { snapshot, bind } => {
            let dataset = match &snapshot {
                Some(path) => {
                    let bytes = std::fs::read(path)
                        .with_context(|| format!("reading snapshot {}", path.display()))?;
                    lieux::Dataset::from_snapshot(&bytes)
                        .with_context(|| format!("loading snapshot {}", path.display()))?
                }
                None => lieux::Dataset::embedded().context("loading the embedded default data")?,
            };
            tracing::info!(
                lieux = dataset.lieux().len(),
                positioned = dataset.positioned(),
                version = dataset.version(),
                load_ms = dataset.load_time().as_millis() as u64,
                "dataset loaded"
            );
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(serve(
                AppState::new(dataset),
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
        Command::Import { files, out, report } => {
            let stats = lieux::import::run_import(&files, &out, report.as_deref(), true)
                .with_context(|| format!("importing into {}", out.display()))?;
            eprintln!("{stats}");
            Ok(())
        }
    }
}
