//! The streamed FeatureCollection of `/v1/lieux`: features are serialised and compressed in
//! chunks of about [`CHUNK`] bytes, so memory stays constant whatever the number of places
//! (`numberMatched`, `numberReturned` and `links` come after `features`, when known).

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::encoding::{Coding, Encoder};
use super::feature_cache::FeatureCache;
use super::features::{Extra, PropertySet, write_feature};
use crate::dataset::{Dataset, Eligible, Hit};
use crate::filter::Filter;
use crate::index::Bbox;
use crate::model::{Position, V1_COLUMNS};

/// Uncompressed bytes serialised per chunk.
pub const CHUNK: usize = 64 * 1024;

/// What to list.
pub enum Selection {
    All,
    Bbox(Bbox),
    Radius(Position, f64),
}

/// Pagination: skip `cursor` matches, return at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub cursor: usize,
    pub limit: Option<usize>,
}

enum Source {
    /// Lazy scan of every place in id order (constant memory).
    All {
        next: u32,
        filter: Box<Filter>,
        eligible: Option<Eligible>,
    },
    /// Precomputed matches (4–16 bytes per match, never the serialised body).
    Slots {
        slots: Vec<u32>,
        pos: usize,
    },
    Hits {
        hits: Vec<Hit>,
        pos: usize,
    },
}

/// The matches of a selection and filter, one page of them: shared by every streamed format.
pub struct Matches {
    ds: Arc<Dataset>,
    source: Source,
    page: Page,
    /// matches seen so far (including skipped ones)
    seen: usize,
    returned: usize,
}

impl Matches {
    pub fn new(ds: Arc<Dataset>, selection: Selection, filter: Filter, page: Page) -> Matches {
        Matches::among(ds, (selection, filter, None), page)
    }

    /// [`Matches::new`] among the places `eligible` accepts: those the format can hold, each
    /// group of duplicates through its first matching member that it can hold.
    pub fn among(
        ds: Arc<Dataset>,
        (selection, filter, eligible): (Selection, Filter, Option<Eligible>),
        page: Page,
    ) -> Matches {
        let source = match selection {
            Selection::All => Source::All {
                next: 0,
                filter: Box::new(filter),
                eligible,
            },
            Selection::Bbox(b) => Source::Slots {
                slots: ds.within_bbox_among(&b, &filter, eligible),
                pos: 0,
            },
            Selection::Radius(p, r) => Source::Hits {
                hits: ds.within_radius_among(p, r, &filter, eligible),
                pos: 0,
            },
        };
        Matches {
            ds,
            source,
            page,
            seen: 0,
            returned: 0,
        }
    }

    pub fn dataset(&self) -> &Dataset {
        &self.ds
    }

    /// A scan of every place (no box, no radius).
    pub fn is_whole_scan(&self) -> bool {
        matches!(self.source, Source::All { .. })
    }

    /// The next match of the selection: slot and distance.
    fn next_match(&mut self) -> Option<(u32, Option<f64>)> {
        match &mut self.source {
            Source::All {
                next,
                filter,
                eligible,
            } => {
                let n = self.ds.lieux().len() as u32;
                while *next < n {
                    let slot = *next;
                    *next += 1;
                    if self.ds.matches_among(slot, filter, *eligible) {
                        return Some((slot, None));
                    }
                }
                None
            }
            Source::Slots { slots, pos } => {
                let s = slots.get(*pos).copied()?;
                *pos += 1;
                Some((s, None))
            }
            Source::Hits { hits, pos } => {
                let h = hits.get(*pos).copied()?;
                *pos += 1;
                Some((h.slot, Some(h.distance_m)))
            }
        }
    }

    /// The next match of the page (matches before `cursor` are skipped): slot and distance.
    pub fn next_on_page(&mut self) -> Option<(u32, Option<f64>)> {
        loop {
            if self.page.limit.is_some_and(|l| self.returned >= l) {
                return None;
            }
            let m = self.next_match()?;
            self.seen += 1;
            if self.seen > self.page.cursor {
                self.returned += 1;
                return Some(m);
            }
        }
    }

