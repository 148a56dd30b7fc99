//! Per-place GeoJSON bytes that do not change between requests, kept once serialised.
//!
//! A Feature is its static part (`type`, `id`, `geometry` and every property read from the
//! data), written by [`super::features`] once per place and dataset, then the per-request
//! members (`distance_m`, `ouvert`, …) appended to a copy. Profiling `lieux serve` under `wrk`
//! (README, *Peer benchmark*) showed the serialisation of the static part (serde_json over ~25
//! fields, `date_maj` formatted by chrono) as the largest cost of nearest and bbox answers.
//!
//! Filled lazily, place by place, as requests touch them: memory follows the places actually
//! served, up to [`MAX_CACHED_BYTES`] per dataset (beyond, features are serialised per request as
//! before). Each dataset has its own cache, found by the dataset's address and content version
//! (a replaced dataset gets a new one; the last [`CACHED_DATASETS`] are kept, and each worker
//! thread holds on to the last one it used until it serves another).

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use lru::LruCache;

use crate::dataset::Dataset;

/// Budget of cached bytes per dataset: ~1 KB per place, so about the 250 000 most served places.
const MAX_CACHED_BYTES: usize = 256 << 20;

/// Datasets whose caches are kept: the current one and the one it replaced (still answering
/// requests in flight). Each costs up to 24 bytes per place plus [`MAX_CACHED_BYTES`].
const CACHED_DATASETS: usize = 2;

/// Static bytes of each place of one dataset, by slot.
pub struct FeatureCache {
    slots: Vec<OnceLock<Box<[u8]>>>,
    bytes: AtomicUsize,
}

impl FeatureCache {
    fn new(places: usize) -> FeatureCache {
        FeatureCache {
            slots: (0..places).map(|_| OnceLock::new()).collect(),
            bytes: AtomicUsize::new(0),
        }
    }

    /// Appends the static bytes of `slot` to `out`, from the cache, else written by `write`
    /// (and kept while within the budget).
    pub fn write(&self, out: &mut Vec<u8>, slot: u32, write: impl FnOnce(&mut Vec<u8>)) {
        let Some(cell) = self.slots.get(slot as usize) else {
            write(out);
            return;
        };
        if let Some(b) = cell.get() {
            out.extend_from_slice(b);
            return;
        }
        let start = out.len();
        write(out);
        let len = out.len() - start;
        // Over budget: leave it uncached. Two threads may both write the same place; only one
        // copy is kept, and the budget counts both (a slight overestimate).
        if self.bytes.fetch_add(len, Ordering::Relaxed) + len <= MAX_CACHED_BYTES {
            let _ = cell.set(out[start..].into());
        }
    }

    /// Bytes held (or claimed) by the cache.
    #[cfg(test)]
    pub fn cached_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed).min(MAX_CACHED_BYTES)
    }
}

type Key = (usize, String);

fn caches() -> &'static Mutex<LruCache<Key, Arc<FeatureCache>>> {
    static CACHES: OnceLock<Mutex<LruCache<Key, Arc<FeatureCache>>>> = OnceLock::new();
    CACHES.get_or_init(|| {
        let cap = NonZeroUsize::new(CACHED_DATASETS).unwrap_or(NonZeroUsize::MIN);
        Mutex::new(LruCache::new(cap))
    })
}

thread_local! {
    /// The cache last used on this thread: one comparison per feature instead of a lock.
    static LAST: RefCell<Option<(Key, Arc<FeatureCache>)>> = const { RefCell::new(None) };
}

fn key(ds: &Dataset) -> Key {
    (std::ptr::from_ref(ds) as usize, ds.version().to_owned())
}

fn is_key_of(k: &Key, ds: &Dataset) -> bool {
    k.0 == std::ptr::from_ref(ds) as usize && k.1 == ds.version()
}

/// Runs `f` with the cache of `ds` (created empty on first use). `f` must not call `with`.
pub fn with<R>(ds: &Dataset, f: impl FnOnce(&FeatureCache) -> R) -> R {
    LAST.with_borrow_mut(|last| {
        let hit = last.as_ref().is_some_and(|(k, _)| is_key_of(k, ds));
        if !hit {
            let k = key(ds);
            let c = {
                let mut lru = caches().lock().unwrap_or_else(|p| p.into_inner());
                Arc::clone(
                    lru.get_or_insert(k.clone(), || Arc::new(FeatureCache::new(ds.lieux().len()))),
                )
            };
            *last = Some((k, c));
        }
        match last.as_ref() {
            Some((_, c)) => f(c),
            // just set above
            None => f(&FeatureCache::new(0)),
        }
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::super::features::{Extra, write_feature};
    use super::*;

    fn feature(ds: &Dataset, slot: u32, extra: &Extra) -> Vec<u8> {
        let mut out = b"[".to_vec();
        write_feature(&mut out, ds, slot, extra);
        out
    }

    #[test]
    fn cached_features_are_the_serialised_ones() {
        let ds = Dataset::new(crate::testdata::synthetic_lieux(300, 3));
        let at = Utc
            .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
            .unwrap()
            .fixed_offset();
        let extras = [
            Extra::at(at),
            Extra {
                distance_m: Some(1234.5678),
                duration_s: Some(61.26),
                estimate: Some("straight_line"),
                ..Extra::at(at)
            },
        ];
        let mut with_hours = 0;
        for slot in 0..300u32 {
            for extra in &extras {
                let first = feature(&ds, slot, extra); // fills the cache
                let again = feature(&ds, slot, extra); // from the cache
                assert_eq!(first, again, "slot {slot}");
                let v: serde_json::Value = serde_json::from_slice(&first[1..]).expect("valid JSON");
                let lieu = ds.lieu(slot);
                let p = &v["properties"];
                assert_eq!(v["type"], "Feature");
                assert_eq!(v["id"], lieu.id.as_str());
                assert_eq!(p["nom"], lieu.nom.as_str());
                assert_eq!(
                    p["date_maj"],
                    lieu.date_maj.format("%Y-%m-%d").to_string().as_str()
                );
                if let Some(pos) = lieu.position {
                    // serde_json parses floats to within an ulp or so
                    let c = &v["geometry"]["coordinates"];
                    let (x, y) = (
                        c[0].as_f64().unwrap_or(f64::NAN),
                        c[1].as_f64().unwrap_or(f64::NAN),
                    );
                    assert!(
                        (x - pos.lon).abs() < 1e-12 && (y - pos.lat).abs() < 1e-12,
                        "slot {slot}"
                    );
                }
                assert_eq!(p["distance_m"].as_f64(), extra.distance_m.map(|_| 1234.57));
                assert_eq!(p["duration_s"].as_f64(), extra.duration_s.map(|_| 61.3));
                assert_eq!(p["estimate"].as_str(), extra.estimate);
                let status = lieu
                    .horaires
                    .as_ref()
                    .map(|h| h.status(at, ds.timezone(slot)));
                assert_eq!(p["ouvert"].as_bool(), status.map(|s| s.ouvert));
                with_hours += usize::from(status.is_some());
            }
        }
        assert!(with_hours > 0, "some places publish hours");
        assert!(with(&ds, |c| c.cached_bytes()) > 300 * 200);
    }
}
