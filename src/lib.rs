//! `lieux`: nearest, open-now and in-area queries over France's lieux de médiation numérique.
//!
//! Module map:
//! - [`model`]: the schema v1.0.2 types ([`model::Lieu`], one Rust enum per enumerated field).
//! - [`hours`]: `horaires` (OSM opening_hours) parsed once, evaluated in the place's time zone.
//! - [`import`]: reading schema files (v1 CSV/JSON/GeoJSON, v0 JSON/CSV), validation and repair,
//!   the per-row report.
//! - [`snapshot`]: the FlatGeobuf snapshot `lieux import` writes and the server loads.
//! - [`geocode`]: BAN batch geocoding, the offline commune fallback, position provenance.
//! - [`geodesy`]: great-circle distances and unit-sphere points, shared by index, dedup, routing.
//! - [`index`]: the `rstar` R-trees; pure queries, no I/O.
//! - [`filter`]: the national map's filter vocabulary, parsed and evaluated.
//! - [`dataset`]: a loaded, indexed, versioned set of places: `nearest`, `within_bbox`,
//!   `within_radius`.
//! - [`nearest`]: bounded nearest answers: the query's territory, a default distance bound,
//!   alternatives with their next opening when nothing is open.
//! - [`dedup`]: groups of duplicate places (same place published twice) and their principal.
//! - [`routing`]: OSM road graph, travel-time search, isochrones.
//! - [`http`]: the `warp` API.

pub mod basemap;
pub mod cartographie;
pub mod commune_table;
pub mod config;
pub mod coverage;
pub mod dataset;
pub mod dedup;
pub mod error;
pub mod filter;
pub mod geocode;
pub mod geodesy;
pub mod glyphs;
pub mod gzip;
pub mod holidays;
pub mod hours;
pub mod http;
pub mod import;
pub mod index;
pub mod model;
pub mod nearest;
pub mod routing;
pub mod snapshot;
pub mod territory;
#[doc(hidden)]
pub mod testdata;
pub mod tiles;

pub use dataset::Dataset;
pub use error::{Error, Result};

/// The embedded default dataset: the official France Services list of 2022-12-01 (2 683 rows;
/// 2 657 places kept, 26 rejected for lacking commune, postcode and address), as a FlatGeobuf
/// snapshot written by `lieux import` (see `data/README.md`).
pub static DEFAULT_SNAPSHOT: &[u8] = include_bytes!("../data/france-services-20221201.fgb");
