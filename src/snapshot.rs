//! The snapshot: a FlatGeobuf file of Points with the 32 v1 columns as properties, so GDAL
//! (`ogrinfo`, QGIS) reads it as is. `lieux import` and live imports write it
//! ([`SnapshotWriter`], [`write_snapshot`], `write.rs`), the server loads it
//! ([`crate::Dataset::from_snapshot_file`]: read in chunks, decoded as they come); `/v1/lieux.fgb` serves its indexed form
//! ([`encode_indexed`]).
//!
//! Layout choices:
//! - Written with the flatbuffers builders of the `flatgeobuf` crate's generated types, not its
//!   `FgbWriter`, because `FgbWriter` always writes a geometry: a place without coordinates is
//!   a feature with **no geometry** (null), as GDAL writes and reads it.
//! - No spatial index (`index_node_size = 0`): the server builds its own R-tree, and features
//!   stay in import order, so a read gives back the list that was written.
//! - Lists are `|`-joined strings (the v1 CSV form, [`Lieu::column`](crate::model::Lieu::column)); `latitude`/`longitude`
//!   are also `Double` columns for attribute-only consumers. Empty values are not written
//!   (null).
//! - After the 32 v1 columns, the position's provenance: `position_source`,
//!   `position_precision` (strings) and `position_score` (double), see
//!   [`PositionOrigine`](crate::model::PositionOrigine).
//! - Reading ([`read_snapshot`], `read.rs`) goes straight over the bytes (each feature verified by flatbuffers, property bytes
//!   bounds-checked), without geozero's per-property dispatch: it is the server's start-up path.

mod read;
mod write;

use std::path::PathBuf;

use flatgeobuf::ColumnType;

use crate::model::V1_COLUMNS;

pub use read::{
    PerBatch, read_snapshot, read_snapshot_each, read_snapshot_from, read_snapshot_from_each,
};
pub use write::{SnapshotWriter, encode_indexed, encode_snapshot, write_snapshot};

/// Failure to read or write a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not a snapshot, or a corrupt one (the reason says where).
    #[error("invalid snapshot: {0}")]
    Invalid(String),
    /// The reader failed ([`read_snapshot_from`]).
    #[error("cannot read the snapshot")]
    Read(#[source] std::io::Error),
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub(crate) const MAGIC: [u8; 8] = [b'f', b'g', b'b', 3, b'f', b'g', b'b', 0];
pub(crate) const LAT: usize = 8;
pub(crate) const LON: usize = 9;

/// Provenance, as four columns after the 32 v1 ones: the position's ([`PositionOrigine`]) and
/// the address's when the import derived it ([`SourceAdresse`](crate::model::SourceAdresse)).
/// Snapshots written before they existed (e.g. an older embedded `data/*.fgb`) load with no
/// provenance.
pub(crate) const ORIGINE_COLUMNS: [&str; 4] = [
    "position_source",
    "position_precision",
    "position_score",
    "adresse_source",
];
pub(crate) const SOURCE: usize = 32;
pub(crate) const PRECISION: usize = 33;
pub(crate) const SCORE: usize = 34;
pub(crate) const ADRESSE_SOURCE: usize = 35;
/// Value slots read per feature, by column index (the `position_score` slot, a number, unused).
pub(crate) const TEXT_VALUES: usize = 36;

/// Every snapshot column name, by index.
pub(crate) fn column_name(i: usize) -> Option<&'static str> {
    V1_COLUMNS
        .get(i)
        .or_else(|| ORIGINE_COLUMNS.get(i.checked_sub(V1_COLUMNS.len())?))
        .copied()
}

pub(crate) fn column_index(name: &str) -> Option<usize> {
    (0..V1_COLUMNS.len() + ORIGINE_COLUMNS.len()).find(|&i| column_name(i) == Some(name))
}

pub(crate) fn column_type(i: usize) -> ColumnType {
    if i == LAT || i == LON || i == SCORE {
        ColumnType::Double
    } else {
        ColumnType::String
    }
}

pub(crate) fn bad(msg: impl Into<String>) -> SnapshotError {
    SnapshotError::Invalid(msg.into())
}
