//! Values as producers write them, made the schema's: postcodes, INSEE codes, SIRET/RNA
//! pivots, phone numbers, dates (`date_maj`, also read by the raw mappings), runs of spaces in
//! opening hours. Each function returns the normalised value, or `None` when the value is not
//! one; the caller reports what changed.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// `^\d{5}$`, repairing separators, a lost leading zero (4 digits) and a JSON float (`1000.0`).
pub(crate) fn normalize_code_postal(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.len() {
        5 => Some(s.to_owned()),
        4 => Some(format!("0{s}")),
        _ => None,
    }
}

/// `^([013-9]\d|2[AB1-9])\d{3}$`, repairing a lost leading zero and a lower-case Corsican code.
pub(crate) fn normalize_code_insee(raw: &str) -> Option<String> {
    let s = raw.trim().to_ascii_uppercase();
    let s = if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{s}")
    } else {
        s
    };
    let b = s.as_bytes();
    let ok = b.len() == 5
        && match (b[0], b[1]) {
            (b'2', b'A' | b'B' | b'1'..=b'9') => true,
            (b'0' | b'1' | b'3'..=b'9', c) => c.is_ascii_digit(),
            _ => false,
        }
        && b[2..].iter().all(u8::is_ascii_digit);
    ok.then_some(s)
}

