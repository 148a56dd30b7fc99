//! Geocoding of places without usable coordinates, and the provenance of every position.
//!
//! - [`PositionOrigine`]: how a place's position was obtained (`source`, `precision`, `score`),
//!   stored in the snapshot and shown in the GeoJSON properties. A field of every
//!   [`Lieu`](crate::model::Lieu), so defined in [`crate::model`] and re-exported here.
//! - [`Geocoder`]: turns addresses into positions. Two implementations:
//!   [`ban::BanGeocoder`], a client of the BAN `/search/csv/` batch protocol (api-adresse, addok)
//!   with an on-disk [`cache`], and [`offline::CommuneGeocoder`], which places a row at a point
//!   inside its commune from the embedded commune table.
//!
//! - [`reverse`]: the street address at a point (BAN `/reverse/csv/`), for rows with
//!   coordinates and no address.
//! - [`suggest`]: address search for a person typing (`/v1/adresses`, `adresse=`), the BAN
//!   `/search/` endpoint with the commune table as fallback.
//!
//! The import runs the geocoders in order on the rows still without a position
//! (`crate::import`, `geocoding.rs`): `--geocoder URL` is BAN then the commune fallback,
//! `--geocoder offline` the commune fallback alone.

pub mod ban;
pub mod cache;
pub mod offline;
pub mod reverse;
pub mod suggest;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::Position;
pub use crate::model::{PositionOrigine, Precision, SourcePosition};

/// What a geocoder is asked: one row's address, as validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressQuery {
    pub adresse: String,
    pub code_postal: String,
    pub commune: String,
    pub code_insee: Option<String>,
}

impl AddressQuery {
    /// The address of a validated place.
    pub fn of(l: &crate::model::Lieu) -> AddressQuery {
        AddressQuery {
            adresse: l.adresse.to_string(),
            code_postal: l.code_postal.to_string(),
            commune: l.commune.to_string(),
            code_insee: l.code_insee.as_deref().map(str::to_owned),
        }
    }

    /// `adresse code_postal commune`, the free-text query of `/search/?q=`.
    pub fn text(&self) -> String {
        format!("{} {} {}", self.adresse, self.code_postal, self.commune)
    }

    /// Cache key: the folded address (case, accents, punctuation, `St`/`Saint` ignored) and the
    /// INSEE code, which the acceptance thresholds depend on.
    pub fn key(&self) -> String {
        format!(
            "{}|{}",
            crate::commune_table::fold(&self.text()),
            self.code_insee.as_deref().unwrap_or("")
        )
    }
}

/// A geocoder's answer for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct GeocodeHit {
    pub position: Position,
    pub origine: PositionOrigine,
    /// What was matched, for the import report (BAN label, commune code and name).
    pub label: String,
    /// INSEE code of the commune the answer lies in, when the geocoder says (BAN
    /// `result_citycode`): the import takes the commune from it when the row's own was a guess.
    pub citycode: Option<String>,
}

/// The address reverse geocoding ([`reverse`]) found at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct ReverseHit {
    /// The street address: `12 Rue de la Paix` (number and street), or the street or
    /// locality name.
    pub adresse: String,
    /// BAN's full label (`12 Rue de la Paix 49000 Angers`).
    pub label: String,
    /// Distance from the point to the address, metres.
    pub distance_m: f64,
    /// `housenumber`, `street` or `locality`.
    pub precision: Precision,
    /// INSEE code of the address's commune.
    pub citycode: Option<String>,
}

/// Failure of a geocoder as a whole (a row that cannot be placed is not an error).
#[derive(Debug, thiserror::Error)]
pub enum GeocodeError {
    #[error("geocoder {url}: request failed")]
    Http {
        url: String,
        #[source]
        source: Box<reqwest::Error>,
    },
    #[error("geocoder {url}: HTTP status {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("geocoder {url}: unexpected answer: {reason}")]
    Answer { url: String, reason: String },
    #[error("geocoder: {0:?} is not a URL (http://… or https://…) nor `offline`")]
    Spec(String),
    #[error("geocoding cache {path}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Counters of one geocoder, for the log and the tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeocodeStats {
    /// Rows asked.
    pub asked: u64,
    /// Rows placed.
    pub placed: u64,
    /// HTTP requests sent (batches and single queries).
    pub requests: u64,
    /// Of which batch (`/search/csv/`) requests.
    pub batches: u64,
    /// Answers taken from the cache.
    pub cache_hits: u64,
}

