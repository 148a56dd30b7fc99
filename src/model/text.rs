//! [`Text`]: one text field of a place, in one machine word.
//!
//! A place has fifteen text fields (`id`, `nom`, `adresse`, `code_insee`…). As `String` and
//! `Option<String>` they were 24 bytes each inline (360 bytes of the place's 584), plus one heap
//! block for each non-empty one, even for a five-byte postcode: at 1 M places, the largest part
//! of the server's memory and of the snapshot decoding's allocations (issue 19). A `Text` is
//! one word (8 bytes on 64-bit targets), and so is an `Option<Text>`:
//!
//! - up to 7 bytes (postcodes, INSEE codes, short ids, the empty string) are held in the word
//!   itself, with no allocation;
//! - longer ones are one heap block, the length (`u32`) followed by the bytes, pointed to by
//!   the word.
//!
//! The two are told apart by the lowest bit of the word's first byte in memory: 1 for inline
//! text (the byte holds the length), 0 for a pointer (blocks are aligned on 4 bytes). It is
//! immutable (a new value replaces an old one), dereferences to `&str`, and compares, orders and
//! hashes as its `&str`, so that field reads (`&lieu.nom`, `lieu.code_insee.as_deref()`,
//! `lieu.id == "x"`, maps keyed by `&str`) read as they did with `String`.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ptr::NonNull;

const WORD: usize = size_of::<usize>();
/// The longest text held in the word itself.
const INLINE_MAX: usize = WORD - 1;
/// Where the tag byte is in the word's memory: its least significant byte, whose lowest bit is
/// the lowest bit of the address when the word is a pointer.
const TAG: usize = if cfg!(target_endian = "little") {
    0
} else {
    WORD - 1
};
/// Where inline bytes start in the word's memory.
const DATA: usize = if cfg!(target_endian = "little") { 1 } else { 0 };
/// Size of the length before the bytes of a heap block.
const HEADER: usize = size_of::<u32>();

/// An immutable UTF-8 string of at most `u32::MAX` bytes in one word; see the module doc.
pub struct Text {
    /// Either a pointer to a heap block (tag bit 0) or the inline bytes (tag bit 1). Never
    /// null: the tag byte of inline text is odd. So `Option<Text>` is one word too.
    word: NonNull<u8>,
}

// SAFETY: a `Text` owns its heap block alone (clones copy it) and never changes it: it is a
// `Box<str>` in another shape.
unsafe impl Send for Text {}
// SAFETY: as above; shared references only read.
unsafe impl Sync for Text {}

impl Text {
    /// The empty text (no allocation).
    pub const fn new() -> Text {
        let mut bytes = [0u8; WORD];
        bytes[TAG] = 1;
        Text {
            word: NonNull::without_provenance(
                match std::num::NonZeroUsize::new(usize::from_ne_bytes(bytes)) {
                    Some(n) => n,
                    None => unreachable!(),
                },
            ),
        }
    }

    fn tag(&self) -> u8 {
        // the word's memory, as bytes: reading it never dereferences the pointer
        let bytes: [u8; WORD] = (self.word.as_ptr() as usize).to_ne_bytes();
        bytes[TAG]
    }

    fn is_inline(&self) -> bool {
        self.tag() & 1 == 1
    }

    fn layout(len: usize) -> Layout {
        // HEADER + len ≤ u32::MAX + 4 < isize::MAX on 64-bit targets; on 32-bit ones a text
        // that large could not have been allocated as a `str` in the first place.
        Layout::from_size_align(HEADER + len, align_of::<u32>()).unwrap_or(Layout::new::<u32>())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        if self.is_inline() {
            let len = usize::from(self.tag() >> 1);
            // SAFETY: inline bytes start at DATA inside `self.word`'s own memory, and the
            // first `len` of them were copied from a `&str` by `From<&str>`.
            unsafe {
                let base = (&raw const self.word).cast::<u8>();
                let bytes = std::slice::from_raw_parts(base.add(DATA), len);
                std::str::from_utf8_unchecked(bytes)
            }
        } else {
            // SAFETY: a heap word points to a live block written by `From<&str>`: a `u32`
            // length, then that many bytes of UTF-8.
            unsafe {
                let p = self.word.as_ptr();
                let len = p.cast::<u32>().read() as usize;
                let bytes = std::slice::from_raw_parts(p.add(HEADER), len);
                std::str::from_utf8_unchecked(bytes)
            }
        }
    }
}

