//! The streamed FeatureCollection of `/v1/lieux`: features are serialised and compressed in
//! chunks of about [`CHUNK`] bytes, so memory stays constant whatever the number of places
//! (`numberMatched`, `numberReturned` and `links` come after `features`, when known).

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::encoding::{Coding, Encoder};
use super::features::{Extra, write_feature};
use crate::dataset::{Dataset, Hit};
use crate::filter::Filter;
use crate::index::Bbox;
use crate::model::Position;

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

/// Iterator of encoded body chunks.
pub struct FeatureStream {
    ds: Arc<Dataset>,
    source: Source,
    page: Page,
    at: DateTime<Utc>,
    encoder: Option<Encoder>,
    /// matches seen so far (including skipped ones)
    seen: usize,
    returned: usize,
    next_base: Vec<(String, String)>,
    started: bool,
}

impl FeatureStream {
    pub fn new(
        ds: Arc<Dataset>,
        selection: Selection,
        filter: Filter,
        page: Page,
        at: DateTime<Utc>,
        coding: Coding,
        next_base: Vec<(String, String)>,
    ) -> Self {
        let source = match selection {
            Selection::All => Source::All {
                next: 0,
                filter: Box::new(filter),
            },
            Selection::Bbox(b) => Source::Slots {
                slots: ds.within_bbox(&b, &filter),
                pos: 0,
            },
            Selection::Radius(p, r) => Source::Hits {
                hits: ds.within_radius(p, r, &filter),
                pos: 0,
            },
        };
        FeatureStream {
            ds,
            source,
            page,
            at,
            encoder: Some(Encoder::new(coding)),
            seen: 0,
            returned: 0,
            next_base,
            started: false,
        }
    }

    /// The next match: slot and distance.
    fn next_match(&mut self) -> Option<(u32, Option<f64>)> {
        match &mut self.source {
            Source::All { next, filter } => {
                let n = self.ds.lieux().len() as u32;
                while *next < n {
                    let slot = *next;
                    *next += 1;
                    if filter.is_empty() || self.ds.matches(slot, filter) {
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

    fn page_full(&self) -> bool {
        self.page.limit.is_some_and(|l| self.returned >= l)
    }

    /// Counts the remaining matches without serialising them.
    fn count_rest(&mut self) -> usize {
        match &mut self.source {
            Source::Slots { slots, pos } => slots.len() - std::mem::replace(pos, slots.len()),
            Source::Hits { hits, pos } => hits.len() - std::mem::replace(pos, hits.len()),
            Source::All { .. } => {
                let mut n = 0;
                while self.next_match().is_some() {
                    n += 1;
                }
                n
            }
        }
    }

    fn trailer(&mut self) -> Vec<u8> {
        let matched = self.seen + self.count_rest();
        let mut t = format!(
            r#"],"numberMatched":{matched},"numberReturned":{},"links":["#,
            self.returned
        );
        let next_cursor = self.page.cursor + self.returned;
        if self.page.limit.is_some() && next_cursor < matched {
            let mut qs = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &self.next_base {
                qs.append_pair(k, v);
            }
            qs.append_pair("cursor", &next_cursor.to_string());
            let href = format!("/v1/lieux?{}", qs.finish());
            t.push_str(
                &serde_json::json!({"rel": "next", "type": "application/geo+json", "href": href})
                    .to_string(),
            );
        }
        t.push_str("]}");
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
            if self.page_full() {
                done = true;
                break;
            }
            let Some((slot, distance_m)) = self.next_match() else {
                done = true;
                break;
            };
            self.seen += 1;
            if self.seen <= self.page.cursor {
                continue;
            }
            if self.returned > 0 {
                buf.push(b',');
            }
            write_feature(
                &mut buf,
                &self.ds,
                slot,
                &Extra {
                    distance_m,
                    ..Extra::at(self.at.fixed_offset())
                },
            );
            self.returned += 1;
        }
        if done {
            let trailer = self.trailer();
            buf.extend_from_slice(&trailer);
            encoder.write(&buf);
            return Some(Bytes::from(encoder.finish()));
        }
        encoder.write(&buf);
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
        let stream = FeatureStream::new(
            Arc::clone(&ds),
            Selection::All,
            Filter::default(),
            Page {
                cursor: 0,
                limit: None,
            },
            at,
            Coding::Identity,
            Vec::new(),
        );
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
