//! Client of the BAN geocoding protocol, as api-adresse.data.gouv.fr and addok (with the
//! `addok-csv` plugin) speak it:
//!
//! 1. **Batch**: `POST {base}/search/csv/`, multipart form: `data` = a CSV file
//!    (`i,adresse,code_postal,commune,code_insee`), `columns` = `adresse`, `code_postal`,
//!    `commune` (joined into the query), `citycode` = `code_insee` (restricts each row's search
//!    to its commune when the code is set). The answer is the same CSV with `latitude`,
//!    `longitude`, `result_label`, `result_score`, `result_type`, `result_citycode`… appended.
//!    Rows of at most [`BanOptions::batch_size`] per request; a result is accepted at
//!    `result_score ≥` [`BanOptions::accept_batch`].
//! 2. **Retry** of the other rows one by one: `GET {base}/search/?q=adresse code_postal
//!    commune&limit=1&autocomplete=0` (no commune filter, so a wrong or outdated INSEE code does
//!    not hide the address). Accepted at `score ≥` [`BanOptions::accept_single`], or
//!    [`BanOptions::accept_citycode`] when the result's `citycode` is the row's `code_insee`.
//!
//! Every decision (placed or not) goes to the [`Cache`], saved after each batch.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::cache::Cache;
use super::{
    AddressQuery, GeocodeError, GeocodeHit, GeocodeStats, Geocoder, PositionOrigine, Precision,
    ReverseHit, SourcePosition, Tally,
};
use crate::model::Position;

/// Batch size and acceptance thresholds.
#[derive(Debug, Clone, Copy)]
pub struct BanOptions {
    /// Rows per `/search/csv/` request (api-adresse accepts files up to 50 MB; 1 000 rows keep
    /// each request well under its time limits and the progress bar moving).
    pub batch_size: usize,
    /// Minimum `result_score` of a batch answer.
    pub accept_batch: f64,
    /// Minimum score of a single query's answer.
    pub accept_single: f64,
    /// Minimum score of a single query's answer in the row's own commune (`citycode`).
    pub accept_citycode: f64,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for BanOptions {
    fn default() -> Self {
        BanOptions {
            batch_size: 1000,
            accept_batch: 0.9,
            accept_single: 0.6,
            accept_citycode: 0.4,
            timeout: Duration::from_secs(300),
        }
    }
}

/// A BAN geocoder at one base URL (e.g. `https://api-adresse.data.gouv.fr`,
/// `http://127.0.0.1:7878` for a local addok).
#[derive(Debug)]
pub struct BanGeocoder {
    pub(super) base: String,
    pub(super) options: BanOptions,
    pub(super) client: reqwest::blocking::Client,
    cache: Mutex<Cache>,
    tally: Tally,
    requests: AtomicU64,
    pub(super) batches: AtomicU64,
    pub(super) cache_hits: AtomicU64,
}

/// One answer before the thresholds: position, score, BAN type, citycode, label (and, from
/// the JSON endpoint, postcode and city).
#[derive(Debug, Clone, PartialEq)]
pub struct BanAnswer {
    pub position: Position,
    /// `score` (0..1 as BAN gives it).
    pub score: f64,
    /// `type`: `housenumber`, `street`, `locality` or `municipality`.
    pub kind: String,
    pub citycode: String,
    pub label: String,
    /// `postcode` (empty when absent, and always in the batch answers).
    pub postcode: String,
    /// `city` (empty when absent, and always in the batch answers).
    pub city: String,
}

impl BanAnswer {
    fn into_hit(self) -> GeocodeHit {
        GeocodeHit {
            position: self.position,
            origine: PositionOrigine {
                source: SourcePosition::Ban,
                precision: Precision::from_ban_type(&self.kind),
                score: Some(self.score),
            },
            label: self.label,
            citycode: Some(self.citycode).filter(|c| !c.is_empty()),
        }
    }
}

impl BanGeocoder {
    /// `cache`: the cache file (see [`Cache`]); `None` keeps decisions in memory only.
    pub fn new(
        base: &str,
        cache: Option<std::path::PathBuf>,
        options: BanOptions,
    ) -> Result<BanGeocoder, GeocodeError> {
        let base = base.trim_end_matches('/').to_owned();
        let client = reqwest::blocking::Client::builder()
            .timeout(options.timeout)
            .user_agent(concat!("lieux/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GeocodeError::Http {
                url: base.clone(),
                source: Box::new(e),
            })?;
        let cache = match cache {
            Some(path) => Cache::open(&path, &base),
            None => Cache::memory(&base),
        };
        Ok(BanGeocoder {
            base,
            options,
            client,
            cache: Mutex::new(cache),
            tally: Tally::default(),
            requests: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
        })
    }

