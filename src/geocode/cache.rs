//! On-disk cache of a geocoder's decisions, keyed by the normalised address
//! ([`AddressQuery::key`]).
//!
//! Format: JSON lines. The first line names the geocoder
//! (`{"lieux_geocode_cache":1,"geocoder":"http://…"}`); each other line is one decision,
//! `{"k":"12 rue de la paix 75002 paris|75102","hit":{"lon":2.33,"lat":48.87,"precision":"housenumber","score":0.95,"label":"…"}}`
//! or `{"k":"…","hit":null}` for an address the geocoder could not place (so a second import
//! asks nothing). New decisions are appended after each batch, so an interrupted import keeps
//! what it paid for.
//!
//! A damaged cache never fails an import: unreadable lines are skipped (and the file rewritten
//! clean on the next save), a file of another geocoder or not a cache at all is replaced.
//!
//! [`AddressQuery::key`]: super::AddressQuery::key

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{GeocodeError, GeocodeHit, PositionOrigine, Precision, SourcePosition};
use crate::model::Position;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    lieux_geocode_cache: u32,
    geocoder: String,
}

#[derive(Serialize, Deserialize)]
struct Line {
    k: String,
    hit: Option<CachedHit>,
}

#[derive(Serialize, Deserialize)]
struct CachedHit {
    lon: f64,
    lat: f64,
    precision: String,
    score: Option<f64>,
    label: String,
    /// absent from caches written before it was kept
    #[serde(default)]
    citycode: Option<String>,
}

impl CachedHit {
    fn from_hit(hit: &GeocodeHit) -> CachedHit {
        CachedHit {
            lon: hit.position.lon,
            lat: hit.position.lat,
            precision: hit.origine.precision.as_str().to_owned(),
            score: hit.origine.score,
            label: hit.label.clone(),
            citycode: hit.citycode.clone(),
        }
    }

    fn into_hit(self) -> Option<GeocodeHit> {
        Some(GeocodeHit {
            position: Position::new_checked(self.lon, self.lat)?,
            origine: PositionOrigine {
                source: SourcePosition::Ban,
                precision: self.precision.parse::<Precision>().ok()?,
                score: self.score,
            },
            label: self.label,
            citycode: self.citycode,
        })
    }
}

/// The decisions of one geocoder, in memory and (when a path is given) on disk.
#[derive(Debug)]
pub struct Cache {
    path: Option<PathBuf>,
    geocoder: String,
    entries: HashMap<String, Option<GeocodeHit>>,
    /// Keys decided since the last save, in order.
    pending: Vec<String>,
    /// The file must be rewritten whole (absent, damaged, or another geocoder's).
    rewrite: bool,
    /// Lines skipped when loading.
    pub skipped_lines: usize,
}

impl Cache {
    /// An in-memory cache (nothing saved).
    pub fn memory(geocoder: &str) -> Cache {
        Cache {
            path: None,
            geocoder: geocoder.to_owned(),
            entries: HashMap::new(),
            pending: Vec::new(),
            rewrite: false,
            skipped_lines: 0,
        }
    }