impl From<&str> for Text {
    /// Copies `s`; panics if it is longer than `u32::MAX` bytes (no field of a place comes
    /// near: request bodies and snapshot rows are far smaller).
    fn from(s: &str) -> Text {
        let len = s.len();
        if len <= INLINE_MAX {
            let mut bytes = [0u8; WORD];
            bytes[TAG] = (len as u8) << 1 | 1;
            bytes[DATA..DATA + len].copy_from_slice(s.as_bytes());
            let word = usize::from_ne_bytes(bytes);
            return Text {
                // the tag byte is odd, so the word is not zero
                word: NonNull::without_provenance(
                    std::num::NonZeroUsize::new(word).unwrap_or(std::num::NonZeroUsize::MIN),
                ),
            };
        }
        let header = u32::try_from(len).expect("a text field longer than 4 GiB");
        let layout = Text::layout(len);
        // SAFETY: the layout is not zero-sized (HEADER > 0); the block is written in full
        // (length, then `len` bytes) before it is read.
        unsafe {
            let p = alloc(layout);
            let Some(word) = NonNull::new(p) else {
                handle_alloc_error(layout)
            };
            p.cast::<u32>().write(header);
            std::ptr::copy_nonoverlapping(s.as_ptr(), p.add(HEADER), len);
            Text { word }
        }
    }
}

impl Drop for Text {
    fn drop(&mut self) {
        if !self.is_inline() {
            // SAFETY: the block was allocated by `From<&str>` with this same layout (its
            // length is in its header) and is owned by this value alone.
            unsafe {
                let len = self.word.as_ptr().cast::<u32>().read() as usize;
                dealloc(self.word.as_ptr(), Text::layout(len));
            }
        }
    }
}

impl Clone for Text {
    fn clone(&self) -> Text {
        if self.is_inline() {
            Text { word: self.word }
        } else {
            Text::from(self.as_str())
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new()
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl AsRef<std::path::Path> for Text {
    fn as_ref(&self) -> &std::path::Path {
        self.as_str().as_ref()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::from(s.as_str())
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::from(s.as_str())
    }
}

impl From<Box<str>> for Text {
    fn from(s: Box<str>) -> Text {
        Text::from(&*s)
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(s: std::borrow::Cow<'_, str>) -> Text {
        Text::from(&*s)
    }
}

impl From<char> for Text {
    fn from(c: char) -> Text {
        Text::from(c.encode_utf8(&mut [0; 4]) as &str)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.as_str().to_owned()
    }
}

impl From<&Text> for String {
    fn from(t: &Text) -> String {
        t.as_str().to_owned()
    }
}

impl std::str::FromStr for Text {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Text, Self::Err> {
        Ok(Text::from(s))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

macro_rules! eq_str {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Text {
            fn eq(&self, other: &$t) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }
        impl PartialEq<Text> for $t {
            fn eq(&self, other: &Text) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}
eq_str!(str, &str, String);

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Text::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn is_one_word_with_or_without_a_value() {
        assert_eq!(size_of::<Text>(), size_of::<usize>());
        assert_eq!(size_of::<Option<Text>>(), size_of::<usize>());
    }

    #[test]
    fn reads_back_every_length_and_kind() {
        // every length around the inline limit, multi-byte characters across it, long texts
        let mut samples: Vec<String> = (0..40).map(|n| "x".repeat(n)).collect();
        samples
            .extend(["é", "éé", "ééé", "éééé", "a€b", "Œuvre", "75001", "2A004"].map(String::from));
        samples.push("Maison France Services de Saint-Étienne-de-Saint-Geoirs".into());
        samples.push("long ".repeat(10_000));
        for s in &samples {
            let t = Text::from(s.as_str());
            assert_eq!(t.as_str(), s);
            assert_eq!(t.len(), s.len());
            assert_eq!(t.is_inline(), s.len() <= INLINE_MAX, "{s:?}");
            let c = t.clone();
            drop(t);
            assert_eq!(c, *s);
            assert_eq!(format!("{c}|{c:?}"), format!("{s}|{s:?}"));
            assert_eq!(String::from(c), *s);
        }
        assert_eq!(Text::new(), "");
        assert_eq!(Text::default().as_str(), "");
        assert!(Some(Text::from("")).is_some());
    }

    #[test]
    fn compares_orders_and_hashes_as_str() {
        let words = ["", "a", "ab", "abcdefg", "abcdefgh", "b", "é", "zzzzzzzzzz"];
        for a in words {
            for b in words {
                let (ta, tb) = (Text::from(a), Text::from(b));
                assert_eq!(ta.cmp(&tb), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(ta == tb, a == b);
            }
        }
        let map: HashMap<Text, usize> = words.iter().map(|w| (Text::from(*w), w.len())).collect();
        assert_eq!(map.get("abcdefgh"), Some(&8));
        assert_eq!(map.get("abcdefg"), Some(&7));
        let json = serde_json::to_string(&Text::from("a \"b\" é")).expect("json");
        assert_eq!(json, r#""a \"b\" é""#);
        let back: Text = serde_json::from_str(&json).expect("json");
        assert_eq!(back, "a \"b\" é");
    }
}