    pub(super) fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the lock cannot leave the map half-updated: use it anyway.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn http_err(&self, url: &str) -> impl Fn(reqwest::Error) -> GeocodeError {
        let url = url.to_owned();
        move |e| GeocodeError::Http {
            url: url.clone(),
            source: Box::new(e),
        }
    }

    /// Sends one request, checks the status, returns the body.
    pub(super) fn send(
        &self,
        url: &str,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<String, GeocodeError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = request.send().map_err(self.http_err(url))?;
        let status = response.status();
        let body = response.text().map_err(self.http_err(url))?;
        if !status.is_success() {
            return Err(GeocodeError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                body: body.chars().take(300).collect(),
            });
        }
        Ok(body)
    }

    /// One `/search/csv/` request: the best answer of each query (by position in `queries`).
    fn batch(&self, queries: &[&AddressQuery]) -> Result<Vec<Option<BanAnswer>>, GeocodeError> {
        let url = format!("{}/search/csv/", self.base);
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err = |e: &dyn std::fmt::Display| GeocodeError::Answer {
            url: url.clone(),
            reason: format!("cannot write the request CSV: {e}"),
        };
        w.write_record(["i", "adresse", "code_postal", "commune", "code_insee"])
            .map_err(|e| csv_err(&e))?;
        for (i, q) in queries.iter().enumerate() {
            let i = i.to_string();
            let insee = q.code_insee.as_deref().unwrap_or("");
            // Line breaks inside a value would split addok's rows (it rewrites bare \n).
            let clean = |s: &str| s.replace(['\r', '\n'], " ");
            w.write_record([
                i.as_str(),
                &clean(&q.adresse),
                &clean(&q.code_postal),
                &clean(&q.commune),
                insee,
            ])
            .map_err(|e| csv_err(&e))?;
        }
        let data = w.into_inner().map_err(|e| csv_err(&e))?;
        let part = reqwest::blocking::multipart::Part::bytes(data)
            .file_name("lieux.csv")
            .mime_str("text/csv")
            .map_err(self.http_err(&url))?;
        let form = reqwest::blocking::multipart::Form::new()
            .part("data", part)
            .text("columns", "adresse")
            .text("columns", "code_postal")
            .text("columns", "commune")
            .text("citycode", "code_insee");
        self.batches.fetch_add(1, Ordering::Relaxed);
        let body = self.send(&url, self.client.post(&url).multipart(form))?;
        parse_batch(&body, queries.len()).map_err(|reason| GeocodeError::Answer { url, reason })
    }

    /// One `/search/?q=` request: the best answer.
    fn single(&self, q: &AddressQuery) -> Result<Option<BanAnswer>, GeocodeError> {
        let url = format!("{}/search/", self.base);
        let request = self.client.get(&url).query(&[
            ("q", q.text().as_str()),
            ("limit", "1"),
            ("autocomplete", "0"),
        ]);
        let body = self.send(&url, request)?;
        parse_single(&body).map_err(|reason| GeocodeError::Answer { url, reason })
    }

    /// Address autocompletion for a person typing: `GET {base}/search/?q=&limit=[&lat=&lon=]`
    /// (with `lat`/`lon`, BAN favours answers near the point), every answer in BAN's order, no
    /// threshold and no cache. Bounded by [`BanOptions::timeout`].
    pub fn search(
        &self,
        text: &str,
        limit: usize,
        near: Option<Position>,
    ) -> Result<Vec<BanAnswer>, GeocodeError> {
        let url = format!("{}/search/", self.base);
        let mut pairs = vec![("q", text.to_owned()), ("limit", limit.to_string())];
        if let Some(p) = near {
            pairs.push(("lat", p.lat.to_string()));
            pairs.push(("lon", p.lon.to_string()));
        }
        let body = self.send(&url, self.client.get(&url).query(&pairs))?;
        parse_features(&body).map_err(|reason| GeocodeError::Answer { url, reason })
    }

