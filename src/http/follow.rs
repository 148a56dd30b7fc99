//! `lieux serve --follow URL`: a replica that follows the snapshot a primary publishes on
//! `/v1/snapshot` ([`super::replica`]).
//!
//! Every interval (jittered by ±20 % so that N replicas do not poll in step) the follower asks
//! `URL` with `If-None-Match: "<version served>"`. A `304` changes nothing. A `200` is streamed
//! to a temporary file (bounded size), then verified before anything is swapped:
//! - the body has the announced `Content-Length` (a cut connection is a truncated file);
//! - its SHA-256 equals the `Repr-Digest` the source sent (when it sent one);
//! - it loads as a whole ([`Dataset::from_snapshot`] checks every feature);
//! - the loaded content hashes to the version of the `ETag` (a source that serves the wrong
//!   bytes for a version, or garbage that happens to parse, is caught here).
//!
//! Only then is the dataset swapped ([`AppState::replace_dataset`]: requests in flight keep
//! the old one). Any failure is logged with its reason, counted in
//! `lieux_follow_polls_total{outcome}` and the old data stays served. Until its first dataset
//! is loaded (or the source confirms with a 304 that the warm-start `--snapshot` is current),
//! the replica is not ready ([`super::replica::Readiness`]).
//!
//! For a source that is a file on a shared volume, `serve --snapshot FILE` already follows it
//! ([`super::watch`]); `--follow` is for HTTP (a primary, or any static server or object store
//! serving the file with an `ETag` equal to the version).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::AppState;
use super::replica::{digest_value, snapshot_etag};
use crate::dataset::Dataset;

/// How a follower polls.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// `http://host:port/v1/snapshot` (or any URL serving a snapshot with its version as ETag).
    pub url: String,
    /// Time between two polls (before jitter).
    pub every: Duration,
    /// Largest snapshot accepted, bytes.
    pub max_bytes: u64,
    /// Time allowed for one whole download.
    pub timeout: Duration,
    /// Folder of the temporary download.
    pub dir: PathBuf,
}

/// Why a poll did not swap a new version in.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("source unreachable: {0}")]
    Unreachable(String),
    #[error("source answered HTTP {0}")]
    Status(u16),
    #[error("source sent no strong ETag (the version is needed to verify the download)")]
    NoEtag,
    #[error("snapshot larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("truncated download: {got} of {expected} bytes")]
    Truncated { got: u64, expected: u64 },
    #[error("checksum mismatch: Repr-Digest {announced}, body {computed}")]
    Checksum { announced: String, computed: String },
    #[error("not a valid snapshot: {0}")]
    Invalid(String),
    #[error("version mismatch: ETag announced {announced}, content hashes to {loaded}")]
    VersionMismatch { announced: String, loaded: String },
    #[error("temporary file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl FollowError {
    /// The `outcome` label of `lieux_follow_polls_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            FollowError::Unreachable(_) => "unreachable",
            FollowError::Status(_) => "status",
            FollowError::NoEtag => "no_etag",
            FollowError::TooLarge(_) => "too_large",
            FollowError::Truncated { .. } => "truncated",
            FollowError::Checksum { .. } => "checksum",
            FollowError::Invalid(_) => "invalid",
            FollowError::VersionMismatch { .. } => "version_mismatch",
            FollowError::Io { .. } => "io",
        }
    }
}

/// What one successful poll did.
#[derive(Debug, PartialEq, Eq)]
pub enum Polled {
    /// The source has the version served.
    Unchanged,
    /// A new version was verified and swapped in.
    Updated(String),
}

