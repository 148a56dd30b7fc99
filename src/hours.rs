//! Opening hours (`horaires`, OSM opening_hours syntax) parsed once at load, evaluated in the
//! place's own time zone.
//!
//! The `opening-hours` crate evaluates naive local date-times; we convert the requested instant
//! into the place's IANA zone with `chrono-tz` first, and convert the next opening back. `PH`
//! (public holiday) rules follow the holidays of the zone's territory ([`crate::holidays`]).
//!
//! Fast path, hand-written because measured speed demands it: the crate takes ~25 µs to parse a
//! value and ~3.6 µs to find the next opening of a closed place, which made start-up with 20 000
//! places exceed 300 ms and cost a third of a `/v1/lieux/nearest` request. 99.7 % of the real
//! values (France Services 2022, the v0 national exports) are plain weekly schedules
//! (`Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00`). Those are compiled into a table of
//! minute-of-week intervals ([`WeekTable`]): parse well under a microsecond, evaluation a binary
//! search. Anything else (holidays, weeks, months, comments, spans past midnight…) goes to the
//! crate. A test checks the two evaluators agree on every real value at many instants.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use opening_hours::OpeningHours;
use opening_hours_syntax::RuleKind;

/// A parsed `horaires` value, keeping the producer's string for output.
///
/// Shared: a clone is a reference count, so the places that publish the same value hold one
/// parsed copy, and a place holds one pointer (8 bytes; the value inline was 88, which 1 M
/// places paid whether or not they had hours, issue 19).
#[derive(Clone)]
pub struct Horaires(std::sync::Arc<Parsed>);

struct Parsed {
    raw: Box<str>,
    schedule: Schedule,
}

impl Horaires {
    fn new(raw: &str, schedule: Schedule) -> Horaires {
        Horaires(std::sync::Arc::new(Parsed {
            raw: raw.into(),
            schedule,
        }))
    }
}

#[derive(Clone)]
enum Schedule {
    /// Plain weekly schedule (see the module docs).
    Weekly(WeekTable),
    /// Everything else, evaluated by the `opening-hours` crate. Boxed: the crate's value is 64
    /// bytes, which every weekly schedule (99.7 % of real values) paid too, ~48 MB at 1 M
    /// places (issue 19).
    Rules(Box<OpeningHours>),
}

const MINUTES_PER_DAY: u16 = 24 * 60;
const MINUTES_PER_WEEK: u16 = 7 * MINUTES_PER_DAY;

/// Open intervals `[start, end)` in minutes since Monday 00:00, sorted, disjoint, merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeekTable(Box<[(u16, u16)]>);