    /// The single-query acceptance rule.
    fn accept_single(&self, q: &AddressQuery, a: &BanAnswer) -> bool {
        a.score >= self.options.accept_single
            || (a.score >= self.options.accept_citycode
                && q.code_insee.as_deref() == Some(a.citycode.as_str()))
    }
}

/// Column `name` of the answer header.
fn column(headers: &csv::StringRecord, name: &str) -> Result<usize, String> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| format!("no column {name} in the answer CSV"))
}

fn parse_batch(body: &str, n: usize) -> Result<Vec<Option<BanAnswer>>, String> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let (i_col, lat, lon, score, kind, citycode) = (
        column(&headers, "i")?,
        column(&headers, "latitude")?,
        column(&headers, "longitude")?,
        column(&headers, "result_score")?,
        column(&headers, "result_type")?,
        column(&headers, "result_citycode")?,
    );
    let label = column(&headers, "result_label").ok();
    let mut out = vec![None; n];
    for record in r.records() {
        let record = record.map_err(|e| e.to_string())?;
        let get = |c: usize| record.get(c).unwrap_or("").trim();
        let i: usize = get(i_col)
            .parse()
            .map_err(|_| format!("row index {:?} is not one we sent", get(i_col)))?;
        let slot = out
            .get_mut(i)
            .ok_or_else(|| format!("row index {i} is not one we sent"))?;
        let num = |c: usize| get(c).parse::<f64>().ok();
        let (Some(la), Some(lo), Some(s)) = (num(lat), num(lon), num(score)) else {
            continue; // not found
        };
        let Some(position) = Position::new_checked(lo, la) else {
            continue;
        };
        *slot = Some(BanAnswer {
            position,
            score: s,
            kind: get(kind).to_owned(),
            citycode: get(citycode).to_owned(),
            label: label.map(get).unwrap_or_default().to_owned(),
            postcode: String::new(),
            city: String::new(),
        });
    }
    Ok(out)
}

