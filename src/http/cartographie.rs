//! `GET /v1/lieux.json`: the JSON array the national map's web component reads
//! (`<fr-mediation-numerique-cartographie source=".../v1/lieux.json">`), records as
//! [`crate::cartographie::record`] writes them, streamed in chunks like the CSV.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use warp::reply::Response;

use super::AppState;
use super::encoding::{Coding, Encoder};
use super::reply::{Body, Ctx};
use super::stream::{CHUNK, Matches};

/// `GET /v1/lieux.json?bbox=|lat=&lon=&radius_m=&limit=&cursor=&<filters>`. Only the places
/// the component's format can hold are selected ([`crate::cartographie::holds`]), so a group of
/// duplicates whose listed member it cannot hold (no service) is written through its next
/// matching member that it can, and `limit` and `cursor` count written records.
pub fn list(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    super::download(
        state,
        (raw, ctx, now),
        (
            "cartographie",
            "application/json",
            Some(crate::cartographie::holds),
        ),
        |matches, coding| Body::Stream(Box::new(ArrayStream::new(matches, coding))),
    )
}

/// Iterator of encoded body chunks of the JSON array.
struct ArrayStream {
    matches: Matches,
    encoder: Option<Encoder>,
    written: usize,
}

impl ArrayStream {
    fn new(matches: Matches, coding: Coding) -> Self {
        ArrayStream {
            matches,
            encoder: Some(Encoder::new(coding)),
            written: 0,
        }
    }
}

impl Iterator for ArrayStream {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let mut encoder = self.encoder.take()?;
        let mut buf = Vec::with_capacity(CHUNK + 8192);
        // a chunk ends only once it holds records, so no record written yet means first chunk
        if self.written == 0 {
            buf.push(b'[');
        }
        let mut done = false;
        while buf.len() < CHUNK {
            let Some((slot, _)) = self.matches.next_on_page() else {
                done = true;
                break;
            };
            let Some(record) = crate::cartographie::record(self.matches.dataset().lieu(slot))
            else {
                continue;
            };
            if self.written > 0 {
                buf.push(b',');
            }
            // serialising a map of strings and numbers into a Vec cannot fail
            let _ = serde_json::to_writer(&mut buf, &record);
            self.written += 1;
        }
        if done {
            buf.push(b']');
            encoder.write(buf);
            return Some(Bytes::from(encoder.finish()));
        }
        encoder.write(buf);
        let out = encoder.take();
        self.encoder = Some(encoder);
        Some(Bytes::from(out))
    }
}
