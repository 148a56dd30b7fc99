//! Per-place GeoJSON bytes that do not change between requests, kept once serialised.
//!
//! A Feature is its static part (`type`, `id`, `geometry` and every property read from the
//! data), written by [`super::features`] once per place and dataset, then the per-request
//! members (`distance_m`, `ouvert`, …) appended to a copy. Profiling `lieux serve` under `wrk`
//! (README, *Peer benchmark*) showed the serialisation of the static part (serde_json over ~25
//! fields, `date_maj` formatted by chrono) as the largest cost of nearest and bbox answers.
//!
//! Next to them, each place's opening status (`ouvert`, `prochaine_ouverture`) is memoised for
//! the minute it was last evaluated in ([`FeatureCache::status`]): OSM opening hours change on
//! whole minutes, so every request of that minute shares one evaluation. The same profile, once
//! the static bytes were cached, showed the hours evaluation as ~20 % of a bbox answer.
//!
//! Filled lazily, place by place, as requests touch them: memory follows the places actually
//! served, up to [`MAX_CACHED_BYTES`] per dataset (beyond, features are serialised per request as
//! before). Each dataset has its own cache, found by the dataset's address and content version
//! (a replaced dataset gets a new one; the last [`CACHED_DATASETS`] are kept, and each worker
//! thread holds on to the last one it used until it serves another).

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use lru::LruCache;

use chrono::{DateTime, FixedOffset};

use crate::dataset::Dataset;
use crate::hours::Status;

/// Budget of cached bytes per dataset: ~1 KB per place, so about the 250 000 most served places.
const MAX_CACHED_BYTES: usize = 256 << 20;

/// Datasets whose caches are kept: the current one and the one it replaced (still answering
/// requests in flight). Each costs up to 24 bytes per place plus [`MAX_CACHED_BYTES`].
const CACHED_DATASETS: usize = 2;

/// Static bytes of each place of one dataset, by slot, and its last opening status.
pub struct FeatureCache {
    /// Boxed: 16 bytes a place whether cached or not (the part inline took 56, 56 MB at 1 M
    /// places, issue 19).
    slots: Vec<OnceLock<Box<StaticPart>>>,
    bytes: AtomicUsize,
    /// [`PackedStatus`] by slot (0: none yet).
    status: Vec<AtomicU64>,
}

impl FeatureCache {
    fn new(places: usize) -> FeatureCache {
        FeatureCache {
            slots: (0..places).map(|_| OnceLock::new()).collect(),
            bytes: AtomicUsize::new(0),
            status: (0..places).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Whether a scan of every place of a dataset of `places` keeps the parts it makes: only
    /// when they would all fit in the budget (~1 KB each). A full `/v1/lieux` of 1 M places
    /// would otherwise fill the budget with the first places by id (256 MB more RSS, issue
    /// 19) and leave nothing for the places that bbox and nearest requests ask for.
    pub fn keeps_whole_scans(places: usize) -> bool {
        places.saturating_mul(1024) <= MAX_CACHED_BYTES
    }

    /// The opening status of `slot` at `at`: memoised for the minute of `at`, else computed by
    /// `compute` (and kept when it packs, see [`PackedStatus`]).
    pub fn status(
        &self,
        slot: u32,
        at: DateTime<FixedOffset>,
        compute: impl FnOnce() -> Status,
    ) -> Status {
        let minute = at.timestamp().div_euclid(60);
        let Some(cell) = self.status.get(slot as usize) else {
            return compute();
        };
        if let Some(s) = PackedStatus(cell.load(Ordering::Relaxed)).unpack(minute) {
            return s;
        }
        let s = compute();
        if let Some(p) = PackedStatus::pack(minute, &s) {
            cell.store(p.0, Ordering::Relaxed);
        }
        s
    }

    /// Runs `with` on the static part of `slot`: from the cache, else made by `make` and kept
    /// while within the budget, when `keep`. Without `keep`, a part not cached is not made:
    /// `with` gets `None` and writes the Feature itself (a scan of 1 M places made, indexed and
    /// copied every part only to drop it; without that, and with `date_maj` written by hand, the
    /// plain stream takes 2.5× less CPU, `benches/stream.sh`, issue 19).
    pub fn with_static<R>(
        &self,
        slot: u32,
        keep: bool,
        make: impl FnOnce() -> StaticPart,
        with: impl FnOnce(Option<&StaticPart>) -> R,
    ) -> R {
        let cell = self.slots.get(slot as usize);
        if let Some(part) = cell.and_then(OnceLock::get) {
            return with(Some(part));
        }
        let Some(cell) = cell.filter(|_| keep) else {
            return with(None);
        };
        let part = Box::new(make());
        let len = part.size();
        // Over budget: leave it uncached. Two threads may both make the same place; only one
        // copy is kept, and the budget counts both (a slight overestimate).
        if self.bytes.fetch_add(len, Ordering::Relaxed) + len <= MAX_CACHED_BYTES {
            return with(Some(cell.get_or_init(|| part)));
        }
        with(Some(&part))
    }

    /// Bytes held (or claimed) by the cache.
    #[cfg(test)]
    pub fn cached_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed).min(MAX_CACHED_BYTES)
    }
}