/// The features of a `/search/` JSON answer, in order. A feature whose coordinates are out of
/// range is skipped; one without numeric coordinates or score makes the answer invalid.
fn parse_features(body: &str) -> Result<Vec<BanAnswer>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or("no features array")?;
    let mut out = Vec::with_capacity(features.len());
    for f in features {
        let coords = f
            .pointer("/geometry/coordinates")
            .and_then(Value::as_array)
            .ok_or("feature without coordinates")?;
        let c = |i: usize| coords.get(i).and_then(Value::as_f64);
        let (Some(lon), Some(lat)) = (c(0), c(1)) else {
            return Err("feature coordinates are not numbers".into());
        };
        let score = f
            .pointer("/properties/score")
            .and_then(Value::as_f64)
            .ok_or("feature without a numeric score")?;
        let Some(position) = Position::new_checked(lon, lat) else {
            continue;
        };
        let prop = |k: &str| {
            f.pointer(&format!("/properties/{k}"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        out.push(BanAnswer {
            position,
            score,
            kind: prop("type"),
            citycode: prop("citycode"),
            label: prop("label"),
            postcode: prop("postcode"),
            city: prop("city"),
        });
    }
    Ok(out)
}

/// The best answer of a `/search/` JSON answer.
fn parse_single(body: &str) -> Result<Option<BanAnswer>, String> {
    Ok(parse_features(body)?.into_iter().next())
}

impl Geocoder for BanGeocoder {
    fn name(&self) -> &'static str {
        "ban"
    }

    fn geocode(
        &self,
        queries: &[AddressQuery],
        progress: &dyn Fn(u64),
    ) -> Result<Vec<Option<GeocodeHit>>, GeocodeError> {
        self.tally.ask(queries.len());
        let mut out: Vec<Option<GeocodeHit>> = vec![None; queries.len()];
        // Rows to ask, one per distinct key: key → indices in `queries`.
        let mut todo: Vec<(String, Vec<usize>)> = Vec::new();
        {
            let cache = self.cache();
            let mut pos: HashMap<String, usize> = HashMap::new();
            let mut hits = 0;
            for (i, q) in queries.iter().enumerate() {
                let key = q.key();
                if let Some(decided) = cache.get(&key) {
                    out[i] = decided.clone();
                    hits += 1;
                } else if let Some(&t) = pos.get(&key) {
                    todo[t].1.push(i);
                } else {
                    pos.insert(key.clone(), todo.len());
                    todo.push((key, vec![i]));
                }
            }
            self.cache_hits.fetch_add(hits, Ordering::Relaxed);
            progress(hits);
        }

        for chunk in todo.chunks(self.options.batch_size.max(1)) {
            let asked: Vec<&AddressQuery> = chunk.iter().map(|(_, idx)| &queries[idx[0]]).collect();
            let answers = self.batch(&asked)?;
            let mut decided: Vec<Option<GeocodeHit>> = Vec::with_capacity(chunk.len());
            let mut accepted = 0;
            let mut retry = Vec::new();
            for (k, answer) in answers.into_iter().enumerate() {
                match answer {
                    Some(a) if a.score >= self.options.accept_batch => {
                        decided.push(Some(a.into_hit()));
                        accepted += 1;
                    }
                    _ => {
                        decided.push(None);
                        retry.push(k);
                    }
                }
            }
            progress(accepted);
            for k in retry {
                let q = asked[k];
                decided[k] = self
                    .single(q)?
                    .filter(|a| self.accept_single(q, a))
                    .map(BanAnswer::into_hit);
                progress(1);
            }
            let mut cache = self.cache();
            for ((key, idx), hit) in chunk.iter().zip(decided) {
                for &i in idx {
                    out[i] = hit.clone();
                }
                cache.insert(key.clone(), hit);
            }
            cache.save()?;
        }
        Ok(self.tally.answer(out))
    }

    fn reverse(
        &self,
        points: &[Position],
        progress: &dyn Fn(u64),
    ) -> Option<Result<Vec<Option<ReverseHit>>, GeocodeError>> {
        Some(BanGeocoder::reverse(self, points, progress))
    }

    fn stats(&self) -> GeocodeStats {
        GeocodeStats {
            requests: self.requests.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            ..self.tally.stats()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addok_answers() {
        // As addok-csv 1.1.0 answers (BOM, appended columns, a row not found).
        let body = "\u{feff}i,adresse,code_postal,commune,code_insee,latitude,longitude,result_label,result_score,result_score_next,result_type,result_id,result_housenumber,result_name,result_postcode,result_city,result_citycode,result_context\r\n\
            1,12 rue de la Paix,75002,Paris,75102,48.8691,2.3316,12 Rue de la Paix 75002 Paris,0.95,0,housenumber,s1,12,Rue de la Paix,75002,Paris,75102,\"75, Paris\"\r\n\
            0,zzz,49000,Angers,49007,,,,,,,,,,,,,\r\n";
        let got = parse_batch(body, 2).unwrap_or_default();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_none());
        let a = got[1]
            .clone()
            .map(|a| (a.position.lon, a.position.lat, a.score, a.kind, a.citycode));
        assert_eq!(
            a,
            Some((
                2.3316,
                48.8691,
                0.95,
                "housenumber".to_owned(),
                "75102".to_owned()
            ))
        );
        assert!(parse_batch("i,latitude\n", 1).is_err());
        assert!(parse_batch(body, 1).is_err(), "index out of what was sent");

        let single = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[-0.55,47.47]},"properties":{"label":"Angers","score":0.42,"type":"municipality","citycode":"49007"}}]}"#;
        let a = parse_single(single).ok().flatten();
        assert_eq!(a.as_ref().map(|a| a.kind.as_str()), Some("municipality"));
        assert_eq!(a.map(|a| a.position.lat), Some(47.47));
        assert_eq!(parse_single(r#"{"features":[]}"#), Ok(None));
        assert!(parse_single("<html>").is_err());
    }
}
