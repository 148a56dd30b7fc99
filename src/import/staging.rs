//! What a streamed import ([`super::stream`]) holds between validation and the snapshot, for
//! the steps that need the whole set: geocoding (batches of the rows without a position) and
//! the duplicates report (every positioned place against every other).
//!
//! - A place with a position goes straight to the snapshot; its [`Fiche`] (the ten fields the
//!   duplicate rule reads, a fraction of a place) is kept for the report.
//! - With geocoders, a place without a position waits in memory, with its report line "no
//!   coordinates", so that [`super::position::geocoding::place_missing`] replaces that line by what it
//!   did, exactly as an in-memory import does. Without geocoders it goes to the snapshot.

use crate::dedup::Fiche;
use crate::model::Lieu;

use super::position::geocoding::{is_address_from_commune, is_no_coordinates};
use super::{ImportOutcome, ReportRow};
use crate::snapshot::SnapshotWriter;

/// The places side: snapshot, fiches, and the places waiting for the geocoders.
pub(crate) struct Places<'a> {
    pub snapshot: &'a mut SnapshotWriter,
    pub geocoding: bool,
    pub fiches: Vec<Fiche>,
    /// Places without a position, and their "no coordinates" report lines.
    pub waiting: ImportOutcome,
}

impl<'a> Places<'a> {
    pub fn new(snapshot: &'a mut SnapshotWriter, geocoding: bool) -> Places<'a> {
        Places {
            snapshot,
            geocoding,
            fiches: Vec::new(),
            waiting: ImportOutcome::default(),
        }
    }

    /// Sends one place on to the snapshot (keeping its fiche when it is positioned).
    pub fn write(&mut self, lieu: &Lieu) {
        if lieu.position.is_some() {
            self.fiches.push(Fiche::from(lieu));
        }
        self.snapshot.push(lieu);
    }
}

impl Extend<Lieu> for Places<'_> {
    fn extend<I: IntoIterator<Item = Lieu>>(&mut self, lieux: I) {
        for lieu in lieux {
            // waiting: no position (geocoding), or the commune name for address (reverse
            // geocoding, when its `adresse_from_commune` line is held below)
            if self.geocoding && (lieu.position.is_none() || lieu.adresse == lieu.commune) {
                self.waiting.lieux.push(lieu);
            } else {
                self.write(&lieu);
            }
        }
    }
}

/// The report side: rows go to `out`, except the "no coordinates", guessed-commune and
/// address-from-commune lines of rows that wait for the geocoders, held in `held`.
pub(crate) struct Report<'a, W> {
    pub out: &'a mut W,
    pub geocoding: bool,
    pub held: Vec<ReportRow>,
}

impl<W: Extend<ReportRow>> Extend<ReportRow> for Report<'_, W> {
    fn extend<I: IntoIterator<Item = ReportRow>>(&mut self, rows: I) {
        for row in rows {
            // held: what geocoding replaces (no coordinates) or may settle (a guessed commune)
            if self.geocoding
                && (is_no_coordinates(&row)
                    || is_address_from_commune(&row)
                    || row
                        .reason
                        .starts_with(super::position::place::COMMUNE_GUESSED))
            {
                self.held.push(row);
            } else {
                self.out.extend(Some(row));
            }
        }
    }
}