/// `^[a-zA-Z0-9]{9,14}$`, after removing spaces and dots (SIRET written `123 456 789 00012`).
pub(crate) fn normalize_pivot(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    ((9..=14).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(s)
}

const PHONE_PREFIXES: [&str; 10] = [
    "+33", "+590", "+594", "+262", "+596", "+269", "+687", "+689", "+508", "+681",
];

fn valid_telephone(s: &str) -> bool {
    PHONE_PREFIXES.iter().any(|p| {
        s.strip_prefix(p).is_some_and(|rest| {
            (6..=9).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// The schema's international form, from national forms (`01 23 45 67 89`, `0590…` with the
/// overseas prefix chosen by postcode) or `0033…`; `None` when not a phone number.
pub(crate) fn normalize_telephone(raw: &str, code_postal: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '/' | '(' | ')')))
        .collect();
    let s = match s.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => s,
    };
    // "+33 (0)1 …" written "+3301…"
    let s = match s.strip_prefix("+330") {
        Some(rest) if rest.len() == 9 => format!("+33{rest}"),
        _ => s,
    };
    if s.starts_with('+') {
        return valid_telephone(&s).then_some(s);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let department = code_postal.get(..3).unwrap_or("");
    let candidate = if s.len() == 10 && s.starts_with('0') {
        let prefix = match department {
            "971" | "977" | "978" => "+590",
            "972" => "+596",
            "973" => "+594",
            "974" | "976" => "+262",
            _ => "+33",
        };
        format!("{prefix}{}", &s[1..])
    } else {
        // Overseas collectivities without a trunk 0.
        let prefix = match department {
            "988" => "+687",
            "987" => "+689",
            "975" => "+508",
            "986" => "+681",
            _ => return None,
        };
        format!("{prefix}{s}")
    };
    valid_telephone(&candidate).then_some(candidate)
}

/// `YYYY-MM-DD` (exact = `true`), or a full ISO date-time / `DD/MM/YYYY` (exact = `false`).
pub(crate) fn parse_date(raw: &str) -> Option<(NaiveDate, bool)> {
    let raw = raw.trim();
    if raw.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
    {
        return Some((d, true));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        return Some((dt.date_naive(), false));
    }
    // ISO and slashed year-first date-times (`2020/06/30 14:16:50.898`), French day-first
    // ones (`30/06/2020 14:16`, `30-06-2020`, `30.06.2020`)
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%d/%m/%Y %H:%M:%S%.f",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(raw, f) {
            return Some((dt.date(), false));
        }
    }
    ["%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
        .map(|d| (d, false))
}

/// A date no place was updated on: the Unix epoch and the other zeros of spreadsheets and
/// databases (1899-12-30, 1900-01-01, 0001-01-01), any date before 1990.
pub(crate) fn is_placeholder_date(d: NaiveDate) -> bool {
    d < NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default()
}

/// The date of an import, for rows whose `date_maj` is missing or unusable.
pub(crate) fn import_date() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// `horaires` with each run of whitespace made one space: producers type `Sa  10:00-13:00`,
/// which the opening_hours grammar refuses but whose meaning is plain.
pub(crate) fn single_spaced(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::Horaires;
    use crate::import::position::coords::parse_coord;

    #[test]
    fn horaires_runs_of_spaces_are_collapsed_into_valid_hours() {
        let raw = "Mo-Fr  09:00-12:00,14:00-17:00;  Sa   10:00-13:00";
        let fixed = single_spaced(raw);
        assert_eq!(fixed, "Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-13:00");
        assert!(raw.parse::<Horaires>().is_err());
        assert!(Horaires::parse_with_crate(&fixed).is_ok());
    }

    #[test]
    fn telephone_repairs() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("+33180059880", "75001", Some("+33180059880")),
            ("01 80 05 98 80", "75001", Some("+33180059880")),
            ("01.80.05.98.80", "75001", Some("+33180059880")),
            ("0033 1 80 05 98 80", "75001", Some("+33180059880")),
            ("+33 (0)1 80 05 98 80", "75001", Some("+33180059880")),
            ("0590 12 34 56", "97100", Some("+590590123456")),
            ("0590 12 34 56 7", "97100", None), // 11 digits
            ("0696 12 34 56", "97200", Some("+596696123456")),
            ("0696123456", "97200", Some("+596696123456")),
            ("0594123456", "97300", Some("+594594123456")),
            ("0262123456", "97400", Some("+262262123456")),
            ("0269123456", "97600", Some("+262269123456")),
            ("44 57 28", "98800", Some("+687445728")),
            ("123", "75001", None),
            ("not a phone", "75001", None),
            ("+1 555 123 4567", "75001", None),
        ];
        for (raw, cp, expected) in cases {
            assert_eq!(
                normalize_telephone(raw, cp).as_deref(),
                *expected,
                "{raw} ({cp})"
            );
        }
    }

    #[test]
    fn code_repairs() {
        let postcodes: &[(&str, Option<&str>)] = &[
            ("75001", Some("75001")),
            ("1000", Some("01000")),
            ("1000.0", Some("01000")),
            ("75 001", Some("75001")),
            ("750", None),
            ("7500A", None),
        ];
        for (raw, expected) in postcodes {
            assert_eq!(normalize_code_postal(raw).as_deref(), *expected, "{raw}");
        }
        let insee: &[(&str, Option<&str>)] = &[
            ("51454", Some("51454")),
            ("1053", Some("01053")),
            ("2a004", Some("2A004")),
            ("2B033", Some("2B033")),
            ("20004", None), // "20" is not a département (Corsica is 2A/2B)
            ("2C004", None),
            ("0null", None),
            ("123456", None),
        ];
        for (raw, expected) in insee {
            assert_eq!(normalize_code_insee(raw).as_deref(), *expected, "{raw}");
        }
        let pivots: &[(&str, Option<&str>)] = &[
            ("43493312300029", Some("43493312300029")),
            ("434 933 123 00029", Some("43493312300029")),
            ("434.933.123.00029", Some("43493312300029")),
            ("W123456789", Some("W123456789")),
            ("12345", None),
            ("434933123000290", None),
        ];
        for (raw, expected) in pivots {
            assert_eq!(normalize_pivot(raw).as_deref(), *expected, "{raw}");
        }
    }

    #[test]
    fn date_and_coordinate_repairs() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        let dates: &[(&str, Option<(NaiveDate, bool)>)] = &[
            ("2022-12-01", Some((d(2022, 12, 1), true))),
            ("2022-12-01T10:00:00+01:00", Some((d(2022, 12, 1), false))),
            ("2022-12-01T23:30:00.000Z", Some((d(2022, 12, 1), false))),
            ("2022-12-01 10:00:00", Some((d(2022, 12, 1), false))),
            ("01/12/2022", Some((d(2022, 12, 1), false))),
            ("2020/06/30 14:16:50.898", Some((d(2020, 6, 30), false))),
            ("2020/06/30", Some((d(2020, 6, 30), false))),
            ("30/06/2020 14:16:50", Some((d(2020, 6, 30), false))),
            ("30/06/2020 14:16", Some((d(2020, 6, 30), false))),
            ("30-06-2020", Some((d(2020, 6, 30), false))),
            ("30.06.2020", Some((d(2020, 6, 30), false))),
            ("2020-06-30 14:16", Some((d(2020, 6, 30), false))),
            ("20200630", Some((d(2020, 6, 30), false))),
            (" 2020-06-30 ", Some((d(2020, 6, 30), true))),
            ("2022-13-01", None),
            ("hier", None),
        ];
        for (raw, expected) in dates {
            assert_eq!(parse_date(raw), *expected, "{raw}");
        }
        for placeholder in ["1970-01-01", "1900-01-01", "1899-12-30", "0001-01-01"] {
            let (p, _) = parse_date(placeholder).expect(placeholder);
            assert!(is_placeholder_date(p), "{placeholder}");
        }
        assert!(!is_placeholder_date(d(2014, 5, 2)));
        let coords: &[(&str, Option<(f64, bool)>)] = &[
            ("48.85", Some((48.85, false))),
            ("48,85", Some((48.85, true))),
            ("-0.5", Some((-0.5, false))),
            ("1,234.5", None),
            ("NaN", None),
            ("abc", None),
        ];
        for (raw, expected) in coords {
            assert_eq!(parse_coord(raw), *expected, "{raw}");
        }
    }
}
