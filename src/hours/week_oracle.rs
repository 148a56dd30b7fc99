//! The weekly parse against the per-day parse it replaced (issue 19).

use super::*;

/// The single-vector parse gives the table of the per-day parse it replaced, on 5 000 seeded
/// values shaped as real ones and on edge cases: later rules replacing days, wrapping ranges,
/// overlapping and unsorted spans, spans meeting at midnight, bad parts after good ones.
#[test]
fn single_vector_parse_matches_the_per_day_parse() {
    /// The parse before issue 19's single vector: per-day vectors, a rule's spans collected
    /// before they replace its days.
    fn parse_per_day(raw: &str) -> Option<WeekTable> {
        // per day: open spans, in minutes of the day
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        let rules: Vec<&str> = raw
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        let any_rule = !rules.is_empty();
        for rule in rules {
            let (selected, times) = rule_parts(rule)?;
            let spans = match times {
                "" => vec![(0, MINUTES_PER_DAY)],
                "off" | "closed" => Vec::new(),
                t => t.split(',').map(time_span).collect::<Option<Vec<_>>>()?,
            };
            for (d, on) in selected.iter().enumerate() {
                if *on {
                    days[d] = spans.clone();
                }
            }
        }
        if !any_rule {
            return None;
        }
        let mut intervals: Vec<(u16, u16)> = Vec::new();
        for (d, spans) in days.iter_mut().enumerate() {
            spans.sort_unstable();
            let base = d as u16 * MINUTES_PER_DAY;
            for &(s, e) in spans.iter() {
                let (s, e) = (base + s, base + e);
                match intervals.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => intervals.push((s, e)),
                }
            }
        }
        Some(WeekTable(intervals.into_boxed_slice()))
    }

    // seeded values shaped as real ones: one or two rules of days and two spans, some `off`
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut below = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let days = [
        "Mo-Fr", "Tu-Sa", "Mo,We", "Mo-Th", "Sa", "Su", "Sa-Mo", "Mo,We-Fr", "We",
    ];
    let mut values: Vec<String> = Vec::new();
    for _ in 0..5000 {
        let mut rules = Vec::new();
        for _ in 0..1 + below(3) {
            let mut t = |h0: u64, span: u64| {
                let m = h0 * 60 + below(span * 4) * 15;
                format!("{:02}:{:02}", m / 60, m % 60)
            };
            let (a, b, c, d) = (t(7, 3), t(10, 3), t(12, 3), t(15, 9));
            let sel = days[below(days.len() as u64) as usize];
            rules.push(match below(8) {
                0 => format!("{sel} off"),
                1 => sel.to_owned(),
                2 => format!("{sel} {c}-{d},{a}-{b}"),
                _ => format!("{sel} {a}-{b},{c}-{d}"),
            });
        }
        values.push(rules.join("; "));
    }
    values.extend(
        [
            "Mo-Fr 09:00-12:00,14:00-18:00; We off; Sa 10:00-12:00",
            "Mo-Su 08:00-12:00; Tu,Th 13:00-17:00,09:00-10:00",
            "Sa-Mo 10:00-24:00; Tu 00:00-03:00",
            "Mo 22:00-24:00; Tu 00:00-02:00; Mo 10:00-11:00,10:30-12:00",
            "Fr 14:00-18:00,08:00-12:00,11:00-15:00",
            "Mo-Fr",
            "10:00-12:00",
            "Mo-Fr 09:00-12:00; Sa closed; Mo 10:00-11:00",
            "Mo-Fr 09:00-12:00,25:00-26:00",
            "Mo-Fr 09:00-12:00; Xx 10:00-11:00",
            "; ;",
            "Mo-Fr 12:00-09:00",
        ]
        .map(str::to_owned),
    );
    for raw in &values {
        assert_eq!(WeekTable::parse(raw), parse_per_day(raw), "{raw}");
    }
}
