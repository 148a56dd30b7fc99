//! Text that went through the wrong encoding: UTF-8 read as Windows-1252 and written back as
//! UTF-8 (`MÃ©diathÃ¨que` for `Médiathèque`, `lâ€™Ã©cole` for `l’école`) is repaired when the
//! reverse trip is unambiguous; U+FFFD replacement characters (bytes lost upstream) cannot be
//! repaired and are reported.
//!
//! Hand-written rather than a crate: only the 32 Windows-1252 code points between 0x80 and
//! 0x9F differ from Latin-1, and the check needs the exact reverse trip, not a decoder.

/// Windows-1252's characters for the bytes 0x80–0x9F (`None`: undefined).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The Windows-1252 byte of `c`, if it has one.
fn cp1252_byte(c: char) -> Option<u8> {
    let n = c as u32;
    if n < 0x80 || (0xA0..=0xFF).contains(&n) {
        return Some(n as u8);
    }
    CP1252_HIGH
        .iter()
        .position(|h| *h == Some(c))
        .map(|i| 0x80 + i as u8)
}

/// `s` with its double encoding undone, when `s` has the marks of one (`Ã` or `â€` or `Â`
/// followed by a character of the 0x80–0xBF range) and every character maps back to one byte
/// that together form valid UTF-8 with fewer characters.
pub(crate) fn repair(s: &str) -> Option<String> {
    // Each mark is a UTF-8 lead byte read as Windows-1252: the reverse trip is valid UTF-8 only
    // if every mark is followed by a continuation byte (0x80–0xBF). French text without a
    // double encoding (`bâtiment`, `Âge`) stops here, after a byte scan: the marks are
    // `C3 83`, `C3 82` and `C3 A2` in UTF-8.
    let b = s.as_bytes();
    let mut marks = false;
    let mut from = 0;
    while let Some(off) = b[from..].iter().position(|&x| x == 0xC3) {
        let at = from + off;
        if matches!(b.get(at + 1), Some(0x82 | 0x83 | 0xA2)) {
            let next = s[at + 2..].chars().next().and_then(cp1252_byte);
            if !next.is_some_and(|n| (0x80..=0xBF).contains(&n)) {
                return None;
            }
            marks = true;
        }
        from = at + 1;
    }
    if !marks {
        return None;
    }
    let bytes: Option<Vec<u8>> = s.chars().map(cp1252_byte).collect();
    let fixed = String::from_utf8(bytes?).ok()?;
    (fixed.chars().count() < s.chars().count()).then_some(fixed)
}

/// Does `s` hold U+FFFD replacement characters (bytes the producer's tool could not decode)?
pub(crate) fn has_replacement(s: &str) -> bool {
    s.contains('\u{FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_encoding_is_undone_when_unambiguous() {
        for (bad, good) in [
            ("MÃ©diathÃ¨que", "Médiathèque"),
            ("lâ€™Ã©cole", "l’école"),
            ("Ã‰cole", "École"),
            ("CÃ´te-d'Or", "Côte-d'Or"),
            ("Ã\u{a0}Paris", "àParis"),
        ] {
            assert_eq!(repair(bad).as_deref(), Some(good), "{bad}");
        }
        // already right, or marks that do not come from a double encoding
        for fine in [
            "Médiathèque",
            "Ãbc",
            "â bientôt",
            "Paris",
            "Â",
            "bâtiment",
            "Âge",
        ] {
            assert_eq!(repair(fine), None, "{fine}");
        }
        assert!(has_replacement("M\u{FFFD}diath\u{FFFD}que"));
        assert!(!has_replacement("Médiathèque"));
    }
}