/// The static part of one Feature (it ends inside `properties`, after its last static
/// member) and where each member of `properties` ends, so that a `properties=` selection is
/// copied from it member by member instead of serialised again (the profile of nearest answers
/// with `properties=` showed the serialisation, coordinates above all, costing more than the
/// copy of the whole Feature).
pub struct StaticPart {
    bytes: Box<[u8]>,
    /// Where the first member of `properties` starts (just after its `{`).
    head: u32,
    /// The bit of each member present, in their order; 0 when the members could not be told
    /// apart (then no selection is made from this part).
    present: u64,
    /// End of each member present, in order.
    ends: Box<[u32]>,
}

impl StaticPart {
    /// The part in `bytes`, whose `properties` members are found by a scan of the JSON;
    /// `bit_of` gives the bit of a member's name: members must come in ascending bit order.
    pub fn new(bytes: Vec<u8>, bit_of: impl Fn(&str) -> u64) -> StaticPart {
        let mut part = StaticPart {
            head: 0,
            present: 0,
            ends: Box::new([]),
            bytes: bytes.into_boxed_slice(),
        };
        if let Some((head, present, ends)) = members(&part.bytes, bit_of) {
            part.head = head;
            part.present = present;
            part.ends = ends.into_boxed_slice();
        }
        part
    }

    fn size(&self) -> usize {
        self.bytes.len() + 4 * self.ends.len() + std::mem::size_of::<Self>()
    }

    /// Appends the whole part.
    pub fn write_all(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }

    /// Appends the part with only the members whose bits are in `set`; false (nothing written)
    /// when its members are not known.
    pub fn write_selected(&self, out: &mut Vec<u8>, set: u64) -> bool {
        if self.present == 0 {
            return false;
        }
        let head = self.head as usize;
        out.extend_from_slice(&self.bytes[..head]);
        let (mut rest, mut start, mut first) = (self.present, head, true);
        for &end in &self.ends {
            let bit = rest & rest.wrapping_neg();
            rest &= !bit;
            let end = end as usize;
            if set & bit != 0 {
                if !first {
                    out.push(b',');
                }
                out.extend_from_slice(&self.bytes[start..end]);
                first = false;
            }
            start = end + 1;
        }
        true
    }
}

