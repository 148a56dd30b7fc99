//! `horaires` (OSM opening_hours): parsing, then evaluation at a fuzzed instant in a French zone.
#![no_main]

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use lieux::hours::Horaires;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (secs, text) = data.split_at(4);
    let Ok(raw) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(h) = Horaires::from_str(raw) else {
        return;
    };
    // an instant between 2000 and 2136 (u32 seconds after 2000-01-01)
    let offset = i64::from(u32::from_le_bytes([secs[0], secs[1], secs[2], secs[3]]));
    let Some(at) = DateTime::<Utc>::from_timestamp(946_684_800 + offset, 0) else {
        return;
    };
    let zones = [chrono_tz::Europe::Paris, chrono_tz::America::Cayenne, chrono_tz::Pacific::Noumea];
    let tz = zones[usize::from(secs[0]) % zones.len()];
    let at = at.fixed_offset();
    let _ = h.status(at, tz);
    let local = tz.from_utc_datetime(&at.naive_utc()).naive_local();
    let _ = h.next_opening_local(local, tz);
    if let Some(sat) = NaiveDate::from_ymd_opt(2026, 12, 5) {
        let _ = h.opens_on_weekend(sat, tz);
    }
});