impl WeekTable {
    /// Compiles the plain weekly subset of opening_hours: `;`-separated rules, each
    /// `[weekdays] (times | off | closed)` or weekdays alone (open all day), where weekdays are
    /// `Mo`…`Su` items or ranges joined by `,`, and times are `HH:MM-HH:MM` spans joined by `,`
    /// within one day. A later rule replaces the days it names, as in the specification.
    /// `None` for anything outside this subset.
    pub fn parse(raw: &str) -> Option<WeekTable> {
        // open spans as (day, start, end) in minutes of the day, in one vector: a parse made
        // seven per-day vectors and one per rule, and distinct values (most of them at 1 M
        // places) are parsed at every load (issue 19)
        let mut spans: Vec<(u16, u16, u16)> = Vec::with_capacity(16);
        let mut any_rule = false;
        for rule in raw.split(';') {
            let rule = rule.trim();
            if rule.is_empty() {
                continue;
            }
            any_rule = true;
            let (selected, times) = rule_parts(rule)?;
            // a later rule replaces the days it names
            spans.retain(|&(d, _, _)| !selected[usize::from(d)]);
            let days = (0..7u16).filter(|&d| selected[usize::from(d)]);
            match times {
                "" => spans.extend(days.map(|d| (d, 0, MINUTES_PER_DAY))),
                "off" | "closed" => {}
                t => {
                    for part in t.split(',') {
                        let (s, e) = time_span(part)?;
                        spans.extend(days.clone().map(|d| (d, s, e)));
                    }
                }
            }
        }
        if !any_rule {
            return None;
        }
        spans.sort_unstable();
        let mut intervals: Vec<(u16, u16)> = Vec::with_capacity(spans.len());
        for &(d, s, e) in &spans {
            let base = d * MINUTES_PER_DAY;
            let (s, e) = (base + s, base + e);
            match intervals.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => intervals.push((s, e)),
            }
        }
        Some(WeekTable(intervals.into_boxed_slice()))
    }

    fn minute_of_week(t: NaiveDateTime) -> u16 {
        use chrono::{Datelike, Timelike};
        t.weekday().num_days_from_monday() as u16 * MINUTES_PER_DAY
            + t.hour() as u16 * 60
            + t.minute() as u16
    }

    /// Open at local time `t`?
    pub fn is_open(&self, t: NaiveDateTime) -> bool {
        let m = Self::minute_of_week(t);
        let i = self.0.partition_point(|&(s, _)| s <= m);
        i > 0 && m < self.0[i - 1].1
    }

    /// The next opening strictly after local time `t` when closed at `t`.
    pub fn next_opening(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        use chrono::Timelike;
        let m = Self::minute_of_week(t);
        let i = self.0.partition_point(|&(s, _)| s <= m);
        let start = match self.0.get(i) {
            Some(&(s, _)) => s,
            None => self.0.first()?.0 + MINUTES_PER_WEEK,
        };
        let minute_start = t.with_second(0)?.with_nanosecond(0)?;
        Some(minute_start + chrono::Duration::minutes(i64::from(start - m)))
    }

    /// Open at some time between Saturday 00:00 and Monday 00:00?
    pub fn opens_on_weekend(&self) -> bool {
        self.0.iter().any(|&(_, e)| e > 5 * MINUTES_PER_DAY)
    }
}

/// A rule's selected days and its times (`""`: all day), `None` if it is outside the subset.
fn rule_parts(rule: &str) -> Option<([bool; 7], &str)> {
    let (selector, times) = match rule.split_once(' ') {
        // one space exactly, as the grammar wants (`Sa  10:00-13:00` is not OSM)
        Some((sel, times))
            if sel.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                && !times.starts_with(' ') =>
        {
            (Some(sel), times.trim_end())
        }
        Some(_) => return None,
        None if rule.as_bytes().first().is_some_and(u8::is_ascii_digit) => (None, rule),
        None => (Some(rule), ""),
    };
    let selected = match selector {
        Some(sel) => weekdays(sel)?,
        None => [true; 7],
    };
    Some((selected, times))
}

fn weekday(s: &str) -> Option<usize> {
    ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
        .iter()
        .position(|d| *d == s)
}

/// `Mo-Fr,Su` → selected days (ranges may wrap: `Sa-Mo`).
fn weekdays(sel: &str) -> Option<[bool; 7]> {
    let mut out = [false; 7];
    for item in sel.split(',') {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (weekday(a)?, weekday(b)?);
                let mut d = a;
                loop {
                    out[d] = true;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => out[weekday(item)?] = true,
        }
    }
    Some(out)
}

/// `HH:MM` → minutes, `24:00` allowed (end of day).
fn hhmm(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (h, m) = (
        u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0'),
        u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0'),
    );
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// `HH:MM-HH:MM` within one day (spans past midnight are left to the crate).
fn time_span(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (hhmm(a)?, hhmm(b)?);
    (a < b && a < MINUTES_PER_DAY).then_some((a, b))
}

impl fmt::Debug for Horaires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Horaires").field(&self.0.raw).finish()
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
        let schedule = match WeekTable::parse(raw) {
            Some(table) => Schedule::Weekly(table),
            None => {
                // parsed once (the crate's parse is most of a snapshot's load when such values
                // are common: issue 19), its expression then checked
                let oh = OpeningHours::from_str(raw).map_err(|e| HorairesError {
                    message: e.to_string(),
                })?;
                check_spans(&oh.get_expression())?;
                Schedule::Rules(Box::new(oh))
            }
        };
        Ok(Horaires::new(raw, schedule))
    }
}