    /// Matches returned so far.
    pub fn returned(&self) -> usize {
        self.returned
    }

    /// Total number of matches (counts the rest without serialising them).
    pub fn matched(&mut self) -> usize {
        let rest = match &mut self.source {
            Source::Slots { slots, pos } => slots.len() - std::mem::replace(pos, slots.len()),
            Source::Hits { hits, pos } => hits.len() - std::mem::replace(pos, hits.len()),
            Source::All { .. } => {
                let mut n = 0;
                while self.next_match().is_some() {
                    n += 1;
                }
                n
            }
        };
        self.seen += rest;
        self.seen
    }
}

/// How the trailer of a FeatureCollection links to the next (and previous) page.
pub struct Links {
    /// Path or absolute URL of the collection, without query.
    pub base: String,
    /// Query pairs to repeat, without the paging parameter.
    pub pairs: Vec<(String, String)>,
    /// Name of the paging parameter (`cursor`, `offset`).
    pub param: &'static str,
    /// Also link to the previous page and to this page (`self`), OGC API Features style.
    pub prev_and_self: bool,
    /// `timeStamp` of the response (OGC API Features), RFC 3339.
    pub time_stamp: Option<String>,
}

impl Links {
    fn href(&self, at: Option<usize>) -> String {
        let mut qs = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            qs.append_pair(k, v);
        }
        if let Some(at) = at {
            qs.append_pair(self.param, &at.to_string());
        }
        let qs = qs.finish();
        if qs.is_empty() {
            self.base.clone()
        } else {
            format!("{}?{qs}", self.base)
        }
    }

    fn link(&self, rel: &str, at: Option<usize>) -> serde_json::Value {
        serde_json::json!({"rel": rel, "type": "application/geo+json", "href": self.href(at)})
    }
}

/// Iterator of encoded body chunks of a GeoJSON FeatureCollection.
pub struct FeatureStream {
    matches: Matches,
    at: DateTime<Utc>,
    properties: PropertySet,
    encoder: Option<Encoder>,
    links: Links,
    started: bool,
}

impl FeatureStream {
    /// The stream of `matches`, evaluated at `at`, each Feature with the properties of the set.
    pub fn new(
        matches: Matches,
        (at, properties): (DateTime<Utc>, PropertySet),
        coding: Coding,
        links: Links,
    ) -> Self {
        FeatureStream {
            matches,
            at,
            properties,
            encoder: Some(Encoder::new(coding)),
            links,
            started: false,
        }
    }

