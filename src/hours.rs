//! Opening hours (`horaires`, OSM opening_hours syntax) parsed once at load, evaluated in the
//! place's own time zone.
//!
//! The `opening-hours` crate evaluates naive local date-times; we convert the requested instant
//! into the place's IANA zone with `chrono-tz` first, and convert the next opening back.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use opening_hours::OpeningHours;

/// A parsed `horaires` value, keeping the producer's string for output.
#[derive(Clone)]
pub struct Horaires {
    raw: String,
    parsed: OpeningHours,
}

impl fmt::Debug for Horaires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Horaires").field(&self.raw).finish()
    }
}

/// `horaires` that the opening_hours grammar rejects.
#[derive(Debug, Clone, thiserror::Error)]
#[error("not OSM opening_hours: {message}")]
pub struct HorairesError {
    pub message: String,
}

impl FromStr for Horaires {
    type Err = HorairesError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let parsed = OpeningHours::from_str(raw).map_err(|e| HorairesError {
            message: e.to_string(),
        })?;
        Ok(Horaires {
            raw: raw.to_owned(),
            parsed,
        })
    }
}

/// Open/closed status at an instant, in the place's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Open at the requested instant.
    pub ouvert: bool,
    /// When closed: the next opening (local time with its UTC offset), if within a year.
    pub prochaine_ouverture: Option<DateTime<FixedOffset>>,
}

impl Horaires {
    /// The string as published.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether the place is open at `at`, evaluated in `tz`.
    pub fn is_open(&self, at: DateTime<FixedOffset>, tz: Tz) -> bool {
        self.parsed.is_open(local_naive(at, tz))
    }

    /// Open status at `at`, and the next opening when closed.
    pub fn status(&self, at: DateTime<FixedOffset>, tz: Tz) -> Status {
        let local = local_naive(at, tz);
        let ouvert = self.parsed.is_open(local);
        let prochaine_ouverture = if ouvert {
            None
        } else {
            self.next_opening(local, tz)
        };
        Status {
            ouvert,
            prochaine_ouverture,
        }
    }

    fn next_opening(&self, from: NaiveDateTime, tz: Tz) -> Option<DateTime<FixedOffset>> {
        let limit = from + chrono::Duration::days(366);
        let mut t = from;
        // next_change alternates closed → open (or unknown); a few steps are enough.
        for _ in 0..8 {
            t = self.parsed.next_change(t)?;
            if t > limit {
                return None;
            }
            if self.parsed.is_open(t) {
                return to_offset(t, tz);
            }
        }
        None
    }

    /// True when the place opens on Saturday or Sunday in the week starting at `week_start`
    /// (a Monday, local time). Used by the `ouvert_le_week_end` filter.
    pub fn opens_on_weekend(&self, saturday: chrono::NaiveDate) -> bool {
        let start = saturday.and_hms_opt(0, 0, 0);
        let Some(start) = start else { return false };
        let end = start + chrono::Duration::days(2);
        if self.parsed.is_open(start) {
            return true;
        }
        match self.parsed.next_change(start) {
            Some(t) if t < end => {
                self.parsed.is_open(t)
                    || {
                        // an "unknown" state may come first; look one more change ahead
                        matches!(self.parsed.next_change(t), Some(t2) if t2 < end && self.parsed.is_open(t2))
                    }
            }
            _ => false,
        }
    }
}

fn local_naive(at: DateTime<FixedOffset>, tz: Tz) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

fn to_offset(local: NaiveDateTime, tz: Tz) -> Option<DateTime<FixedOffset>> {
    // Earliest instant for a local time in a DST overlap; the gap after it when skipped.
    let dt = tz.from_local_datetime(&local).earliest().or_else(|| {
        tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
    })?;
    Some(dt.fixed_offset())
}

/// IANA time zone of a place from its INSEE code (or postcode when the INSEE code is missing).
/// Metropolitan France and Corsica are Europe/Paris; each overseas code has its own zone.
pub fn timezone_for(code_insee: Option<&str>, code_postal: &str) -> Tz {
    let code = code_insee.filter(|c| c.len() >= 3).unwrap_or(code_postal);
    match code.get(..3) {
        Some("971") => Tz::America__Guadeloupe,
        Some("972") => Tz::America__Martinique,
        Some("973") => Tz::America__Cayenne,
        Some("974") => Tz::Indian__Reunion,
        Some("975") => Tz::America__Miquelon,
        Some("976") => Tz::Indian__Mayotte,
        Some("977") => Tz::America__St_Barthelemy,
        Some("978") => Tz::America__Marigot,
        Some("986") => Tz::Pacific__Wallis,
        Some("987") => Tz::Pacific__Tahiti,
        Some("988") => Tz::Pacific__Noumea,
        _ => Tz::Europe__Paris,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("test datetime")
    }

    #[test]
    fn open_in_local_time() {
        let h: Horaires = "Mo-Fr 09:00-12:00,14:00-17:00".parse().expect("valid");
        // 10:30 in Paris (UTC+1 in winter) on Monday 2026-11-30
        assert!(h.is_open(at("2026-11-30T09:30:00Z"), Tz::Europe__Paris));
        // same instant is 22:30 in Nouméa: closed
        assert!(!h.is_open(at("2026-11-30T09:30:00Z"), Tz::Pacific__Noumea));
        let s = h.status(at("2026-11-30T12:30:00+01:00"), Tz::Europe__Paris);
        assert!(!s.ouvert);
        assert_eq!(s.prochaine_ouverture, Some(at("2026-11-30T14:00:00+01:00")));
        // Friday evening → Monday morning
        let s = h.status(at("2026-12-04T18:00:00+01:00"), Tz::Europe__Paris);
        assert_eq!(s.prochaine_ouverture, Some(at("2026-12-07T09:00:00+01:00")));
    }

    #[test]
    fn weekend() {
        let sat = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        let h: Horaires = "Mo-Fr 09:00-17:00".parse().expect("valid");
        assert!(!h.opens_on_weekend(sat));
        let h: Horaires = "Mo-Fr 09:00-17:00; Sa 09:00-12:00".parse().expect("valid");
        assert!(h.opens_on_weekend(sat));
        let h: Horaires = "Su 15:00-16:00".parse().expect("valid");
        assert!(h.opens_on_weekend(sat));
    }

    #[test]
    fn zones() {
        assert_eq!(timezone_for(Some("97411"), "97400"), Tz::Indian__Reunion);
        assert_eq!(timezone_for(None, "98800"), Tz::Pacific__Noumea);
        assert_eq!(timezone_for(Some("2A004"), "20000"), Tz::Europe__Paris);
        assert!("not hours at all".parse::<Horaires>().is_err());
    }
}