/// Polls forever (spawn it); never returns.
pub async fn follow(state: AppState, cfg: FollowConfig) {
    let client = match reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(%e, "cannot build the HTTP client: not following");
            return;
        }
    };
    let mut seed = u64::from(std::process::id()) ^ 0x9e37_79b9_7f4a_7c15;
    loop {
        match poll(&client, &state, &cfg).await {
            Ok(Polled::Unchanged) => {
                state.metrics.record_follow("unchanged");
                if !state.readiness.is_ready() {
                    tracing::info!(
                        version = state.dataset().version(),
                        "source confirms the data served: ready"
                    );
                }
                state.readiness.set(true);
            }
            Ok(Polled::Updated(version)) => {
                state.metrics.record_follow("updated");
                state.readiness.set(true);
                tracing::info!(
                    version,
                    url = cfg.url,
                    "new snapshot from the source: swapped"
                );
            }
            Err(e) => {
                state.metrics.record_follow(e.reason());
                tracing::warn!(error = %e, url = cfg.url, "follow: still serving the previous data");
            }
        }
        // ±20 % jitter (xorshift: no need for a random crate here)
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let factor = 0.8 + 0.4 * (seed % 1000) as f64 / 1000.0;
        tokio::time::sleep(cfg.every.mul_f64(factor)).await;
    }
}

/// One poll: ask, download, verify, swap.
pub async fn poll(
    client: &reqwest::Client,
    state: &AppState,
    cfg: &FollowConfig,
) -> Result<Polled, FollowError> {
    let current = state.dataset().version().to_owned();
    let unreachable = |e: reqwest::Error| FollowError::Unreachable(e.to_string());
    let mut res = client
        .get(&cfg.url)
        .header("if-none-match", snapshot_etag(&current))
        .send()
        .await
        .map_err(unreachable)?;
    match res.status().as_u16() {
        304 => return Ok(Polled::Unchanged),
        200 => {}
        s => return Err(FollowError::Status(s)),
    }
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let version = header("etag")
        .filter(|t| !t.starts_with("W/"))
        .map(|t| t.trim_matches('"').to_owned())
        .filter(|t| !t.is_empty())
        .ok_or(FollowError::NoEtag)?;
    // a source that ignores If-None-Match: the version announced is the one served (the
    // content hash), as a 304 would say
    if version == current {
        return Ok(Polled::Unchanged);
    }
    let expected = res.content_length();
    if expected.is_some_and(|n| n > cfg.max_bytes) {
        return Err(FollowError::TooLarge(cfg.max_bytes));
    }
    let announced = header("repr-digest");
    let path = cfg
        .dir
        .join(format!(".lieux-follow-{}.tmp", std::process::id()));
    let io = |source| FollowError::Io {
        path: path.clone(),
        source,
    };
    // the download goes to a file: a slow source never holds a second copy in memory
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
    let mut hasher = Sha256::new();
    let mut got = 0u64;
    let downloaded = async {
        while let Some(chunk) = res.chunk().await.map_err(unreachable)? {
            got += chunk.len() as u64;
            if got > cfg.max_bytes {
                return Err(FollowError::TooLarge(cfg.max_bytes));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).map_err(io)?;
        }
        file.flush().map_err(io)
    }
    .await;
    drop(file);
    let verified = downloaded.and_then(|()| {
        if let Some(expected) = expected.filter(|&n| n != got) {
            return Err(FollowError::Truncated { got, expected });
        }
        if let Some(announced) = announced {
            let computed = digest_value(&hasher.finalize());
            if announced.trim() != computed {
                return Err(FollowError::Checksum {
                    announced,
                    computed,
                });
            }
        }
        Ok(())
    });
    let loaded = match verified {
        Ok(()) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || load(&path))
                .await
                .unwrap_or_else(|e| Err(FollowError::Invalid(format!("load task failed: {e}"))))
        }
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_file(&path);
    let ds = loaded?;
    if ds.version() != version {
        return Err(FollowError::VersionMismatch {
            announced: version,
            loaded: ds.version().to_owned(),
        });
    }
    let s = state.clone();
    // snapping the new places to a road graph takes a while: off the async workers
    tokio::task::spawn_blocking(move || s.replace_dataset(ds))
        .await
        .map_err(|e| FollowError::Invalid(format!("swap task failed: {e}")))?;
    Ok(Polled::Updated(version))
}

fn load(path: &std::path::Path) -> Result<Dataset, FollowError> {
    Dataset::from_snapshot_file(path).map_err(|e| match e {
        crate::Error::Io(source, path) => FollowError::Io { path, source },
        e => FollowError::Invalid(e.to_string()),
    })
}
