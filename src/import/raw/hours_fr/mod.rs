//! French free-text opening hours → OSM `opening_hours`, only where the meaning is clear.
//!
//! Understood: day names (`lundi`…`dimanche`, plurals), day ranges (`du lundi au vendredi`,
//! `lundi - samedi`), day lists (`lundi, mardi et vendredi`, `lundi/mardi`), `tous les jours`,
//! times (`9h`, `9h30`, `09:00`, `9 :00`, `14H`, `midi`), ranges between two times whatever the
//! connector (`9h à 12h`, `09:00 - 12:00`, `8h30/12h30`, `14h 17h`), several ranges per day
//! (`9h à 12h et 14h à 17h`, `09:00 - 12:00 / 14:00 - 17:00`), `fermé`.
//!
//! Anything else (appointments, school holidays, "one week in two", "morning", a comment…) makes
//! the value unclear: it is reported, never guessed. So are empty or overlapping ranges
//! (`00:00 - 00:00`, `09:00 - 12:30 / 09:00 - 12:30`) and a day given two different schedules.
//!
//! Output form (same as the converted France Services list): days with the same ranges are
//! grouped, runs of consecutive days written `Mo-Th`, groups ordered by their first day:
//! `Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00`.

mod tokens;

use std::fmt;

use tokens::{Tok, tokenize};

/// A day of the week, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Day {
    Mo,
    Tu,
    We,
    Th,
    Fr,
    Sa,
    Su,
}

const DAYS: [Day; 7] = [
    Day::Mo,
    Day::Tu,
    Day::We,
    Day::Th,
    Day::Fr,
    Day::Sa,
    Day::Su,
];
const OSM: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

impl Day {
    /// `Mo`…`Su`.
    pub fn from_osm(s: &str) -> Option<Day> {
        OSM.iter().position(|d| *d == s.trim()).map(|i| DAYS[i])
    }

    pub fn osm(self) -> &'static str {
        OSM[self as usize]
    }

    fn from_french(word: &str) -> Option<Day> {
        let w = word.strip_suffix('s').unwrap_or(word);
        Some(match w {
            "lundi" => Day::Mo,
            "mardi" => Day::Tu,
            "mercredi" => Day::We,
            "jeudi" => Day::Th,
            "vendredi" => Day::Fr,
            "samedi" => Day::Sa,
            "dimanche" => Day::Su,
            _ => return None,
        })
    }
}

/// Minutes since midnight, `[start, end)`; `end` may be 24:00.
pub type TimeRange = (u16, u16);

/// Why a value was not converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclear(String);

impl fmt::Display for Unclear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn unclear<T>(reason: impl Into<String>) -> Result<T, Unclear> {
    Err(Unclear(reason.into()))
}

/// The week being built: `None` = not said, `Some(empty)` = closed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Week {
    days: [Option<Vec<TimeRange>>; 7],
}

impl Week {
    pub fn set(&mut self, day: Day, ranges: Vec<TimeRange>) {
        self.days[day as usize] = Some(ranges);
    }

    /// Adds ranges to a day (a day may be named in several clauses), refusing overlaps.
    fn add(&mut self, day: Day, ranges: &[TimeRange]) -> Result<(), Unclear> {
        let slot = self.days[day as usize].get_or_insert_with(Vec::new);
        slot.extend_from_slice(ranges);
        *slot = checked(std::mem::take(slot))?;
        Ok(())
    }

    /// The OSM form, `None` when no day has hours.
    pub fn to_osm(&self) -> Option<String> {
        let mut groups: Vec<(Vec<usize>, &Vec<TimeRange>)> = Vec::new();
        for (i, d) in self.days.iter().enumerate() {
            let Some(r) = d.as_ref().filter(|r| !r.is_empty()) else {
                continue;
            };
            match groups.iter_mut().find(|(_, g)| *g == r) {
                Some((days, _)) => days.push(i),
                None => groups.push((vec![i], r)),
            }
        }
        if groups.is_empty() {
            return None;
        }
        let parts: Vec<String> = groups
            .iter()
            .map(|(days, ranges)| {
                let times: Vec<String> = ranges
                    .iter()
                    .map(|(a, b)| format!("{}-{}", hhmm(*a), hhmm(*b)))
                    .collect();
                format!("{} {}", day_list(days), times.join(","))
            })
            .collect();
        Some(parts.join("; "))
    }
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// `[0,1,3,4]` → `Mo-Tu,Th-Fr`.
fn day_list(days: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        if j > i {
            out.push(format!("{}-{}", OSM[days[i]], OSM[days[j]]));
        } else {
            out.push(OSM[days[i]].to_owned());
        }
        i = j + 1;
    }
    out.join(",")
}

