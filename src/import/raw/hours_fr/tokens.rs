//! French opening-hours text → tokens: day names, times (`9h`, `09:00`, `midi`), range and list
//! connectors, `fermé`, and the words that make a value unclear.

use super::Day;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Day(Day),
    /// Minutes; `explicit` when written with `h` / `:` (a bare number is an hour only next to
    /// an explicit time).
    Time(u16, bool),
    /// `-`, `à`, `au`
    To,
    /// `,` `;` `/` `et` `:` newline, parentheses: separators
    Sep,
    Closed,
    /// Makes the value unclear.
    Word(String),
    /// Words that change nothing when times are given (`matin`, `après-midi`).
    Soft(String),
}

pub(super) fn tokenize(text: &str) -> Vec<Tok> {
    let lower = text
        .to_lowercase()
        .replace(['–', '—', '‑'], "-")
        .replace("après-midi", " apresmidi ")
        .replace("apres-midi", " apresmidi ")
        .replace("tous les jours", " lundi au dimanche ");
    let chars: Vec<char> = lower.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            let hours: u16 = digits.parse().unwrap_or(u16::MAX);
            // "9 :00": spaces before a colon
            let mut k = i;
            while k < chars.len() && chars[k] == ' ' {
                k += 1;
            }
            let mark = chars.get(k).copied();
            if matches!(mark, Some('h' | ':')) && (mark == Some(':') || k == i) {
                i = k + 1;
                let ms = i;
                while i < chars.len() && chars[i].is_ascii_digit() && i - ms < 2 {
                    i += 1;
                }
                let mins: u16 = if i > ms {
                    chars[ms..i]
                        .iter()
                        .collect::<String>()
                        .parse()
                        .unwrap_or(u16::MAX)
                } else {
                    0
                };
                if digits.len() > 2 || hours > 24 || mins > 59 || (hours == 24 && mins > 0) {
                    toks.push(Tok::Word(format!("{digits}:{mins}")));
                } else {
                    toks.push(Tok::Time(hours * 60 + mins, true));
                }
                // "14hsomething": the letters that follow form a word of their own
                continue;
            }
            if chars.get(i).is_some_and(|c| c.is_alphabetic()) {
                // "2e", "15jours"
                let s = i;
                while i < chars.len() && chars[i].is_alphabetic() {
                    i += 1;
                }
                let w: String = chars[start..i].iter().collect();
                let _ = s;
                toks.push(Tok::Word(w));
                continue;
            }
            if digits.len() <= 2 && hours <= 24 {
                toks.push(Tok::Time(hours * 60, false));
            } else {
                toks.push(Tok::Word(digits));
            }
            continue;
        }
        if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '\'') {
                i += 1;
            }
            let w: String = chars[start..i].iter().collect();
            let w = w.trim_end_matches('\'');
            // "l'", "d'", "jusqu'": elided articles and prepositions
            let w = match w.rsplit_once('\'') {
                Some(("l" | "d" | "jusqu" | "qu", rest)) => rest,
                _ => w,
            };
            toks.push(word(w));
            continue;
        }
        i += 1;
        match c {
            '-' => toks.push(Tok::To),
            ',' | ';' | '/' | ':' | '\n' | '\r' | '\t' | '(' | ')' | '.' | '|' | '&' | '+' => {
                toks.push(Tok::Sep)
            }
            c if c.is_whitespace() => {}
            c => toks.push(Tok::Word(c.to_string())),
        }
    }
    toks
}

fn word(w: &str) -> Tok {
    if let Some(d) = Day::from_french(w) {
        return Tok::Day(d);
    }
    match w {
        "" => Tok::Sep,
        "à" | "a" | "au" | "jusqu" | "jusque" => Tok::To,
        "et" => Tok::Sep,
        "de" | "du" | "des" | "le" | "les" | "la" | "l" | "d" | "h" | "ouvert" | "ouverte"
        | "ouverts" | "horaires" | "horaire" | "ouverture" | "lun" | "sem" => {
            if matches!(w, "lun" | "sem") {
                Tok::Word(w.to_owned())
            } else {
                Tok::Sep
            }
        }
        "fermé" | "fermée" | "ferme" | "fermés" | "fermées" | "fermeture" => Tok::Closed,
        "midi" => Tok::Time(12 * 60, true),
        "minuit" => Tok::Time(24 * 60, true),
        "matin" | "matins" | "apresmidi" | "soir" => Tok::Soft(w.to_owned()),
        _ => Tok::Word(w.to_owned()),
    }
}
