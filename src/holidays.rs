//! French public holidays (jours fériés) per territory, computed, for the `PH` rules of opening
//! hours ([`crate::hours`]).
//!
//! Every territory has the eleven national days of the Code du travail (art. L3133-1): 1 January,
//! Easter Monday, 1 May, 8 May, Ascension (Easter + 39), Whit Monday (Easter + 50), 14 July,
//! 15 August, 1 November, 11 November, 25 December. Overseas, the days set by law or by the
//! territory itself are added: the abolition of slavery (décret 83-1003 and later texts) in
//! Mayotte (27 April), Martinique (22 May), Guadeloupe (27 May), Saint-Martin (28 May, 27 May
//! before 2018), Guyane (10 June), Saint-Barthélemy (9 October) and La Réunion (20 December);
//! Nouvelle-Calédonie's citizenship day (24 September); Polynésie française's arrival of the
//! Gospel (5 March) and autonomy day (29 June); Wallis-et-Futuna's Saint Pierre Chanel
//! (28 April) and territory day (29 July). Not modelled: Alsace-Moselle's Good Friday and
//! 26 December (they share metropolitan France's time zone, which is what evaluation knows of a
//! place), and local customs that are not public holidays.
//!
//! Easter: the anonymous Gregorian algorithm (Meeus, *Astronomical Algorithms*). The
//! metropolitan list is tested against the `opening-hours` crate's own French calendar (the
//! Python `holidays` library's data), an independent source.

use std::sync::{Arc, LazyLock};

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays};

use crate::territory::Territoire;

/// First year of the calendars given to the opening-hours evaluation.
pub const FIRST_YEAR: i32 = 2000;
/// Last year of the calendars given to the opening-hours evaluation.
pub const LAST_YEAR: i32 = 2100;

/// Easter Sunday of a Gregorian year.
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// The public holidays of `territoire` in `year`, by date, with their French names (one a day:
/// when two fall on one date, the first name in date order is kept).
pub fn public_holidays(territoire: Territoire, year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut out = Vec::with_capacity(14);
    let mut fixed = |month: u32, day: u32, name: &'static str| {
        if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
            out.push((d, name));
        }
    };
    fixed(1, 1, "Jour de l'an");
    fixed(5, 1, "Fête du Travail");
    fixed(5, 8, "Victoire 1945");
    fixed(7, 14, "Fête nationale");
    fixed(8, 15, "Assomption");
    fixed(11, 1, "Toussaint");
    fixed(11, 11, "Armistice 1918");
    fixed(12, 25, "Noël");
    use Territoire as T;
    const ABOLITION: &str = "Abolition de l'esclavage";
    match territoire {
        T::Mayotte => fixed(4, 27, ABOLITION),
        T::Martinique => fixed(5, 22, ABOLITION),
        T::Guadeloupe => fixed(5, 27, ABOLITION),
        T::SaintMartin if year >= 2018 => fixed(5, 28, ABOLITION),
        T::SaintMartin => fixed(5, 27, ABOLITION),
        T::Guyane => fixed(6, 10, ABOLITION),
        T::SaintBarthelemy => fixed(10, 9, ABOLITION),
        T::LaReunion => fixed(12, 20, ABOLITION),
        T::NouvelleCaledonie => fixed(9, 24, "Fête de la citoyenneté"),
        T::PolynesieFrancaise => {
            fixed(3, 5, "Arrivée de l'Évangile");
            fixed(6, 29, "Fête de l'autonomie");
        }
        T::WallisEtFutuna => {
            fixed(4, 28, "Saint Pierre Chanel");
            fixed(7, 29, "Fête du Territoire");
        }
        T::Metropole | T::SaintPierreEtMiquelon => {}
    }
    if let Some(e) = easter(year) {
        out.push((e + Duration::days(1), "Lundi de Pâques"));
        out.push((e + Duration::days(39), "Ascension"));
        out.push((e + Duration::days(50), "Lundi de Pentecôte"));
    }
    out.sort();
    // one entry a day (Ascension fell on 1 May in 2008)
    out.dedup_by_key(|(d, _)| *d);
    out
}

