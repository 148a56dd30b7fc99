//! The server state: the dataset being served (swapped atomically on reload and live
//! import), the road router, limits and metrics.

use super::*;

/// Shared server state: the dataset being served, replaceable atomically.
#[derive(Clone)]
pub struct AppState {
    /// The dataset and the road graph with its places snapped, swapped together.
    pub(super) served: Arc<RwLock<Served>>,
    /// When the dataset served was loaded (start, live import, reload).
    pub(super) loaded_at: Arc<RwLock<DateTime<Utc>>>,
    pub(super) tiles: Arc<tiles::TileCache>,
    /// The road graph's lines indexed for the base map's road tiles, built on first use.
    pub(super) roads: Arc<std::sync::OnceLock<Arc<basemap::RoadTiles>>>,
    /// The MapLibre style URL the page draws its base map with (`serve --basemap-style`);
    /// `None`: the offline layers.
    pub(super) basemap_style: Option<Arc<str>>,
    pub(super) fgb: download::FgbCache,
    /// The last coverage computation (`serve --coverage DIR`), for `/v1/coverage`.
    pub(super) coverage: Option<Arc<crate::coverage::CoverageReport>>,
    /// Request limits applied by [`serve`] (not by [`routes`] alone).
    pub(super) limits: limits::Limits,
    pub(super) metrics: Arc<metrics::Metrics>,
    /// `POST /v1/imports` settings (disabled unless a token is set).
    pub(super) imports: Arc<imports::LiveImports>,
    /// False while a follower has not loaded its first dataset ([`replica`]).
    pub(super) readiness: replica::Readiness,
    /// `/v1/snapshot`'s bytes for the current version.
    pub(super) snapshots: replica::SnapshotCache,
    /// The BAN geocoder of `/v1/adresses` and `adresse=` (`serve --geocoder URL`); `None`: the
    /// commune table answers alone.
    pub(super) geocoder: Option<Arc<crate::geocode::ban::BanGeocoder>>,
}

/// What a request reads: a dataset and, with a road graph, the router whose place slots are
/// this dataset's (`None`: estimates only).
#[derive(Clone)]
pub(super) struct Served {
    pub(super) dataset: Arc<Dataset>,
    pub(super) router: Option<Arc<Router>>,
}

impl AppState {
    pub fn new(dataset: Dataset) -> AppState {
        AppState {
            served: Arc::new(RwLock::new(Served {
                dataset: Arc::new(dataset),
                router: None,
            })),
            loaded_at: Arc::new(RwLock::new(Utc::now())),
            tiles: Arc::default(),
            roads: Arc::default(),
            basemap_style: None,
            fgb: download::FgbCache::default(),
            coverage: None,
            limits: limits::Limits::default(),
            metrics: Arc::default(),
            imports: Arc::default(),
            readiness: replica::Readiness::default(),
            snapshots: replica::SnapshotCache::default(),
            geocoder: None,
        }
    }

    /// The same state answering address searches with `geocoder` (its
    /// [`BanOptions::timeout`](crate::geocode::ban::BanOptions::timeout) bounds each search).
    pub fn with_geocoder(self, geocoder: crate::geocode::ban::BanGeocoder) -> AppState {
        AppState {
            geocoder: Some(Arc::new(geocoder)),
            ..self
        }
    }

    /// The same state as a follower ([`follow`]): not ready until the source has been heard
    /// from. Data endpoints answer 503 until then.
    pub fn following(self) -> Self {
        self.readiness.set(false);
        self
    }

    /// Whether the server answers data requests ([`replica::Readiness`]).
    pub fn is_ready(&self) -> bool {
        self.readiness.is_ready()
    }

    /// The same state accepting `POST /v1/imports` with `token` (`None`: disabled), rewriting
    /// `snapshot` after each import.
    pub fn with_imports(self, token: Option<String>, snapshot: Option<std::path::PathBuf>) -> Self {
        AppState {
            imports: Arc::new(imports::LiveImports::new(token, snapshot)),
            ..self
        }
    }

