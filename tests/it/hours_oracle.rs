//! The weekly fast path of `hours` against the `opening-hours` crate, on every real `horaires`
//! value of the shared data, at instants every 41 minutes over two weeks.

use chrono::{Duration, NaiveDate};
use lieux::hours::Horaires;

use crate::util::shared_data;

/// The zone the values are evaluated in (only `PH` rules depend on it, and weekly values have none).
const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

fn real_values() -> Option<Vec<String>> {
    let data = shared_data()?;
    let mut out = Vec::new();
    let mut rdr =
        csv::Reader::from_path(data.join("france-services/france-services-20221201.v1.csv"))
            .ok()?;
    let col = rdr.headers().ok()?.iter().position(|h| h == "horaires")?;
    for rec in rdr.records() {
        let rec = rec.ok()?;
        if !rec[col].is_empty() {
            out.push(rec[col].to_owned());
        }
    }
    for f in [
        "hinaura-687",
        "charente-20230711",
        "bus-france-services-charente-20231003",
        "nouvelle-caledonie-20240320",
    ] {
        let text =
            std::fs::read_to_string(data.join(format!("cartographie-nationale-v0/{f}.json")))
                .ok()?;
        let rows: Vec<serde_json::Value> = serde_json::from_str(&text).ok()?;
        out.extend(
            rows.iter()
                .filter_map(|r| r["horaires"].as_str())
                .map(str::to_owned),
        );
    }
    out.sort();
    out.dedup();
    Some(out)
}

#[test]
fn fast_path_agrees_with_the_crate_on_real_values() {
    let Some(values) = real_values() else { return };
    assert!(values.len() > 1000, "{}", values.len());
    let start = NaiveDate::from_ymd_opt(2026, 3, 23)
        .and_then(|d| d.and_hms_opt(0, 7, 0))
        .expect("start");
    let (mut weekly, mut checked) = (0, 0);
    for raw in &values {
        let Ok(fast) = raw.parse::<Horaires>() else {
            assert!(
                Horaires::parse_with_crate(raw).is_err(),
                "fast path rejected what the crate accepts: {raw}"
            );
            continue;
        };
        let oracle = Horaires::parse_with_crate(raw)
            .unwrap_or_else(|e| panic!("crate rejects {raw:?}: {e}"));
        if !fast.is_weekly() {
            continue;
        }
        weekly += 1;
        // start is a Monday: the Saturdays of the two weeks (the second one spans the DST change)
        for sat in [
            start.date() + Duration::days(5),
            start.date() + Duration::days(12),
        ] {
            assert_eq!(
                fast.opens_on_weekend(sat, PARIS),
                oracle.opens_on_weekend(sat, PARIS),
                "{raw} week-end of {sat}"
            );
        }
        let mut t = start;
        while t < start + Duration::days(14) {
            let open = fast.is_open_local(t, PARIS);
            assert_eq!(open, oracle.is_open_local(t, PARIS), "{raw} at {t}");
            if !open {
                assert_eq!(
                    fast.next_opening_local(t, PARIS),
                    oracle.next_opening_local(t, PARIS),
                    "{raw} next opening after {t}"
                );
            }
            checked += 1;
            t += Duration::minutes(41);
        }
    }
    assert!(
        weekly * 100 >= values.len() * 95,
        "fast path covers {weekly} of {}",
        values.len()
    );
    assert!(checked > 500_000, "{checked}");
}
