//! The crate error: module errors folded in with `#[from]`.

use std::path::PathBuf;

/// Errors at the crate's public boundaries (loading a snapshot, serving).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A snapshot that cannot be loaded.
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    #[error("I/O error on {1}")]
    Io(#[source] std::io::Error, PathBuf),
    #[error("cannot bind {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with the crate [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes on one line, `: `-joined (a timeout shows as "… operation timed
/// out"): for logs and JSON error bodies, where `Display` alone hides the cause.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}