    /// Loads `path` (absent: empty). Never fails: see the module documentation.
    pub fn open(path: &Path, geocoder: &str) -> Cache {
        let mut cache = Cache::memory(geocoder);
        cache.path = Some(path.to_owned());
        cache.rewrite = true;
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), "geocoding cache unreadable, starting empty: {e}");
                }
                return cache;
            }
        };
        let mut lines = text.lines();
        let header = lines
            .next()
            .and_then(|l| serde_json::from_str::<Header>(l).ok());
        match header {
            Some(h) if h.lieux_geocode_cache == VERSION && h.geocoder == geocoder => {}
            _ => {
                tracing::warn!(path = %path.display(), "not a geocoding cache of {geocoder}: it will be replaced");
                return cache;
            }
        }
        cache.rewrite = false;
        for line in lines {
            let parsed = serde_json::from_str::<Line>(line)
                .ok()
                .and_then(|l| match l.hit {
                    None => Some((l.k, None)),
                    Some(h) => h.into_hit().map(|h| (l.k, Some(h))),
                });
            match parsed {
                Some((k, hit)) => {
                    cache.entries.insert(k, hit);
                }
                None => cache.skipped_lines += 1,
            }
        }
        if cache.skipped_lines > 0 {
            tracing::warn!(
                path = %path.display(),
                skipped = cache.skipped_lines,
                "damaged geocoding cache lines skipped; the file will be rewritten"
            );
            cache.rewrite = true;
        }
        cache
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `Some(decision)` when `key` was decided before (`Some(None)`: not placeable).
    pub fn get(&self, key: &str) -> Option<&Option<GeocodeHit>> {
        self.entries.get(key)
    }

    /// Records a decision (saved by the next [`Cache::save`]).
    pub fn insert(&mut self, key: String, hit: Option<GeocodeHit>) {
        if self.entries.insert(key.clone(), hit).is_none() {
            self.pending.push(key);
        }
    }

    /// Writes the new decisions: appended, or the whole file rewritten (atomically) when it was
    /// absent or damaged.
    pub fn save(&mut self) -> Result<(), GeocodeError> {
        let Some(path) = self.path.clone() else {
            self.pending.clear();
            return Ok(());
        };
        if !self.rewrite && self.pending.is_empty() {
            return Ok(());
        }
        let err = |source| GeocodeError::Cache {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut out = Vec::new();
        if self.rewrite {
            let header = Header {
                lieux_geocode_cache: VERSION,
                geocoder: self.geocoder.clone(),
            };
            self.write_line(&mut out, &header);
            let mut keys: Vec<&String> = self.entries.keys().collect();
            keys.sort();
            for k in keys {
                self.write_entry(&mut out, k);
            }
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".tmp");
            let tmp = PathBuf::from(tmp);
            std::fs::write(&tmp, &out).map_err(err)?;
            std::fs::rename(&tmp, &path).map_err(err)?;
            self.rewrite = false;
        } else {
            for k in &self.pending {
                self.write_entry(&mut out, k);
            }
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(err)?;
            file.write_all(&out).map_err(err)?;
        }
        self.pending.clear();
        Ok(())
    }

    fn write_entry(&self, out: &mut Vec<u8>, key: &str) {
        if let Some(hit) = self.entries.get(key) {
            let line = Line {
                k: key.to_owned(),
                hit: hit.as_ref().map(CachedHit::from_hit),
            };
            self.write_line(out, &line);
        }
    }

    fn write_line<T: Serialize>(&self, out: &mut Vec<u8>, value: &T) {
        // Serialising plain structs into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, value);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(lon: f64) -> GeocodeHit {
        GeocodeHit {
            position: Position { lon, lat: 47.0 },
            origine: PositionOrigine {
                source: SourcePosition::Ban,
                precision: Precision::Street,
                score: Some(0.93),
            },
            label: "Rue X 49000 Angers".into(),
            citycode: None,
        }
    }

    #[test]
    fn round_trip_append_and_damage() -> Result<(), GeocodeError> {
        let dir = std::env::temp_dir().join(format!("lieux-cache-test-{}", std::process::id()));
        let path = dir.join("c.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        let io = |source| GeocodeError::Cache {
            path: path.clone(),
            source,
        };

        let mut c = Cache::open(&path, "http://a");
        assert!(c.is_empty());
        c.insert("a".into(), Some(hit(1.0)));
        c.insert("b".into(), None);
        c.save()?;
        let mut c = Cache::open(&path, "http://a");
        assert_eq!((c.len(), c.skipped_lines), (2, 0));
        assert_eq!(c.get("a"), Some(&Some(hit(1.0))));
        assert_eq!(c.get("b"), Some(&None));
        // Appended, not rewritten.
        c.insert("c".into(), Some(hit(2.0)));
        c.save()?;
        let text = std::fs::read_to_string(&path).map_err(io)?;
        assert_eq!(text.lines().count(), 4);

        // A truncated last line and garbage: skipped, the rest kept, the file rewritten clean.
        let damaged = format!("{text}{{\"k\":\"d\",\"hit\":{{\"lon\":1\nnot json\n");
        std::fs::write(&path, damaged).map_err(io)?;
        let mut c = Cache::open(&path, "http://a");
        assert_eq!((c.len(), c.skipped_lines), (3, 2));
        c.save()?;
        assert_eq!(Cache::open(&path, "http://a").skipped_lines, 0);

        // Another geocoder's cache, or a binary file: ignored.
        assert!(Cache::open(&path, "http://b").is_empty());
        std::fs::write(&path, [0xff, 0xfe, 0, 1]).map_err(io)?;
        assert!(Cache::open(&path, "http://a").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