/// Where the members of the `properties` object of `bytes` start, their bits and ends.
fn members(bytes: &[u8], bit_of: impl Fn(&str) -> u64) -> Option<(u32, u64, Vec<u32>)> {
    // `"properties":{` cannot occur inside a JSON string (its quotes would be escaped)
    const KEY: &[u8] = br#""properties":{"#;
    let head = bytes.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let mut spans = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut start) = (0u32, false, false, head);
    for (i, &c) in bytes.iter().enumerate().skip(head) {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b',' if depth == 0 => {
                spans.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    if bytes.len() > start {
        spans.push((start, bytes.len()));
    }
    let (mut present, mut ends) = (0u64, Vec::with_capacity(spans.len()));
    for (start, end) in spans {
        let name = bytes.get(start + 1..end)?;
        let name = std::str::from_utf8(&name[..name.iter().position(|&b| b == b'"')?]).ok()?;
        let bit = bit_of(name);
        // a known name, after the previous one
        if bit == 0 || bit <= present {
            return None;
        }
        present |= bit;
        ends.push(u32::try_from(end).ok()?);
    }
    Some((u32::try_from(head).ok()?, present, ends))
}

/// An opening status and the minute it holds for, in one word so that threads read and write
/// it without a lock: bits 0–31 the minute since the Unix epoch plus one (0: empty), bit 32
/// `ouvert`, bit 33 whether there is a next opening, bits 34–53 the minutes from that minute to
/// the next opening, bits 54–60 its UTC offset in quarter hours (biased by 64). A status that
/// does not fit (an opening on a non-whole minute or more than 2^20 minutes away, an offset off
/// the quarter hour) is not memoised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedStatus(u64);

impl PackedStatus {
    const MINUTE_BITS: u32 = 32;
    const DELTA_BITS: u32 = 20;

    fn pack(minute: i64, s: &Status) -> Option<PackedStatus> {
        let key = u64::try_from(minute.checked_add(1)?).ok()?;
        if key >= 1 << Self::MINUTE_BITS {
            return None;
        }
        let mut word = key | u64::from(s.ouvert) << 32;
        if let Some(next) = s.prochaine_ouverture {
            let seconds = next.timestamp() - minute * 60;
            let offset = next.offset().local_minus_utc();
            if seconds % 60 != 0 || offset % 900 != 0 {
                return None;
            }
            let delta = u64::try_from(seconds / 60).ok()?;
            let quarters = u64::try_from(offset / 900 + 64).ok()?;
            if delta >= 1 << Self::DELTA_BITS || quarters >= 128 {
                return None;
            }
            word |= 1 << 33 | delta << 34 | quarters << 54;
        }
        Some(PackedStatus(word))
    }

    /// The status if this word holds one for `minute`.
    fn unpack(self, minute: i64) -> Option<Status> {
        let key = self.0 & ((1 << Self::MINUTE_BITS) - 1);
        if key == 0 || i64::try_from(key).ok()? != minute.checked_add(1)? {
            return None;
        }
        let ouvert = self.0 >> 32 & 1 == 1;
        let prochaine_ouverture = if self.0 >> 33 & 1 == 1 {
            let delta = i64::try_from(self.0 >> 34 & ((1 << Self::DELTA_BITS) - 1)).ok()?;
            let quarters = i32::try_from(self.0 >> 54 & 127).ok()? - 64;
            let offset = FixedOffset::east_opt(quarters * 900)?;
            let utc = DateTime::from_timestamp((minute + delta) * 60, 0)?;
            Some(utc.with_timezone(&offset))
        } else {
            None
        };
        Some(Status {
            ouvert,
            prochaine_ouverture,
        })
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

    fn monday_9am() -> DateTime<FixedOffset> {
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
            .unwrap()
            .fixed_offset()
    }

    #[test]
    fn cached_features_are_the_serialised_ones() {
        let ds = Dataset::new(crate::testdata::synthetic_lieux(300, 3));
        let at = monday_9am();
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

    /// A feature written without keeping its part (a scan of a large dataset) is the one
    /// written and kept, and leaves the cache as it was; only datasets whose parts all fit are
    /// scanned into the cache.
    #[test]
    fn unkept_features_are_the_same_and_cache_nothing() {
        let ds = Dataset::new(crate::testdata::synthetic_lieux(50, 5));
        let at = monday_9am();
        let unkept = Extra {
            keep: false,
            ..Extra::at(at)
        };
        let before: Vec<Vec<u8>> = (0..50).map(|s| feature(&ds, s, &unkept)).collect();
        assert_eq!(with(&ds, |c| c.cached_bytes()), 0);
        for (slot, f) in before.iter().enumerate() {
            assert_eq!(&feature(&ds, slot as u32, &Extra::at(at)), f);
        }
        assert!(with(&ds, |c| c.cached_bytes()) > 50 * 200);
        assert!(FeatureCache::keeps_whole_scans(35_000));
        assert!(!FeatureCache::keeps_whole_scans(1_000_000));
    }

    /// A status as served: `DateTime` equality ignores the offset, the RFC 3339 text does not.
    fn shown(s: &Status) -> (bool, Option<String>) {
        (s.ouvert, s.prochaine_ouverture.map(|t| t.to_rfc3339()))
    }

    /// Memoised statuses are the evaluated ones, for every place of the embedded data (real
    /// hours, metropolitan and overseas time zones) at instants over a year, DST changes
    /// included, read back at another second of the same minute.
    #[test]
    fn memoised_status_is_the_evaluated_one() {
        let ds = Dataset::embedded().expect("embedded data");
        let cache = FeatureCache::new(ds.lieux().len());
        let mut rng = crate::testdata::Rng::new(7);
        let mut instants: Vec<i64> = (0..120)
            .map(|_| 1_767_225_600 + (rng.below(365 * 24 * 60) as i64) * 60)
            .collect();
        // the 2026 DST changes in Europe/Paris (01:00 UTC), the minutes around them
        for change in [1_774_746_000i64, 1_792_890_000] {
            instants.extend((-2..=2).map(|m| change + m * 60));
        }
        let paris = FixedOffset::east_opt(3600).expect("offset");
        let (mut computed, mut memoised, mut closed_with_next) = (0, 0, 0);
        for minute_start in instants {
            for (slot, lieu) in ds.lieux().iter().enumerate() {
                let Some(h) = &lieu.horaires else { continue };
                let slot = slot as u32;
                let tz = ds.timezone(slot);
                let first = DateTime::from_timestamp(minute_start + 5, 0)
                    .expect("instant")
                    .with_timezone(&paris);
                let second = first + chrono::Duration::seconds(50);
                let a = cache.status(slot, first, || {
                    computed += 1;
                    h.status(first, tz)
                });
                assert_eq!(
                    shown(&a),
                    shown(&h.status(first, tz)),
                    "{} at {first}",
                    lieu.id
                );
                let b = cache.status(slot, second, || h.status(second, tz));
                let expected = h.status(second, tz);
                assert_eq!(shown(&b), shown(&expected), "{} at {second}", lieu.id);
                if PackedStatus::pack(minute_start.div_euclid(60), &expected).is_some() {
                    memoised += 1;
                }
                closed_with_next += usize::from(expected.prochaine_ouverture.is_some());
            }
        }
        assert!(computed > 100_000, "{computed} evaluations");
        assert!(
            closed_with_next > 10_000,
            "{closed_with_next} closed with a next opening"
        );
        // what does not pack is evaluated each time; nearly everything packs
        assert!(
            memoised * 100 >= computed * 99,
            "{memoised} of {computed} memoised"
        );
    }

    #[test]
    fn packed_status_round_trips_and_keys_on_the_minute() {
        let minute = 29_500_000i64;
        let at = |m: i64, off: i32| {
            DateTime::from_timestamp(m * 60, 0)
                .expect("instant")
                .with_timezone(&FixedOffset::east_opt(off).expect("offset"))
        };
        let cases = [
            Status {
                ouvert: true,
                prochaine_ouverture: None,
            },
            Status {
                ouvert: false,
                prochaine_ouverture: None,
            },
            Status {
                ouvert: false,
                prochaine_ouverture: Some(at(minute + 75, 3600)),
            },
            Status {
                ouvert: false,
                prochaine_ouverture: Some(at(minute + 525_000, -4 * 3600)),
            },
            Status {
                ouvert: false,
                prochaine_ouverture: Some(at(minute + 1, 14 * 3600)),
            },
        ];
        for s in cases {
            let p = PackedStatus::pack(minute, &s).expect("packs");
            assert_eq!(p.unpack(minute).as_ref().map(shown), Some(shown(&s)));
            assert_eq!(p.unpack(minute + 1), None);
            assert_eq!(p.unpack(minute - 1), None);
        }
        assert_eq!(PackedStatus(0).unpack(-1), None);
        // more than 2^20 minutes ahead, off the minute, off the quarter hour: not memoised
        for next in [
            at(minute + (1 << 20), 0),
            at(minute, 0) + chrono::Duration::seconds(30),
            at(minute + 5, 3600 + 60),
        ] {
            let s = Status {
                ouvert: false,
                prochaine_ouverture: Some(next),
            };
            assert_eq!(PackedStatus::pack(minute, &s), None, "{next}");
        }
    }
}
