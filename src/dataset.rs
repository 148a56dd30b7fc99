//! A loaded set of places: sorted by id, indexed, versioned by content hash. Queries take a
//! [`Filter`] and return places in a deterministic order.

use std::time::{Duration, Instant};

use chrono_tz::Tz;

use crate::dedup::{Group, Groups};
use crate::filter::{Bits, Filter};
use crate::index::{Bbox, SpatialIndex};
use crate::model::{Lieu, Position};
use crate::territory::Territoire;

pub use crate::index::Hit;

mod version;
use version::content_hash;
pub(crate) use version::{VersionStream, hash_input};

/// The records an answer can hold, when its format cannot hold every record (the national
/// component's JSON needs a service, a five-digit postcode…). It takes part in the group test
/// like a filter: a group is listed through its first member, in principal order, that matches
/// and is eligible, so a record the format cannot hold never hides a duplicate it can.
pub type Eligible = fn(&Lieu) -> bool;

/// Where a nearest search looks ([`Dataset::nearest_in`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scope {
    /// Only the places of this territory (`None`: every territory).
    pub territoire: Option<Territoire>,
    /// Only the places within this many metres (`None`: no bound).
    pub max_m: Option<f64>,
}

/// The places being served.
pub struct Dataset {
    lieux: Vec<Lieu>,
    tz: Vec<Tz>,
    /// Territory of each slot, from its codes: one byte per place, so that a nearest search
    /// bounded to a territory tests it before anything else.
    territoire: Vec<Territoire>,
    bits: Vec<Bits>,
    /// Groups of duplicates ([`crate::dedup`]), a side table of the slots.
    groups: Groups,
    index: SpatialIndex,
    version: String,
    load_time: Duration,
}

impl Dataset {
    /// Builds a dataset: sorts by id (ids must be unique; later duplicates are dropped), indexes
    /// the positioned places, groups the records of one place ([`crate::dedup`]; every record
    /// is kept) and hashes the content for the version.
    pub fn new(lieux: Vec<Lieu>) -> Dataset {
        Dataset::with_version(lieux, None)
    }

    /// [`Dataset::new`], given the version of `lieux` in their order when it is known (hashed
    /// while a snapshot was read): used when they are already in id order.
    fn with_version(mut lieux: Vec<Lieu>, mut version: Option<String>) -> Dataset {
        let started = Instant::now();
        // A snapshot written from a dataset is already in strict id order (no duplicate ids):
        // checking it is one pass, sorting 1 M ids is not free.
        if !lieux.is_sorted_by(|a, b| a.id < b.id) {
            lieux.sort_by(|a, b| a.id.cmp(&b.id));
            lieux.dedup_by(|b, a| a.id == b.id);
            version = None;
        }
        let sorted = started.elapsed();
        // The independent steps run side by side: the content hash and the spatial index on
        // their own threads, the per-slot tables and the groups on this one.
        let (version, index, (territoire, tz, bits, groups), timings) =
            std::thread::scope(|scope| {
                let lieux = &lieux;
                let hash =
                    scope.spawn(move || timed(|| version.unwrap_or_else(|| content_hash(lieux))));
                let index =
                    scope.spawn(move || {
                        timed(|| {
                            SpatialIndex::from_points(lieux.iter().enumerate().filter_map(
                                |(i, l)| l.position.map(|p| (i as u32, [p.lon, p.lat])),
                            ))
                        })
                    });
                let rest = timed(|| {
                    let territoire: Vec<Territoire> = lieux
                        .iter()
                        .map(|l| Territoire::of_codes(l.code_insee.as_deref(), &l.code_postal))
                        .collect();
                    let tz = territoire.iter().map(|t| t.timezone()).collect();
                    let bits = lieux.iter().map(Bits::of).collect();
                    let groups = Groups::new(lieux);
                    (territoire, tz, bits, groups)
                });
                let (version, t_hash) =
                    hash.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                let (index, t_index) = index
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                (version, index, rest.0, [t_hash, t_index, rest.1])
            });
        tracing::debug!(
            lieux = lieux.len(),
            sort_ms = sorted.as_millis() as u64,
            hash_ms = timings[0].as_millis() as u64,
            index_ms = timings[1].as_millis() as u64,
            tables_groups_ms = timings[2].as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "dataset built"
        );
        Dataset {
            lieux,
            tz,
            territoire,
            bits,
            groups,
            index,
            version,
            load_time: started.elapsed(),
        }
    }

    /// Loads a snapshot written by `lieux import`.
    pub fn from_snapshot(bytes: &[u8]) -> crate::Result<Dataset> {
        let started = Instant::now();
        let mut version = VersionStream::default();
        let lieux = crate::snapshot::read_snapshot_each(bytes, &hash_input, &mut |input| {
            version.update(&input)
        })?;
        let mut ds = Dataset::with_version(lieux, Some(version.finish()));
        ds.load_time = started.elapsed();
        Ok(ds)
    }

