//! `lieux serve --snapshot FILE` reloads `FILE` when it changes, without a signal.
//!
//! The file is polled (metadata only) every [`POLL`]: modification time, length and inode.
//! `lieux import` and live imports replace the file by a rename, so the path always names a
//! complete file; a writer that rewrites it in place (`cp`) may be caught half-way, so a change
//! is acted on only once the same metadata has been seen on two polls in a row (the file has
//! stopped moving), and the reload itself validates the whole file
//! ([`AppState::reload_snapshot`]): a file that does not load is logged and the old data stays
//! served. The file a live import of this server just wrote is not read again (its metadata is
//! recorded at the write, [`LiveImports`](super::imports::LiveImports)): at 1 M places that
//! would be a 400 MB read and a second full build, only to find the version already served. A
//! reload of the bytes already served (another writer copied the same file) changes nothing.
//!
//! Polling rather than inotify (`notify` crate): one `stat` a second costs nothing, works on
//! every file system (NFS, bind mounts) and follows renames over the path without watching
//! the directory.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::AppState;

/// Time between two looks at the file.
pub const POLL: Duration = Duration::from_secs(1);

/// What identifies one version of the `--snapshot` file (the file watcher compares them,
/// [`super::watch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Signature {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

pub(super) fn signature(path: &Path) -> Option<Signature> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Signature {
        modified: meta.modified().ok(),
        len: meta.len(),
        #[cfg(unix)]
        inode: std::os::unix::fs::MetadataExt::ino(&meta),
    })
}

/// Polls the `--snapshot` file every `every` and reloads it when it has changed and settled;
/// returns at once when the server has no snapshot file.
pub async fn watch_snapshot(state: AppState, every: Duration) {
    let Some(path) = state.imports.snapshot.clone() else {
        return;
    };
    // The file as loaded at start.
    let mut loaded = signature(&path);
    let mut last = loaded.clone();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = signature(&path);
        let settled = now.is_some() && now == last;
        last = now.clone();
        if !settled || now == loaded {
            continue;
        }
        loaded = now;
        if loaded == state.imports.written() {
            tracing::info!(path = %path.display(), "snapshot file written by this server's live import: already served");
            continue;
        }
        let s = state.clone();
        match tokio::task::spawn_blocking(move || s.reload_snapshot()).await {
            Ok(Ok(Some(version))) => {
                tracing::info!(version, path = %path.display(), "snapshot file changed: reloaded");
            }
            Ok(Ok(None)) => {
                tracing::debug!(path = %path.display(), "snapshot file rewritten, same data");
            }
            Ok(Err(e)) => tracing::error!(
                error = %crate::error::error_chain(&e),
                "snapshot file changed, reload failed: still serving the previous data"
            ),
            Err(e) => tracing::error!(%e, "snapshot reload task failed"),
        }
    }
}