/// Rows asked and placed by one geocoder, counted across calls (atomics: geocoders take
/// `&self`).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    asked: AtomicU64,
    placed: AtomicU64,
}

impl Tally {
    pub(crate) fn ask(&self, rows: usize) {
        self.asked.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// Counts the rows of an answer that were placed, and passes the answer on.
    pub(crate) fn answer(&self, out: Vec<Option<GeocodeHit>>) -> Vec<Option<GeocodeHit>> {
        let placed = out.iter().filter(|h| h.is_some()).count() as u64;
        self.placed.fetch_add(placed, Ordering::Relaxed);
        out
    }

    /// `asked` and `placed`; the other figures zero.
    pub(crate) fn stats(&self) -> GeocodeStats {
        GeocodeStats {
            asked: self.asked.load(Ordering::Relaxed),
            placed: self.placed.load(Ordering::Relaxed),
            ..GeocodeStats::default()
        }
    }
}

/// Places addresses. Implementations take `&self` (counters and caches use interior
/// mutability) so one geocoder can be shared by the import options and the caller.
pub trait Geocoder: fmt::Debug + Send + Sync {
    /// Short name for the log (`ban`, `commune`).
    fn name(&self) -> &'static str;

    /// One answer per query, in order (`None`: not placed). `progress` is called with the
    /// number of rows done since the previous call.
    fn geocode(
        &self,
        queries: &[AddressQuery],
        progress: &dyn Fn(u64),
    ) -> Result<Vec<Option<GeocodeHit>>, GeocodeError>;

    /// Does this geocoder place addresses (`false`: it only reverse geocodes, see
    /// [`reverse::ReverseOnly`]; the import does not ask it to place rows).
    fn places(&self) -> bool {
        true
    }

    /// The street address at each point (`None`: nothing near), for rows with coordinates and
    /// no address; `None` when this geocoder cannot reverse geocode (the offline one).
    fn reverse(
        &self,
        _points: &[Position],
        _progress: &dyn Fn(u64),
    ) -> Option<Result<Vec<Option<ReverseHit>>, GeocodeError>> {
        None
    }

    /// Counters since creation.
    fn stats(&self) -> GeocodeStats;
}

/// The geocoders of `--geocoder SPEC`: `offline` → the commune fallback; an `http(s)://` base URL
/// → BAN (with its cache at `cache`, if any) then the commune fallback.
pub fn chain_from_spec(
    spec: &str,
    cache: Option<PathBuf>,
) -> Result<Vec<Arc<dyn Geocoder>>, GeocodeError> {
    let offline: Arc<dyn Geocoder> = Arc::new(offline::CommuneGeocoder::embedded());
    if spec == "offline" {
        return Ok(vec![offline]);
    }
    if !(spec.starts_with("http://") || spec.starts_with("https://")) {
        return Err(GeocodeError::Spec(spec.to_owned()));
    }
    let ban = ban::BanGeocoder::new(spec, cache, ban::BanOptions::default())?;
    Ok(vec![Arc::new(ban), offline])
}

/// Default cache file of a BAN base URL: `$XDG_CACHE_HOME/lieux/` (else `~/.cache/lieux/`),
/// one file per URL. `None` when neither directory variable is set.
pub fn default_cache_path(base_url: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    let name: String = base_url
        .trim_end_matches('/')
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    Some(dir.join("lieux").join(format!("geocode-{name}.jsonl")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ignores_case_accents_and_punctuation() {
        let q = |a: &str| AddressQuery {
            adresse: a.into(),
            code_postal: "49000".into(),
            commune: "Angers".into(),
            code_insee: Some("49007".into()),
        };
        assert_eq!(
            q("12, Rue de l'Église").key(),
            q("12 rue de l eglise").key()
        );
        assert_ne!(q("12 rue").key(), q("14 rue").key());
        assert_eq!(q("1 Bd").key(), "1 bd 49000 angers|49007");
    }

    #[test]
    fn spec_and_cache_path() {
        assert!(matches!(
            chain_from_spec("ftp://x", None),
            Err(GeocodeError::Spec(_))
        ));
        let chain = chain_from_spec("offline", None).map(|c| c.len()).ok();
        assert_eq!(chain, Some(1));
        let name = default_cache_path("http://127.0.0.1:7878/")
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        if let Some(name) = name {
            assert_eq!(name, "geocode-127_0_0_1_7878.jsonl");
        }
    }
}