/// The evaluation context of opening hours in time zone `tz`: the public holidays of the
/// territory of that zone from [`FIRST_YEAR`] to [`LAST_YEAR`] (each territory has its own
/// zone); no holiday for a zone that is no territory's.
pub fn context(tz: Tz) -> Context {
    static CALENDARS: LazyLock<Vec<(Tz, ContextHolidays)>> = LazyLock::new(|| {
        Territoire::ALL
            .iter()
            .map(|&t| {
                let mut public = CompactCalendar::default();
                for year in FIRST_YEAR..=LAST_YEAR {
                    for (d, _) in public_holidays(t, year) {
                        public.insert(d);
                    }
                }
                let holidays = ContextHolidays::new(Arc::new(public), Arc::default());
                (t.timezone(), holidays)
            })
            .collect()
    });
    match CALENDARS.iter().find(|(z, _)| *z == tz) {
        Some((_, h)) => Context::default().with_holidays(h.clone()),
        None => Context::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn easter_of_known_years() {
        // dates from the Paris Observatory's tables
        for (y, m, day) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2038, 4, 25),
        ] {
            assert_eq!(easter(y), Some(d(y, m, day)), "{y}");
        }
    }

    /// The metropolitan list equals the `opening-hours` crate's French calendar (the Python
    /// `holidays` library's data) in every year it holds.
    #[test]
    fn metropolitan_holidays_match_an_independent_calendar() {
        let fr = opening_hours::localization::Country::FR.holidays();
        let theirs: Vec<NaiveDate> = fr.get_public().iter().collect();
        assert!(theirs.len() > 500, "{}", theirs.len());
        let (first, last) = (theirs[0], theirs[theirs.len() - 1]);
        let mut ours = Vec::new();
        for year in first.year()..=last.year() {
            ours.extend(
                public_holidays(Territoire::Metropole, year)
                    .into_iter()
                    .map(|(d, _)| d),
            );
        }
        assert_eq!(ours, theirs);
    }

    #[test]
    fn overseas_days_of_2026() {
        let days = |t: Territoire| -> Vec<NaiveDate> {
            public_holidays(t, 2026)
                .into_iter()
                .map(|(d, _)| d)
                .collect()
        };
        let national = days(Territoire::Metropole);
        assert_eq!(
            national,
            vec![
                d(2026, 1, 1),
                d(2026, 4, 6),
                d(2026, 5, 1),
                d(2026, 5, 8),
                d(2026, 5, 14),
                d(2026, 5, 25),
                d(2026, 7, 14),
                d(2026, 8, 15),
                d(2026, 11, 1),
                d(2026, 11, 11),
                d(2026, 12, 25),
            ]
        );
        for (t, extra) in [
            (Territoire::Guadeloupe, vec![d(2026, 5, 27)]),
            (Territoire::Martinique, vec![d(2026, 5, 22)]),
            (Territoire::Guyane, vec![d(2026, 6, 10)]),
            (Territoire::LaReunion, vec![d(2026, 12, 20)]),
            (Territoire::Mayotte, vec![d(2026, 4, 27)]),
            (Territoire::SaintBarthelemy, vec![d(2026, 10, 9)]),
            (Territoire::SaintMartin, vec![d(2026, 5, 28)]),
            (Territoire::SaintPierreEtMiquelon, vec![]),
            (Territoire::NouvelleCaledonie, vec![d(2026, 9, 24)]),
            (
                Territoire::PolynesieFrancaise,
                vec![d(2026, 3, 5), d(2026, 6, 29)],
            ),
            (
                Territoire::WallisEtFutuna,
                vec![d(2026, 4, 28), d(2026, 7, 29)],
            ),
        ] {
            let mut want = national.clone();
            want.extend(extra);
            want.sort();
            assert_eq!(days(t), want, "{t:?}");
        }
    }

    #[test]
    fn context_follows_the_zone() {
        let oh: opening_hours::OpeningHours = "Mo-Fr 09:00-12:00; PH off".parse().expect("valid");
        let at = d(2026, 5, 22).and_hms_opt(10, 0, 0).expect("time");
        let paris = oh.clone().with_context(context(chrono_tz::Europe::Paris));
        let fdf = oh.with_context(context(chrono_tz::America::Martinique));
        assert!(paris.is_open(at));
        assert!(!fdf.is_open(at), "22 May is a holiday in Martinique");
    }
}
