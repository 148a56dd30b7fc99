//! The dataset version: a content hash of every place (see [`content_hash`]).

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::model::Lieu;

/// A SHA-256 fed through `write!`: the columns are formatted into one buffer, handed to the
/// hash every [`HASH_BLOCK`] bytes (the hash of a stream does not depend on how it is cut; one
/// update per field and separator was a third of the hash's time at 1 M places, issue 19).
struct HashWriter {
    sha: Sha256,
    buf: Vec<u8>,
}

/// Bytes buffered before a hash update.
const HASH_BLOCK: usize = 1 << 16;

impl std::fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.buf.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

impl HashWriter {
    fn new() -> HashWriter {
        HashWriter {
            sha: Sha256::new(),
            buf: Vec::with_capacity(HASH_BLOCK + 4096),
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    fn text(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0x1f);
    }

    fn opt(&mut self, s: &Option<crate::model::Text>) {
        self.text(s.as_deref().unwrap_or_default());
    }

    fn list<T: std::fmt::Display>(&mut self, values: &[T]) {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                let _ = self.write_char(crate::model::LIST_SEPARATOR);
            }
            let _ = write!(self, "{v}");
        }
        self.buf.push(0x1f);
    }

    fn number(&mut self, v: Option<f64>) {
        if let Some(v) = v {
            let _ = write!(self, "{v}");
        }
        self.buf.push(0x1f);
    }

    /// Hands the buffer to the hash once it holds a block.
    fn flush_block(&mut self) {
        if self.buf.len() >= HASH_BLOCK {
            self.sha.update(&self.buf);
            self.buf.clear();
        }
    }

    fn finalize(mut self) -> [u8; 32] {
        self.sha.update(&self.buf);
        self.sha.finalize().into()
    }
}

/// The dataset version: SHA-256 over every place, each [`V1_COLUMNS`](crate::model::V1_COLUMNS) value as
/// [`Lieu::column`] writes it followed by 0x1F, then the position's provenance as JSON, then
/// 0x1E; the first 8 bytes in hex. Written column by column without building the strings (the
/// tests check it against [`Lieu::column`]).
pub(super) fn content_hash(lieux: &[Lieu]) -> String {
    let mut h = HashWriter::new();
    for l in lieux {
        h.place(l);
        h.flush_block();
    }
    hex::encode(&h.finalize()[..8])
}

/// The [`content_hash`] input of consecutive places, formatted apart from the hash: the
/// snapshot reader formats each batch on the thread that decoded it, while its places are in
/// the cache, and [`VersionStream`] hashes the batches in order (issue 19: the hash was the
/// longest step after decoding, re-reading every place).
pub(crate) fn hash_input(lieux: &[Lieu]) -> Vec<u8> {
    let mut h = HashWriter {
        sha: Sha256::new(),
        buf: Vec::with_capacity(lieux.len() * 512),
    };
    for l in lieux {
        h.place(l);
    }
    h.buf
}

/// [`content_hash`] of places given as the [`hash_input`] of consecutive batches.
#[derive(Default)]
pub(crate) struct VersionStream(Sha256);

impl VersionStream {
    /// Hashes the next batch's input.
    pub(crate) fn update(&mut self, input: &[u8]) {
        self.0.update(input);
    }

    /// The version of every place given.
    pub(crate) fn finish(self) -> String {
        hex::encode(&self.0.finalize()[..8])
    }
}