    /// Loads a snapshot file, decoding it while it is read ([`crate::snapshot::read_snapshot_from`]):
    /// the file is never whole in memory.
    pub fn from_snapshot_file(path: &std::path::Path) -> crate::Result<Dataset> {
        let started = Instant::now();
        let io = |e| crate::Error::Io(e, path.to_owned());
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let mut version = VersionStream::default();
        let lieux =
            crate::snapshot::read_snapshot_from_each(file, Some(size), &hash_input, &mut |input| {
                version.update(&input)
            })
            .map_err(|e| match e {
                crate::snapshot::SnapshotError::Read(e) => io(e),
                e => e.into(),
            })?;
        let mut ds = Dataset::with_version(lieux, Some(version.finish()));
        ds.load_time = started.elapsed();
        Ok(ds)
    }

    /// The embedded default dataset (France Services 2022-12-01).
    pub fn embedded() -> crate::Result<Dataset> {
        Dataset::from_snapshot(crate::DEFAULT_SNAPSHOT)
    }

    /// All places, sorted by id.
    pub fn lieux(&self) -> &[Lieu] {
        &self.lieux
    }

    /// The place in `slot`.
    pub fn lieu(&self, slot: u32) -> &Lieu {
        &self.lieux[slot as usize]
    }

    /// The IANA time zone of the place in `slot`.
    pub fn timezone(&self, slot: u32) -> Tz {
        self.tz[slot as usize]
    }

    /// The territory of the place in `slot` ([`Territoire::of_codes`]).
    pub fn territoire(&self, slot: u32) -> Territoire {
        self.territoire[slot as usize]
    }

    /// Slot of the place with this id.
    pub fn slot_of(&self, id: &str) -> Option<u32> {
        // slots are in strict id order: no map of cloned ids needed
        self.lieux
            .binary_search_by(|l| l.id.as_str().cmp(id))
            .ok()
            .map(|i| i as u32)
    }

    /// Content hash (hex, 16 chars) of every column of every place and of its position's
    /// provenance: the dataset version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Time spent building (and, from a snapshot, reading) the dataset.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// Number of places with a position (in the spatial index).
    pub fn positioned(&self) -> usize {
        self.index.len()
    }

    /// The groups of duplicates.
    pub fn groups(&self) -> &Groups {
        &self.groups
    }

    /// The group of duplicates of the place in `slot`, if any.
    pub fn group_of(&self, slot: u32) -> Option<Group> {
        self.groups.of(slot)
    }

    /// The filter as a predicate on slots: enumerated filters on the compact bit sets, the
    /// place itself only when a filter needs it; with `exclure_doublons=true` (the default) a
    /// member of a group of duplicates passes when it matches and no member before it in
    /// principal order does ([`Groups::listed`]): a group is found through any matching member.
    fn keep<'a>(&'a self, filter: &'a Filter) -> impl FnMut(u32) -> bool + 'a {
        self.keep_among(filter, None)
    }