/// Sorted, each non-empty, none overlapping.
fn checked(mut ranges: Vec<TimeRange>) -> Result<Vec<TimeRange>, Unclear> {
    for (a, b) in &ranges {
        if a >= b {
            return unclear(format!("empty range {}-{}", hhmm(*a), hhmm(*b)));
        }
    }
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 {
            return unclear(format!(
                "overlapping ranges {}-{} and {}-{}",
                hhmm(w[0].0),
                hhmm(w[0].1),
                hhmm(w[1].0),
                hhmm(w[1].1)
            ));
        }
    }
    Ok(ranges)
}

/// One clause: days (empty = the column's day) and their ranges, or closed.
enum Item {
    Days(Vec<Day>),
    Times(Vec<TimeRange>),
    Closed,
}

fn items(toks: &[Tok]) -> Result<Vec<Item>, Unclear> {
    if let Some(Tok::Word(w)) = toks.iter().find(|t| matches!(t, Tok::Word(_))) {
        return unclear(format!("not understood: {w:?}"));
    }
    let has_times = toks.iter().any(|t| matches!(t, Tok::Time(_, true)));
    if !has_times && toks.iter().any(|t| matches!(t, Tok::Time(_, false))) {
        return unclear("numbers without any time (h or :)");
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Sep | Tok::To => i += 1,
            Tok::Soft(w) => {
                if !has_times {
                    return unclear(format!("{w:?} without times"));
                }
                i += 1;
            }
            Tok::Closed => {
                out.push(Item::Closed);
                i += 1;
            }
            Tok::Day(_) => {
                // days joined by separators (list) or `To` (range)
                let mut days: Vec<Day> = Vec::new();
                let mut range_from: Option<Day> = None;
                let mut pending_to = false;
                while i < toks.len() {
                    match &toks[i] {
                        Tok::Day(d) => {
                            if pending_to {
                                let Some(from) = range_from else {
                                    return unclear("day range without a first day");
                                };
                                if *d < from {
                                    return unclear("day range ending before it starts");
                                }
                                days.extend(DAYS.iter().copied().filter(|x| *x > from && x <= d));
                                pending_to = false;
                            } else {
                                days.push(*d);
                            }
                            range_from = Some(*d);
                            i += 1;
                        }
                        Tok::To => {
                            // a `To` between two days
                            if matches!(toks.get(i + 1), Some(Tok::Day(_))) {
                                pending_to = true;
                            }
                            i += 1;
                            if !pending_to {
                                break;
                            }
                        }
                        Tok::Sep => {
                            // separator followed by another day: still the list
                            let next_day = toks[i + 1..]
                                .iter()
                                .find(|t| !matches!(t, Tok::Sep))
                                .is_some_and(|t| matches!(t, Tok::Day(_)));
                            i += 1;
                            if !next_day {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                days.sort_unstable();
                days.dedup();
                out.push(Item::Days(days));
            }
            Tok::Time(..) => {
                let mut times: Vec<u16> = Vec::new();
                while i < toks.len() {
                    match &toks[i] {
                        Tok::Time(m, _) => {
                            times.push(*m);
                            i += 1;
                        }
                        Tok::Sep | Tok::To | Tok::Soft(_) => i += 1,
                        _ => break,
                    }
                }
                if !times.len().is_multiple_of(2) {
                    return unclear(format!("{} times do not make ranges", times.len()));
                }
                let ranges: Vec<TimeRange> = times.chunks(2).map(|c| (c[0], c[1])).collect();
                out.push(Item::Times(checked(ranges)?));
            }
            Tok::Word(w) => return unclear(format!("not understood: {w:?}")),
        }
    }
    Ok(out)
}

/// One day's value (a per-day column): its ranges, empty when closed or blank (`-`).
pub fn parse_day(text: &str) -> Result<Vec<TimeRange>, Unclear> {
    let items = items(&tokenize(text))?;
    let mut ranges: Vec<TimeRange> = Vec::new();
    let mut closed = false;
    for item in items {
        match item {
            Item::Days(_) => return unclear("day names in a one-day column"),
            Item::Times(r) => ranges.extend(r),
            Item::Closed => closed = true,
        }
    }
    if closed && !ranges.is_empty() {
        return unclear("both closed and hours");
    }
    checked(ranges)
}

/// A week's free text → OSM, or why not.
pub fn parse_week(text: &str) -> Result<String, Unclear> {
    let items = items(&tokenize(text))?;
    let mut week = Week::default();
    let mut days: Option<Vec<Day>> = None;
    let mut days_used = false;
    let mut leading: Option<Vec<TimeRange>> = None;
    for item in items {
        match item {
            Item::Days(d) => {
                if let Some(prev) = &days
                    && !days_used
                {
                    // "9h-12h du lundi au vendredi": hours before their days
                    match leading.take() {
                        Some(r) => {
                            for day in prev {
                                week.add(*day, &r)?;
                            }
                        }
                        None => return unclear("days without hours"),
                    }
                }
                days = Some(d);
                days_used = false;
            }
            Item::Times(r) => match &days {
                Some(d) if !days_used => {
                    for day in d {
                        week.add(*day, &r)?;
                    }
                    days_used = true;
                }
                Some(_) => return unclear("two sets of hours for the same days"),
                None => {
                    if leading.is_some() {
                        return unclear("two sets of hours without days");
                    }
                    leading = Some(r);
                }
            },
            Item::Closed => match &days {
                Some(d) if !days_used => {
                    for day in d {
                        if week.days[*day as usize]
                            .as_ref()
                            .is_some_and(|r| !r.is_empty())
                        {
                            return unclear(format!("{} both open and closed", day.osm()));
                        }
                        week.set(*day, Vec::new());
                    }
                    days_used = true;
                }
                _ => return unclear("\"fermé\" without a day"),
            },
        }
    }
    if let Some(d) = &days
        && !days_used
    {
        match leading.take() {
            Some(r) => {
                for day in d {
                    week.add(*day, &r)?;
                }
            }
            None => return unclear("days without hours"),
        }
    }
    if leading.is_some() {
        return unclear("hours without days");
    }
    match week.to_osm() {
        Some(osm) => Ok(osm),
        None => unclear("no opening hours"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_free_text() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "Du lundi au vendredi de 9h00 à 12h00 et de 14h00 à 17h00",
                Some("Mo-Fr 09:00-12:00,14:00-17:00"),
            ),
            (
                "Du lundi au vendredi de 14h00 à 17h00.",
                Some("Mo-Fr 14:00-17:00"),
            ),
            (
                "Lundi, mardi, mercredi et vendredi : 9h-12h / 14h-18h",
                Some("Mo-We,Fr 09:00-12:00,14:00-18:00"),
            ),
            ("Jeudi: 14h-18h", Some("Th 14:00-18:00")),
            ("mercredi de 14 à 18h", Some("We 14:00-18:00")),
            ("Mardi : 15h à18h30", Some("Tu 15:00-18:30")),
            ("Tous les jours de 8h à 20h", Some("Mo-Su 08:00-20:00")),
            (
                "vendredi 10-12/14h-18h30",
                Some("Fr 10:00-12:00,14:00-18:30"),
            ),
            (
                "9h-12h et 14h-17h du lundi au vendredi",
                Some("Mo-Fr 09:00-12:00,14:00-17:00"),
            ),
            (
                "mardi de 10h à 12h, le mardi de 14h à 16h, le mercredi de 10h à 12h",
                Some("Tu 10:00-12:00,14:00-16:00; We 10:00-12:00"),
            ),
            (
                "mardi 13:30-19:00\nmercredi 10:00-12:00 13:30-18:00\nsamedi\tFermé",
                Some("Tu 13:30-19:00; We 10:00-12:00,13:30-18:00"),
            ),
            ("Lundi - samedi", None),
            ("Du lundi au vendredi", None),
            ("9h-12h / 13h30-17h", None),
            ("Une fois par mois à la demande", None),
            ("Accueil sur rendez-vous", None),
            (
                "Lundi au vendredi, 9h à 12h30 et 13h30 à 17h30 (17h00 pendant les vacances scolaires)",
                None,
            ),
            (
                "lundi/mardi/jeudi/vendredi 9h-12h et 14h-20h  // Mercredi de 9h à 20h  // vendredi 9h-12h et 14h-18h",
                None,
            ),
            ("Fermé le jeudi après-midi", None),
        ];
        for (text, expected) in cases {
            let got = parse_week(text);
            assert_eq!(got.as_deref().ok(), *expected, "{text:?}: {got:?}");
            if let Ok(osm) = got {
                assert!(
                    crate::hours::Horaires::parse_with_crate(&osm).is_ok(),
                    "{osm}"
                );
            }
        }
    }

    #[test]
    fn day_columns() {
        let cases: &[(&str, Option<&[TimeRange]>)] = &[
            (
                "09:00 - 12:00 / 14:00 - 17:00",
                Some(&[(540, 720), (840, 1020)]),
            ),
            ("9h à 12h - 14h à 17h", Some(&[(540, 720), (840, 1020)])),
            ("8h30/12h30 - 13h30/17h", Some(&[(510, 750), (810, 1020)])),
            ("9 :00-12:00", Some(&[(540, 720)])),
            ("10:00-12h30", Some(&[(600, 750)])),
            ("-", Some(&[])),
            ("Fermé", Some(&[])),
            ("00:00 - 00:00", None),
            ("08:45 - 16:30 / 08:45 - 16:30", None),
            ("Sur rendez-vous", None),
            ("Itinérance", None),
        ];
        for (text, expected) in cases {
            let got = parse_day(text);
            assert_eq!(got.as_deref().ok(), *expected, "{text:?}: {got:?}");
        }
    }
}