    fn trailer(&mut self) -> Vec<u8> {
        let matched = self.matches.matched();
        let returned = self.matches.returned();
        let page = self.matches.page;
        let mut links = Vec::new();
        if self.links.prev_and_self {
            let this = (page.cursor > 0).then_some(page.cursor);
            links.push(self.links.link("self", this));
        }
        let next_cursor = page.cursor + returned;
        if page.limit.is_some() && next_cursor < matched {
            links.push(self.links.link("next", Some(next_cursor)));
        }
        if self.links.prev_and_self && page.cursor > 0 {
            let prev = page
                .cursor
                .saturating_sub(page.limit.unwrap_or(page.cursor));
            links.push(self.links.link("prev", (prev > 0).then_some(prev)));
        }
        let mut t = format!(r#"],"numberMatched":{matched},"numberReturned":{returned},"#);
        if let Some(ts) = &self.links.time_stamp {
            t.push_str(&format!(
                r#""timeStamp":{},"#,
                serde_json::Value::from(ts.as_str())
            ));
        }
        t.push_str(r#""links":"#);
        t.push_str(&serde_json::Value::from(links).to_string());
        t.push('}');
        t.into_bytes()
    }
}

impl Iterator for FeatureStream {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let mut encoder = self.encoder.take()?;
        let mut buf = Vec::with_capacity(CHUNK + 4096);
        if !self.started {
            self.started = true;
            buf.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
        }
        let mut done = false;
        while buf.len() < CHUNK {
            let Some((slot, distance_m)) = self.matches.next_on_page() else {
                done = true;
                break;
            };
            if self.matches.returned() > 1 {
                buf.push(b',');
            }
            write_feature(
                &mut buf,
                self.matches.dataset(),
                slot,
                &Extra {
                    distance_m,
                    properties: self.properties,
                    keep: !self.matches.is_whole_scan()
                        || FeatureCache::keeps_whole_scans(self.matches.dataset().lieux().len()),
                    ..Extra::at(self.at.fixed_offset())
                },
            );
        }
        if done {
            let trailer = self.trailer();
            buf.extend_from_slice(&trailer);
            encoder.write(buf);
            return Some(Bytes::from(encoder.finish()));
        }
        encoder.write(buf);
        let out = encoder.take();
        self.encoder = Some(encoder);
        Some(Bytes::from(out))
    }
}

/// Iterator of encoded body chunks of the schema v1 CSV: header, then one row per match with
/// the columns of [`V1_COLUMNS`] as [`crate::model::Lieu::column`] writes them (`|` lists).
pub struct CsvStream {
    matches: Matches,
    encoder: Option<Encoder>,
    started: bool,
}

impl CsvStream {
    pub fn new(matches: Matches, coding: Coding) -> Self {
        CsvStream {
            matches,
            encoder: Some(Encoder::new(coding)),
            started: false,
        }
    }
}

impl Iterator for CsvStream {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let mut encoder = self.encoder.take()?;
        let mut buf = Vec::with_capacity(CHUNK + 8192);
        let mut done = false;
        {
            // One csv writer per chunk over the chunk's buffer; writing into a Vec cannot fail.
            let mut csv = csv::Writer::from_writer(&mut buf);
            if !self.started {
                self.started = true;
                let _ = csv.write_record(V1_COLUMNS);
            }
            loop {
                let _ = csv.flush();
                if csv.get_ref().len() >= CHUNK {
                    break;
                }
                let Some((slot, _)) = self.matches.next_on_page() else {
                    done = true;
                    break;
                };
                let lieu = self.matches.dataset().lieu(slot);
                let _ = csv.write_record(
                    V1_COLUMNS
                        .iter()
                        .map(|c| lieu.column(c).unwrap_or_default()),
                );
            }
        }
        encoder.write(buf);
        if done {
            return Some(Bytes::from(encoder.finish()));
        }
        let out = encoder.take();
        self.encoder = Some(encoder);
        Some(Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_bounded_whatever_the_size() {
        let ds = Arc::new(Dataset::new(crate::testdata::synthetic_lieux(30_000, 5)));
        let at = Utc::now();
        let page = Page {
            cursor: 0,
            limit: None,
        };
        let matches = Matches::new(Arc::clone(&ds), Selection::All, Filter::default(), page);
        let links = Links {
            base: "/v1/lieux".into(),
            pairs: Vec::new(),
            param: "cursor",
            prev_and_self: false,
            time_stamp: None,
        };
        let stream = FeatureStream::new(matches, (at, PropertySet::ALL), Coding::Identity, links);
        let mut body = Vec::new();
        let mut chunks = 0;
        for chunk in stream {
            // one chunk: CHUNK bytes plus at most one feature
            assert!(
                chunk.len() < CHUNK + 8 * 1024,
                "chunk of {} bytes",
                chunk.len()
            );
            body.extend_from_slice(&chunk);
            chunks += 1;
        }
        assert!(chunks > 100, "{chunks} chunks");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(v["numberMatched"], 30_000);
        assert_eq!(v["features"].as_array().map(Vec::len), Some(30_000));
    }
}