    /// Serves `dataset` from now on; requests in flight keep the one they hold. With a road
    /// graph, the new places are snapped first (on the caller's thread, while the old pair
    /// is still served) and the pair is swapped at once.
    pub fn replace_dataset(&self, dataset: Dataset) {
        let router = self.router().map(|r| Arc::new(r.for_dataset(&dataset)));
        let new = Served {
            dataset: Arc::new(dataset),
            router,
        };
        match self.served.write() {
            Ok(mut d) => *d = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
        // what was encoded for the previous version goes with it (at 1 M places the snapshot
        // and FlatGeobuf bytes are ~400 MB each, a cluster hierarchy up to ~0.4 GB), instead of
        // waiting for a request of the new version to replace it
        self.fgb.clear();
        self.snapshots.clear();
        self.tiles.clear();
        match self.loaded_at.write() {
            Ok(mut t) => *t = Utc::now(),
            Err(poisoned) => *poisoned.into_inner() = Utc::now(),
        }
    }

    pub(super) fn loaded_at(&self) -> DateTime<Utc> {
        match self.loaded_at.read() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// The same state serving `report` on `/v1/coverage`.
    pub fn with_coverage(self, report: crate::coverage::CoverageReport) -> AppState {
        AppState {
            coverage: Some(Arc::new(report)),
            ..self
        }
    }

    /// The coverage served, if any.
    pub fn coverage(&self) -> Option<Arc<crate::coverage::CoverageReport>> {
        self.coverage.clone()
    }

    /// The same state with the page's base map drawn from the MapLibre style at `url`.
    pub fn with_basemap_style(self, url: Option<String>) -> AppState {
        AppState {
            basemap_style: url.map(Arc::from),
            ..self
        }
    }

    /// The same state served with other request limits.
    pub fn with_limits(self, limits: limits::Limits) -> AppState {
        AppState { limits, ..self }
    }

    /// The service's metrics (an import running in the server records its outcome here).
    pub fn metrics(&self) -> Arc<metrics::Metrics> {
        Arc::clone(&self.metrics)
    }

    /// State with a road graph; `router` must have been built for `dataset`
    /// ([`Router::new`] snaps its places).
    pub fn with_router(dataset: Dataset, router: Router) -> AppState {
        let state = AppState::new(dataset);
        let served = Served {
            dataset: state.dataset(),
            router: Some(Arc::new(router)),
        };
        AppState {
            served: Arc::new(RwLock::new(served)),
            ..state
        }
    }

    fn served(&self) -> Served {
        match self.served.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The road graph, if one is loaded (its place slots are those of the dataset served at
    /// the same time: use [`AppState::dataset_and_router`] to read both).
    pub fn router(&self) -> Option<Arc<Router>> {
        self.served().router
    }

    /// The current dataset (a cheap `Arc` clone; a replacement never affects requests in flight).
    pub fn dataset(&self) -> Arc<Dataset> {
        self.served().dataset
    }

    /// The current dataset and the road graph its places are snapped to, read together.
    pub fn dataset_and_router(&self) -> (Arc<Dataset>, Option<Arc<Router>>) {
        let s = self.served();
        (s.dataset, s.router)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A swap lets go of what was encoded for the previous version: the snapshot and
    /// FlatGeobuf bytes and the cluster hierarchies (at 1 M places each some 400 MB), so the
    /// swap holds the new dataset beside the old one and nothing more.
    #[test]
    fn a_swap_drops_what_was_encoded_for_the_previous_version() {
        let state = AppState::new(crate::Dataset::new(crate::testdata::synthetic_lieux(
            300, 1,
        )));
        let ds = state.dataset();
        let fgb = state.fgb.get_with(&ds, |lieux| {
            crate::snapshot::encode_indexed(lieux).map(bytes::Bytes::from)
        });
        assert!(fgb.is_ok());
        let answer = replica::snapshot(&state, "", None);
        assert_eq!(answer.status(), StatusCode::OK);
        let _ = state
            .tiles
            .hierarchy(&ds, &crate::filter::Filter::default());
        assert_eq!(state.fgb.version().as_deref(), Some(ds.version()));
        assert_eq!(state.snapshots.version().as_deref(), Some(ds.version()));
        assert_eq!(state.tiles.len(), 1);
        state.replace_dataset(crate::Dataset::new(crate::testdata::synthetic_lieux(
            200, 2,
        )));
        assert_ne!(state.dataset().version(), ds.version());
        assert_eq!(state.fgb.version(), None);
        assert_eq!(state.snapshots.version(), None);
        assert!(state.tiles.is_empty());
    }
}
