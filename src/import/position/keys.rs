//! Keys of the commune maps of [`super::shapes::CommuneShapes`], computed for every imported
//! row, so cheap: INSEE codes and postcodes as numbers (for a fast hasher), names normalised in
//! one pass into the key.

/// An INSEE code (five ASCII letters or digits, `2A`/`2B` included) as a number: six bits a
/// character. `None` for anything else, which no commune has.
pub(super) fn code_key(code: &str) -> Option<u32> {
    let b = code.as_bytes();
    if b.len() != 5 {
        return None;
    }
    b.iter().try_fold(0u32, |k, &c| {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        Some(k << 6 | u32::from(v))
    })
}

/// A five-digit postcode as a number.
pub(super) fn postcode_key(cp: &str) -> Option<u32> {
    let b = cp.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        .then(|| b.iter().fold(0u32, |k, &c| k * 10 + u32::from(c - b'0')))
}

/// The key of [`super::shapes::CommuneShapes`]' name map: the normalised name, written into
/// `key` (cleared first).
pub(super) fn name_key_into(name: &str, key: &mut String) {
    key.clear();
    normalise_into(name, key);
}

/// A département code (`01`, `2A`, `974`) as a number, for the maps keyed by département:
/// `None` unless two or three ASCII characters.
pub(super) fn dep_key(dep: &str) -> Option<u32> {
    let b = dep.as_bytes();
    (matches!(b.len(), 2 | 3) && b.is_ascii())
        .then(|| b.iter().fold(0u32, |k, &c| k << 8 | u32::from(c)))
}

/// Département code of a postcode: `97x` overseas, `2A`/`2B` for Corsica (200xx–201xx: 2A),
/// Saint-Barthélemy (97133) `977` and Saint-Martin (97150) `978`, although their postcodes
/// begin like Guadeloupe's.
pub(crate) fn departement_of_postcode(cp: &str) -> Option<String> {
    let cp = cp.trim();
    if cp.len() != 5 || !cp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match &cp[..2] {
        "97" if cp == "97133" => "977".to_owned(),
        "97" if cp == "97150" => "978".to_owned(),
        "97" | "98" => cp[..3].to_owned(),
        "20" => {
            if cp[2..3] < *"2" {
                "2A".to_owned()
            } else {
                "2B".to_owned()
            }
        }
        d => d.to_owned(),
    })
}

/// Upper case, no accents, words separated by one space, `ST`/`STE` expanded.
#[cfg(test)]
pub(crate) fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    normalise_into(name, &mut out);
    out
}

/// Upper case, no accents, words separated by one space, `ST`/`STE` expanded, appended to
/// `out` in one pass (every imported row without an INSEE code looks its commune up by name).
fn normalise_into(name: &str, out: &mut String) {
    let start = out.len();
    // start of the word being written, if any
    let mut word: Option<usize> = None;
    let end_word = |out: &mut String, w: usize| {
        let expanded = match &out[w..] {
            "ST" => "SAINT",
            "STE" => "SAINTE",
            _ => return,
        };
        out.truncate(w);
        out.push_str(expanded);
    };
    for c in name.chars() {
        let Some(letter) = letter(c) else {
            if let Some(w) = word.take() {
                end_word(out, w);
            }
            continue;
        };
        if word.is_none() {
            if out.len() > start {
                out.push(' ');
            }
            word = Some(out.len());
        }
        match letter {
            Letter::One(b) => out.push(b),
            Letter::Two(s) => out.push_str(s),
        }
    }
    if let Some(w) = word {
        end_word(out, w);
    }
}

/// What a character of a name becomes.
enum Letter {
    One(char),
    Two(&'static str),
}

/// Upper case without accent; `None` for a separator (anything not alphanumeric).
fn letter(c: char) -> Option<Letter> {
    Some(Letter::One(match c {
        'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' => 'A',
        'ç' | 'Ç' => 'C',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'î' | 'ï' | 'í' | 'Î' | 'Ï' => 'I',
        'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' => 'O',
        'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ÿ' | 'Ÿ' => 'Y',
        'œ' | 'Œ' => return Some(Letter::Two("OE")),
        'æ' | 'Æ' => return Some(Letter::Two("AE")),
        c if c.is_alphanumeric() => c.to_ascii_uppercase(),
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-pass `normalise` the one-pass one replaced (characters mapped, then words split,
    /// expanded and joined), as the oracle of the word handling.
    fn normalise_two_pass(name: &str) -> String {
        let mut s = String::new();
        for c in name.chars() {
            match letter(c) {
                Some(Letter::One(b)) => s.push(b),
                Some(Letter::Two(t)) => s.push_str(t),
                None => s.push(' '),
            }
        }
        s.split_whitespace()
            .map(|w| match w {
                "ST" => "SAINT",
                "STE" => "SAINTE",
                w => w,
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn one_pass_normalise_agrees_with_the_two_pass_one() {
        let table = crate::commune_table::embedded();
        assert!(table.len() > 34_000);
        let odd = [
            "",
            " ",
            "st",
            "ST-",
            "-Ste-",
            "Saint-Ñoño",
            "L'Œil  d'æ",
            "ste.st",
            "St1",
        ];
        for name in table.all().iter().map(|c| c.nom.as_str()).chain(odd) {
            assert_eq!(normalise(name), normalise_two_pass(name), "{name:?}");
        }
    }

    #[test]
    fn names_and_departements() {
        assert_eq!(
            normalise("St-Étienne-du-Rouvray"),
            "SAINT ETIENNE DU ROUVRAY"
        );
        assert_eq!(normalise("L'Haÿ-les-Roses"), "L HAY LES ROSES");
        assert_eq!(
            normalise("  Ste-Œuvre  st.  Stes "),
            "SAINTE OEUVRE SAINT STES"
        );
        assert_eq!(normalise("--"), "");
        assert_eq!(departement_of_postcode("20090").as_deref(), Some("2A"));
        assert_eq!(departement_of_postcode("20224").as_deref(), Some("2B"));
        assert_eq!(departement_of_postcode("97200").as_deref(), Some("972"));
        assert_eq!(departement_of_postcode("97150").as_deref(), Some("978"));
        assert_eq!(departement_of_postcode("97133").as_deref(), Some("977"));
        assert_eq!(departement_of_postcode("49000").as_deref(), Some("49"));
        assert_eq!(departement_of_postcode("4900"), None);
    }
}