    /// [`Dataset::keep`] among the places `eligible` accepts: it takes part in the group test
    /// like the filter, so a group is listed through its first matching eligible member.
    fn keep_among<'a>(
        &'a self,
        filter: &'a Filter,
        eligible: Option<Eligible>,
    ) -> impl FnMut(u32) -> bool + 'a {
        let all = filter.is_empty() && self.groups.is_empty() && eligible.is_none();
        let compiled = filter.compile();
        move |slot| {
            if all {
                return true;
            }
            let test = |s: u32| {
                let i = s as usize;
                compiled.matches_bits(self.bits[i])
                    && (!compiled.needs_lieu || filter.matches_rest(&self.lieux[i], self.tz[i]))
                    && eligible.is_none_or(|e| e(&self.lieux[i]))
            };
            test(slot) && (filter.inclure_doublons || self.groups.listed(slot, test))
        }
    }

    /// Does the place in `slot` pass `filter`: it matches, and it is the member listed for its
    /// group of duplicates (unless `exclure_doublons=false`)?
    pub fn matches(&self, slot: u32, filter: &Filter) -> bool {
        self.matches_among(slot, filter, None)
    }

    /// [`Dataset::matches`] among the places `eligible` accepts (see [`Eligible`]).
    pub fn matches_among(&self, slot: u32, filter: &Filter, eligible: Option<Eligible>) -> bool {
        let test = |s: u32| {
            let l = &self.lieux[s as usize];
            filter.matches(l, self.tz[s as usize]) && eligible.is_none_or(|e| e(l))
        };
        test(slot) && (filter.inclure_doublons || self.groups.listed(slot, test))
    }

    /// The `k` nearest places matching `filter` (within `max_m` metres if given), sorted by
    /// `(distance, id)`. Distances are great-circle metres (see [`crate::index`]).
    pub fn nearest(&self, at: Position, k: usize, max_m: Option<f64>, filter: &Filter) -> Vec<Hit> {
        let scope = Scope {
            territoire: None,
            max_m,
        };
        self.nearest_in(at, k, scope, filter)
    }

    /// The `k` nearest places of `scope` (its territory, within its distance) matching
    /// `filter`, sorted by `(distance, id)`.
    pub fn nearest_in(&self, at: Position, k: usize, scope: Scope, filter: &Filter) -> Vec<Hit> {
        self.nearest_where(at, k, scope, filter, |_| true)
    }

    /// [`Dataset::nearest_in`] among the places `also` accepts (tested after the filter).
    pub fn nearest_where(
        &self,
        at: Position,
        k: usize,
        scope: Scope,
        filter: &Filter,
        also: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        self.nearest_where_among(at, k, scope, filter, None, also)
    }

    /// [`Dataset::nearest_where`] among the places `eligible` accepts (see [`Eligible`]): a
    /// group is listed through its first matching eligible member.
    pub fn nearest_where_among(
        &self,
        at: Position,
        k: usize,
        scope: Scope,
        filter: &Filter,
        eligible: Option<Eligible>,
        mut also: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        let mut keep = self.keep_among(filter, eligible);
        let territoire = &self.territoire;
        let in_scope = move |s: u32| scope.territoire.is_none_or(|t| territoire[s as usize] == t);
        self.index.nearest(at.lon, at.lat, k, scope.max_m, |s| {
            in_scope(s) && keep(s) && also(s)
        })
    }

    /// Places inside `bbox` matching `filter`, sorted by id.
    pub fn within_bbox(&self, bbox: &Bbox, filter: &Filter) -> Vec<u32> {
        self.within_bbox_among(bbox, filter, None)
    }

    /// [`Dataset::within_bbox`] among the places `eligible` accepts (see [`Eligible`]).
    pub fn within_bbox_among(
        &self,
        bbox: &Bbox,
        filter: &Filter,
        eligible: Option<Eligible>,
    ) -> Vec<u32> {
        self.index
            .within_bbox(bbox, self.keep_among(filter, eligible))
    }

    /// Places within `radius_m` metres of `at` matching `filter`, sorted by `(distance, id)`.
    pub fn within_radius(&self, at: Position, radius_m: f64, filter: &Filter) -> Vec<Hit> {
        self.within_radius_among(at, radius_m, filter, None)
    }

    /// [`Dataset::within_radius`] among the places `eligible` accepts (see [`Eligible`]).
    pub fn within_radius_among(
        &self,
        at: Position,
        radius_m: f64,
        filter: &Filter,
        eligible: Option<Eligible>,
    ) -> Vec<Hit> {
        let keep = self.keep_among(filter, eligible);
        self.index.within_radius(at.lon, at.lat, radius_m, keep)
    }

    /// Every place matching `filter` (positioned or not), sorted by id.
    pub fn all_matching<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = u32> + 'a {
        let mut keep = self.keep(filter);
        (0..self.lieux.len() as u32).filter(move |s| keep(*s))
    }
}

/// `f()` and the time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    (f(), started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PositionOrigine, SourceAdresse};

    #[test]
    fn version_follows_the_served_content() {
        let base = crate::testdata::synthetic_lieux(50, 1);
        let version = |lieux: Vec<Lieu>| Dataset::new(lieux).version().to_owned();
        let v0 = version(base.clone());
        assert_eq!(v0, version(base.clone()), "same content, same version");
        let mut renamed = base.clone();
        renamed[7].nom = format!("{}!", renamed[7].nom).into();
        assert_ne!(v0, version(renamed));
        // same coordinates, other provenance: `position` is served, so the version changes
        let mut regeocoded = base.clone();
        let other = match regeocoded[7].position_origine {
            Some(o) if o == PositionOrigine::producteur(true) => PositionOrigine::producteur(false),
            _ => PositionOrigine::producteur(true),
        };
        regeocoded[7].position_origine = Some(other);
        assert_ne!(v0, version(regeocoded));
        // same address text, now known to come from the commune name or from reverse
        // geocoding: `position.adresse` is served, so each is a new version
        let mut derived = base.clone();
        derived[7].adresse_origine = Some(SourceAdresse::Commune);
        let v_commune = version(derived.clone());
        derived[7].adresse_origine = Some(SourceAdresse::GeocodageInverse);
        let v_reverse = version(derived);
        assert_ne!(v0, v_commune);
        assert_ne!(v0, v_reverse);
        assert_ne!(v_commune, v_reverse);
    }
}