/// Refuses time spans of 24 hours or more other than `00:00-24:00` (`18:00-18:00`,
/// `10:00-34:00`): the `opening-hours` crate (2.1.4) never returns from `next_change` on some
/// schedules made of them (found by `fuzz/` target `hours`), which would hang every request
/// evaluating the place. Such a value says "open all the time" at best; `24/7` says it safely.
fn check_spans(
    expr: &opening_hours_syntax::rules::OpeningHoursExpression,
) -> Result<(), HorairesError> {
    use opening_hours_syntax::rules::time::Time;
    for rule in &expr.rules {
        for span in &rule.time_selector.spans {
            let (Time::Fixed(start), Time::Fixed(end)) = (span.range.start, span.range.end) else {
                continue;
            };
            let (a, b) = (start.mins_from_midnight(), end.mins_from_midnight());
            let minutes = if b > a { b - a } else { b + 24 * 60 - a };
            if minutes >= 24 * 60 && !(a == 0 && b == 24 * 60) {
                return Err(HorairesError {
                    message: format!(
                        "time span {start}-{end} lasts 24 hours or more (write 24/7 or 00:00-24:00)"
                    ),
                });
            }
        }
    }
    Ok(())
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
        &self.0.raw
    }

    /// Parses with the `opening-hours` crate only, bypassing the weekly fast path: the oracle
    /// the fast path is tested against.
    #[doc(hidden)]
    pub fn parse_with_crate(raw: &str) -> Result<Horaires, HorairesError> {
        let raw = raw.trim();
        let oh = OpeningHours::from_str(raw).map_err(|e| HorairesError {
            message: e.to_string(),
        })?;
        Ok(Horaires::new(raw, Schedule::Rules(Box::new(oh))))
    }

    /// Is this value on the fast weekly path? (For tests and diagnostics.)
    pub fn is_weekly(&self) -> bool {
        matches!(self.0.schedule, Schedule::Weekly(_))
    }

    /// Open at local time `local` of zone `tz` (whose territory's public holidays `PH` rules
    /// follow, [`crate::holidays`])?
    pub fn is_open_local(&self, local: NaiveDateTime, tz: Tz) -> bool {
        match &self.0.schedule {
            Schedule::Weekly(w) => w.is_open(local),
            Schedule::Rules(oh) => in_zone(oh, tz).is_open(local),
        }
    }

    /// Whether the place is open at `at`, evaluated in `tz`.
    pub fn is_open(&self, at: DateTime<FixedOffset>, tz: Tz) -> bool {
        self.is_open_local(local_naive(at, tz), tz)
    }

    /// Open status at `at`, and the next opening when closed.
    pub fn status(&self, at: DateTime<FixedOffset>, tz: Tz) -> Status {
        let local = local_naive(at, tz);
        let ouvert = self.is_open_local(local, tz);
        let prochaine_ouverture = if ouvert {
            None
        } else {
            self.next_opening_local(local, tz)
                .and_then(|t| to_offset(t, tz))
        };
        Status {
            ouvert,
            prochaine_ouverture,
        }
    }

    /// When closed at local time `from` of zone `tz`: the next local opening time, within a
    /// year.
    pub fn next_opening_local(&self, from: NaiveDateTime, tz: Tz) -> Option<NaiveDateTime> {
        let oh = match &self.0.schedule {
            Schedule::Weekly(w) => return w.next_opening(from),
            Schedule::Rules(oh) => in_zone(oh, tz),
        };
        // Bounded to a year: `next_change` searches up to the crate's end of time (year 9999),
        // which takes minutes on schedules that never change without a holiday calendar
        // (`SH, We off; PH`, found by the `hours` fuzz target).
        let limit = from + chrono::Duration::days(366);
        oh.iter_range(from, limit)
            .find(|r| r.kind == RuleKind::Open)
            .map(|r| r.range.start)
    }

    /// True when the place opens on Saturday or Sunday in the week starting at `week_start`
    /// (a Monday, local time) in zone `tz`. Used by the `ouvert_le_week_end` filter.
    pub fn opens_on_weekend(&self, saturday: chrono::NaiveDate, tz: Tz) -> bool {
        let oh = match &self.0.schedule {
            Schedule::Weekly(w) => return w.opens_on_weekend(),
            Schedule::Rules(oh) => in_zone(oh, tz),
        };
        let start = saturday.and_hms_opt(0, 0, 0);
        let Some(start) = start else { return false };
        let end = start + chrono::Duration::days(2);
        // bounded, like `next_opening_local`
        oh.iter_range(start, end).any(|r| r.kind == RuleKind::Open)
    }
}

