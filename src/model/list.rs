//! [`EnumList`]: the values of one multi-valued enumerated field, inline in the place.
//!
//! The schema's lists of enumerated values (`services`, `frais_a_charge`…) were `Vec`s: 24
//! bytes each in every place plus a heap block for each non-empty one, ~250 bytes a place for
//! the nine lists, 250 MB at 1 M places (issue 19). A place never lists a value twice (the
//! import keeps the first), so a list holds at most as many values as its enumeration has: an
//! array of that many one-byte values and a length (3 to 12 bytes), no allocation. The order the
//! producer gave is kept (answers print the values in that order), so this is a list, not a bit
//! set; the filters use the bit sets of [`crate::filter::Bits`].

use std::fmt;

/// An enumeration of the schema ([`schema_enum!`](super) types): every value, in schema order.
pub trait SchemaEnum: Copy + Eq + 'static {
    /// Every value, in schema order.
    const VALUES: &'static [Self];
}

/// Distinct values of the enumeration `T`, in the order they were first added. `N` is the
/// number of values of `T` (checked at compile time), so adding never runs out of room.
/// Dereferences to a slice (`contains`, `iter`, `is_empty`…).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnumList<T: SchemaEnum, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T: SchemaEnum, const N: usize> EnumList<T, N> {
    /// The empty list.
    pub fn new() -> Self {
        const {
            assert!(N == T::VALUES.len() && N > 0 && N < 256);
        }
        EnumList {
            len: 0,
            items: [T::VALUES[0]; N],
        }
    }

    /// Appends `value` unless the list holds it already (then the list is unchanged).
    pub fn push(&mut self, value: T) {
        if !self.contains(&value) {
            // distinct values of T: at most N of them
            self.items[usize::from(self.len)] = value;
            self.len += 1;
        }
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The values, in order.
    pub fn as_slice(&self) -> &[T] {
        &self.items[..usize::from(self.len)]
    }
}

impl<T: SchemaEnum, const N: usize> Default for EnumList<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: SchemaEnum, const N: usize> std::ops::Deref for EnumList<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: SchemaEnum + fmt::Debug, const N: usize> fmt::Debug for EnumList<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: SchemaEnum, const N: usize> FromIterator<T> for EnumList<T, N> {
    /// The distinct values, in the order of their first occurrence.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = Self::new();
        for v in iter {
            list.push(v);
        }
        list
    }
}

impl<T: SchemaEnum, const N: usize> Extend<T> for EnumList<T, N> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.push(v);
        }
    }
}

impl<T: SchemaEnum, const N: usize> From<Vec<T>> for EnumList<T, N> {
    fn from(values: Vec<T>) -> Self {
        values.into_iter().collect()
    }
}

impl<T: SchemaEnum, const N: usize, const M: usize> From<[T; M]> for EnumList<T, N> {
    fn from(values: [T; M]) -> Self {
        values.into_iter().collect()
    }
}

impl<'a, T: SchemaEnum, const N: usize> IntoIterator for &'a EnumList<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: SchemaEnum, const N: usize> PartialEq<Vec<T>> for EnumList<T, N> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: SchemaEnum, const N: usize, const M: usize> PartialEq<[T; M]> for EnumList<T, N> {
    fn eq(&self, other: &[T; M]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dispositif, Service};

    #[test]
    fn keeps_first_occurrences_in_order() {
        let mut l: EnumList<Service, 9> = [Service::ALL[3], Service::ALL[0], Service::ALL[3]]
            .into_iter()
            .collect();
        assert_eq!(l.as_slice(), &[Service::ALL[3], Service::ALL[0]]);
        for s in Service::ALL.iter().rev() {
            l.push(*s);
        }
        assert_eq!(l.len(), Service::ALL.len());
        assert_eq!(l[0], Service::ALL[3]);
        assert_eq!(l[1], Service::ALL[0]);
        assert_eq!(l[2], Service::ALL[8]);
        let empty: EnumList<Dispositif, 11> = EnumList::new();
        assert!(empty.is_empty());
        assert_eq!(format!("{empty:?}"), "[]");
    }

    #[test]
    fn is_small() {
        assert_eq!(std::mem::size_of::<EnumList<Dispositif, 11>>(), 12);
    }
}