impl HashWriter {
    /// Writes one place's columns (see [`content_hash`]).
    fn place(&mut self, l: &Lieu) {
        self.text(&l.id);
        self.text(&l.pivot);
        self.text(&l.nom);
        self.text(&l.commune);
        self.text(&l.code_postal);
        self.opt(&l.code_insee);
        self.text(&l.adresse);
        self.opt(&l.complement_adresse);
        self.number(l.position.map(|p| p.lat));
        self.number(l.position.map(|p| p.lon));
        self.list(&l.typologie);
        self.opt(&l.telephone);
        self.list(&l.courriels);
        self.list(&l.site_web);
        self.text(l.horaires.as_ref().map(|x| x.raw()).unwrap_or_default());
        self.opt(&l.presentation_resume);
        self.opt(&l.presentation_detail);
        self.opt(&l.source);
        self.list(&l.itinerance);
        self.opt(&l.structure_parente);
        let _ = write!(self, "{}", crate::model::IsoDate(l.date_maj));
        self.bytes(&[0x1f]);
        self.list(&l.services);
        self.list(&l.publics_specifiquement_adresses);
        self.list(&l.prise_en_charge_specifique);
        self.list(&l.frais_a_charge);
        self.list(&l.dispositif_programmes_nationaux);
        self.list(&l.formations_labels);
        self.list(&l.autres_formations_labels);
        self.list(&l.modalites_acces);
        self.list(&l.modalites_accompagnement);
        self.opt(&l.fiche_acces_libre);
        self.opt(&l.prise_rdv);
        // the position's provenance is served too (`position` in GeoJSON): a re-geocoded place
        // with the same coordinates is a new version (JSON written whole or not at all)
        if let Some(o) = &l.position_origine
            && let Ok(json) = serde_json::to_vec(o)
        {
            self.bytes(&json);
        }
        // so is where a derived address comes from (`position.adresse`); nothing is hashed
        // when the producer gave the address, so versions of such data did not change
        if let Some(a) = l.adresse_origine {
            self.bytes(&[0x1d]);
            self.bytes(a.as_str().as_bytes());
        }
        self.bytes(&[0x1e]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dataset;
    use crate::model::{Position, PositionOrigine, SourceAdresse};

    /// The version as it was computed before it was streamed: every column built as a string
    /// by [`Lieu::column`].
    fn content_hash_by_columns(lieux: &[Lieu]) -> String {
        let mut h = Sha256::new();
        for l in lieux {
            for c in crate::model::V1_COLUMNS {
                if let Some(v) = l.column(c) {
                    h.update(v.as_bytes());
                }
                h.update([0x1f]);
            }
            if let Some(o) = &l.position_origine
                && let Ok(json) = serde_json::to_vec(o)
            {
                h.update(&json);
            }
            if let Some(a) = l.adresse_origine {
                h.update([0x1d]);
                h.update(a.as_str().as_bytes());
            }
            h.update([0x1e]);
        }
        hex::encode(&h.finalize()[..8])
    }

    #[test]
    fn the_streamed_version_is_the_column_by_column_one() {
        let mut lieux = Dataset::embedded().expect("embedded").lieux().to_vec();
        lieux.extend(crate::testdata::synthetic_lieux(3000, 3));
        lieux[5].position_origine = Some(PositionOrigine::producteur(true));
        lieux[6].adresse_origine = Some(SourceAdresse::GeocodageInverse);
        lieux[6].autres_formations_labels = ["a".into(), "b".into()].into_iter().collect();
        lieux[7].date_maj = chrono::NaiveDate::from_ymd_opt(12345, 1, 2).expect("a date");
        lieux[8].position = Some(Position {
            lon: -0.000001,
            lat: 1e-7,
        });
        for l in &lieux[..5] {
            assert_eq!(
                content_hash(std::slice::from_ref(l)),
                content_hash_by_columns(std::slice::from_ref(l))
            );
        }
        assert_eq!(content_hash(&lieux), content_hash_by_columns(&lieux));
        // the embedded data's version is the one served before
        let embedded = Dataset::embedded().expect("embedded");
        assert_eq!(
            embedded.version(),
            content_hash_by_columns(embedded.lieux())
        );
    }

    /// The version hashed while a snapshot is read (each batch's input formatted on its
    /// decoding thread) is the version of the places read, from bytes and from a file, over
    /// several batches; a snapshot out of id order is sorted and hashed again.
    #[test]
    fn the_version_hashed_while_reading_is_the_places_version() {
        let lieux = crate::testdata::synthetic_lieux(5000, 11);
        let bytes = crate::snapshot::encode_snapshot(&lieux).expect("encoded");
        let ds = Dataset::from_snapshot(&bytes).expect("read");
        assert_eq!(ds.version(), content_hash(ds.lieux()));
        assert_eq!(ds.version(), content_hash(&lieux));
        let path = std::env::temp_dir().join(format!("lieux-version-{}.fgb", std::process::id()));
        std::fs::write(&path, &bytes).expect("written");
        let from_file = Dataset::from_snapshot_file(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        assert_eq!(from_file.version(), ds.version());
        let mut reversed = lieux.clone();
        reversed.reverse();
        let bytes = crate::snapshot::encode_snapshot(&reversed).expect("encoded");
        let ds = Dataset::from_snapshot(&bytes).expect("read");
        assert_eq!(ds.version(), content_hash(&lieux));
        assert_ne!(content_hash(&reversed), content_hash(&lieux));
    }
}