/// `oh` evaluated with the public holidays of `tz`'s territory (an `Arc` and calendar handles
/// cloned, no parsing).
fn in_zone(oh: &OpeningHours, tz: Tz) -> OpeningHours {
    oh.clone().with_context(crate::holidays::context(tz))
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

/// IANA time zone of a place from its INSEE code (or postcode when the INSEE code is missing):
/// the zone of its [`Territoire`](crate::territory::Territoire). Metropolitan France and
/// Corsica are Europe/Paris; each overseas code has its own zone.
pub fn timezone_for(code_insee: Option<&str>, code_postal: &str) -> Tz {
    crate::territory::Territoire::of_codes(code_insee, code_postal).timezone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("test datetime")
    }

    /// A parsed value is shared per distinct string, but at 1 M places most are distinct: its
    /// block (reference counts + `Parsed`) is 48 bytes, not the 96 of an inline crate value.
    #[test]
    fn parsed_values_stay_small() {
        assert!(size_of::<Schedule>() <= 16, "{}", size_of::<Schedule>());
        assert!(size_of::<Parsed>() <= 32, "{}", size_of::<Parsed>());
    }

    /// Schedules whose state never changes without a holiday calendar: the `hours` fuzz target
    /// found `next_change` running for minutes on them (it searches up to year 9999). The
    /// evaluation is bounded to a year; a hang would show as this test never returning, so it
    /// runs in a thread with a generous deadline.
    #[test]
    fn holiday_only_schedules_evaluate_without_hanging() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            for raw in [
                "SH, We off; PH",
                "PH",
                "SH off",
                "Mo-Fr 09:00-12:00; PH off",
            ] {
                let h: Horaires = raw.parse().expect("valid opening_hours");
                let at = at("2026-12-02T08:00:00+01:00");
                let s = h.status(at, chrono_tz::Europe::Paris);
                let sat = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
                out.push((
                    raw,
                    s.ouvert,
                    s.prochaine_ouverture,
                    h.opens_on_weekend(sat, chrono_tz::Europe::Paris),
                ));
            }
            let _ = tx.send(out);
        });
        let out = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("evaluation returned");
        // holiday-only rules open on the next public holiday (Christmas), not on the week-end
        let christmas = Some(at("2026-12-25T00:00:00+01:00"));
        assert_eq!(out[0], ("SH, We off; PH", false, christmas, false));
        assert_eq!(out[1], ("PH", false, christmas, false));
        assert!(!out[2].1);
        // a plain week with `PH off` still opens at 09:00 the same day
        assert_eq!(
            out[3].2,
            Some(at("2026-12-02T09:00:00+01:00")),
            "{:?}",
            out[3]
        );
        assert!(!out[3].3);
    }

    /// The fast path is no more lenient than the grammar: a run of spaces between selector and
    /// times (seen in le-havre's raw file) is refused by both, not accepted by one.
    #[test]
    fn fast_path_refuses_what_the_grammar_refuses() {
        for raw in ["Sa  10:00-13:00", "Mo-Fr   09:00-12:00; Sa 10:00-12:00"] {
            assert!(WeekTable::parse(raw).is_none(), "{raw}");
            assert!(Horaires::parse_with_crate(raw).is_err(), "{raw}");
            assert!(raw.parse::<Horaires>().is_err(), "{raw}");
        }
        let single = "Sa 10:00-13:00";
        assert!(WeekTable::parse(single).is_some());
        assert!(Horaires::parse_with_crate(single).is_ok());
    }

    /// Inputs the `hours` fuzz target found hanging `next_change` in `opening-hours` 2.1.4:
    /// refused at parse time. Spans under 24 hours and `00:00-24:00` are still accepted.
    #[test]
    fn spans_of_a_day_or_more_are_refused() {
        for raw in [
            "18:00-18:00+; Su",
            "18:00-18:00; Su",
            "10:00-10:00",
            "00:00-00:00",
            "10:00-34:00",
            "12:00-12:00,14:00-15:00",
            "Mo-Su 18:00-18:00",
            "10:00-10:00 off",
        ] {
            let e = raw.parse::<Horaires>().err();
            assert!(e.is_some_and(|e| e.message.contains("24 hours")), "{raw}");
        }
        for raw in [
            "00:00-24:00",
            "Mo-Su 00:00-24:00",
            "10:00-09:00",
            "Mo-Fr 22:00-06:00",
            "24/7",
            "18:00+; Su",
        ] {
            let parsed: Result<Horaires, _> = raw.parse();
            assert!(parsed.is_ok(), "{raw}: {parsed:?}");
            let Ok(h) = parsed else { continue };
            let from = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .and_then(|d| d.and_hms_opt(10, 0, 0))
                .unwrap_or_default();
            let _ = h.next_opening_local(from, chrono_tz::Europe::Paris);
        }
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
        assert!(!h.opens_on_weekend(sat, chrono_tz::Europe::Paris));
        let h: Horaires = "Mo-Fr 09:00-17:00; Sa 09:00-12:00".parse().expect("valid");
        assert!(h.opens_on_weekend(sat, chrono_tz::Europe::Paris));
        let h: Horaires = "Su 15:00-16:00".parse().expect("valid");
        assert!(h.opens_on_weekend(sat, chrono_tz::Europe::Paris));
    }

    #[test]
    fn week_table_subset() {
        let ok = [
            "Mo-Fr 09:00-12:00,14:00-17:00",
            "Sa-Mo 10:00-24:00",
            "Mo-Su",
            "09:00-18:00",
            "Mo-Fr 08:00-18:00; We off",
            "Tu,Th 14:00-16:00; Sa closed",
        ];
        for raw in ok {
            assert!(WeekTable::parse(raw).is_some(), "{raw}");
        }
        let fallback = [
            "PH off",
            "Mo-Fr 22:00-02:00",
            "Mo-Fr 9:00-12:00",
            "week 1-53/2 Tu 09:00-12:00",
            "Jan-Mar Mo 10:00-12:00",
            "24/7",
            "Mo 12:00-10:00",
            "Mo-Fr 09:00-12:00 \"sur RDV\"",
            "",
            "Mo 09:00-12:00 || Tu 10:00-11:00",
        ];
        for raw in fallback {
            assert!(WeekTable::parse(raw).is_none(), "{raw}");
        }
        let w = WeekTable::parse("Mo-Fr 08:00-18:00; We 09:00-12:00").expect("weekly");
        assert_eq!(w.0.len(), 5);
        assert_eq!(
            w.0[2],
            (2 * 1440 + 540, 2 * 1440 + 720),
            "a later rule replaces the days it names"
        );
    }

    #[test]
    fn zones() {
        assert_eq!(timezone_for(Some("97411"), "97400"), Tz::Indian__Reunion);
        assert_eq!(timezone_for(None, "98800"), Tz::Pacific__Noumea);
        assert_eq!(timezone_for(Some("2A004"), "20000"), Tz::Europe__Paris);
        assert!("not hours at all".parse::<Horaires>().is_err());
    }
}

#[cfg(test)]
mod week_oracle;
