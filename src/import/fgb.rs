//! The snapshot: a FlatGeobuf file of Points with the 32 v1 columns as properties, so GDAL
//! (`ogrinfo`, QGIS) reads it as is.
//!
//! Layout choices:
//! - Written with the flatbuffers builders of the `flatgeobuf` crate's generated types, not its
//!   `FgbWriter`, because `FgbWriter` always writes a geometry: a place without coordinates is
//!   a feature with **no geometry** (null), as GDAL writes and reads it.
//! - No spatial index (`index_node_size = 0`): the server builds its own R-tree, and features
//!   stay in import order, so a read gives back the list that was written.
//! - Lists are `|`-joined strings (the v1 CSV form, [`Lieu::column`]); `latitude`/`longitude`
//!   are also `Double` columns for attribute-only consumers. Empty values are not written
//!   (null).
//! - After the 32 v1 columns, the position's provenance: `position_source`,
//!   `position_precision` (strings) and `position_score` (double), see [`PositionOrigine`].
//! - Reading goes straight over the bytes (each feature verified by flatbuffers, property bytes
//!   bounds-checked), without geozero's per-property dispatch: it is the server's start-up path.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use flatbuffers::FlatBufferBuilder;
use flatgeobuf::{
    Column, ColumnArgs, ColumnType, Crs, CrsArgs, Feature, FeatureArgs, Geometry, GeometryArgs,
    GeometryType, Header, HeaderArgs,
};

use crate::hours::Horaires;
use crate::model::PositionOrigine;
use crate::model::{Lieu, Position, V1_COLUMNS};

use super::ImportError;

const MAGIC: [u8; 8] = [b'f', b'g', b'b', 3, b'f', b'g', b'b', 0];
const LAT: usize = 8;
const LON: usize = 9;

/// Position provenance ([`PositionOrigine`]), as three columns after the 32 v1 ones. Snapshots
/// written before they existed (e.g. an older embedded `data/*.fgb`) load with no provenance.
const ORIGINE_COLUMNS: [&str; 3] = ["position_source", "position_precision", "position_score"];
const SOURCE: usize = 32;
const PRECISION: usize = 33;
const SCORE: usize = 34;
/// Text values read per feature: the 32 v1 columns, then `position_source`, `position_precision`.
const TEXT_VALUES: usize = 34;

/// Every snapshot column name, by index.
fn column_name(i: usize) -> Option<&'static str> {
    V1_COLUMNS
        .get(i)
        .or_else(|| ORIGINE_COLUMNS.get(i.checked_sub(V1_COLUMNS.len())?))
        .copied()
}

fn column_index(name: &str) -> Option<usize> {
    (0..V1_COLUMNS.len() + ORIGINE_COLUMNS.len()).find(|&i| column_name(i) == Some(name))
}

/// The provenance of a feature's position, when its columns hold known words.
fn origine_from_values(
    source: &str,
    precision: &str,
    score: Option<f64>,
) -> Option<PositionOrigine> {
    Some(PositionOrigine {
        source: source.parse().ok()?,
        precision: precision.parse().ok()?,
        score,
    })
}

/// Appends one string property.
fn push_string(props: &mut Vec<u8>, i: usize, value: &str) {
    props.extend_from_slice(&(i as u16).to_le_bytes());
    props.extend_from_slice(&(value.len() as u32).to_le_bytes());
    props.extend_from_slice(value.as_bytes());
}

fn column_type(i: usize) -> ColumnType {
    if i == LAT || i == LON || i == SCORE {
        ColumnType::Double
    } else {
        ColumnType::String
    }
}

/// Writes the magic bytes and the header of a snapshot of `count` places whose positions span
/// `envelope` (`[min_lon, min_lat, max_lon, max_lat]`, infinite when none has a position).
fn write_header(out: &mut impl Write, count: u64, envelope: [f64; 4]) -> std::io::Result<()> {
    out.write_all(&MAGIC)?;
    let mut fbb = FlatBufferBuilder::new();
    let columns: Vec<_> = V1_COLUMNS
        .iter()
        .chain(ORIGINE_COLUMNS.iter())
        .enumerate()
        .map(|(i, name)| {
            let args = ColumnArgs {
                name: Some(fbb.create_string(name)),
                type_: column_type(i),
                nullable: true,
                unique: i == 0,
                primary_key: i == 0,
                ..Default::default()
            };
            Column::create(&mut fbb, &args)
        })
        .collect();
    let columns = fbb.create_vector(&columns);
    let envelope = envelope[0]
        .is_finite()
        .then(|| fbb.create_vector(&envelope));
    let crs_args = CrsArgs {
        org: Some(fbb.create_string("EPSG")),
        code: 4326,
        ..Default::default()
    };
    let crs = Crs::create(&mut fbb, &crs_args);
    let header_args = HeaderArgs {
        name: Some(fbb.create_string("lieux")),
        title: Some(fbb.create_string("Lieux de médiation numérique (schéma v1.0.2)")),
        envelope,
        geometry_type: GeometryType::Point,
        columns: Some(columns),
        features_count: count,
        index_node_size: 0,
        crs: Some(crs),
        ..Default::default()
    };
    let header = Header::create(&mut fbb, &header_args);
    fbb.finish_size_prefixed(header, None);
    out.write_all(fbb.finished_data())
}

/// Writes one place as a size-prefixed feature; `fbb` and `props` are reused buffers.
fn write_feature(
    out: &mut impl Write,
    lieu: &Lieu,
    fbb: &mut FlatBufferBuilder<'static>,
    props: &mut Vec<u8>,
) -> std::io::Result<()> {
    fbb.reset();
    props.clear();
    for (i, name) in V1_COLUMNS.iter().enumerate() {
        if i == LAT || i == LON {
            if let Some(p) = lieu.position {
                props.extend_from_slice(&(i as u16).to_le_bytes());
                let v = if i == LAT { p.lat } else { p.lon };
                props.extend_from_slice(&v.to_le_bytes());
            }
            continue;
        }
        let value = lieu.column(name).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        push_string(props, i, &value);
    }
    if let Some(o) = lieu.position_origine {
        push_string(props, SOURCE, o.source.as_str());
        push_string(props, PRECISION, o.precision.as_str());
        if let Some(score) = o.score {
            props.extend_from_slice(&(SCORE as u16).to_le_bytes());
            props.extend_from_slice(&score.to_le_bytes());
        }
    }
    let geometry = lieu.position.map(|p| {
        let xy = fbb.create_vector(&[p.lon, p.lat]);
        Geometry::create(
            fbb,
            &GeometryArgs {
                xy: Some(xy),
                ..Default::default()
            },
        )
    });
    let properties = Some(fbb.create_vector(props));
    let feature = Feature::create(
        fbb,
        &FeatureArgs {
            geometry,
            properties,
            ..Default::default()
        },
    );
    fbb.finish_size_prefixed(feature, None);
    out.write_all(fbb.finished_data())
}

/// The bounding box of `envelope` extended with `p`.
fn extend_envelope(envelope: &mut [f64; 4], p: Position) {
    *envelope = [
        envelope[0].min(p.lon),
        envelope[1].min(p.lat),
        envelope[2].max(p.lon),
        envelope[3].max(p.lat),
    ];
}

/// A point for the `FgbWriter` (geozero's geometry processing).
struct Xy(f64, f64);

impl geozero::GeozeroGeometry for Xy {
    fn process_geom<P: geozero::GeomProcessor>(&self, p: &mut P) -> geozero::error::Result<()> {
        p.point_begin(0)?;
        p.xy(self.0, self.1, 0)?;
        p.point_end(0)
    }
}

/// Encodes the places **with a position** as a FlatGeobuf file with its packed Hilbert R-tree
/// (features in Hilbert order), for HTTP range readers (`/v1/lieux.fgb`, GDAL `/vsicurl/`).
/// The snapshot's 32 v1 columns and values (not its provenance columns: the download is the
/// schema's). Places without a position are left out: a
/// FlatGeobuf spatial index cannot hold a feature without a bounding box.
pub fn encode_indexed(lieux: &[Lieu]) -> Result<Vec<u8>, ImportError> {
    let err = |e: flatgeobuf::Error| bad(format!("writing FlatGeobuf: {e}"));
    let options = flatgeobuf::FgbWriterOptions {
        write_index: true,
        crs: flatgeobuf::FgbCrs {
            org: Some("EPSG"),
            code: 4326,
            ..Default::default()
        },
        title: Some("Lieux de médiation numérique (schéma v1.0.2)"),
        ..Default::default()
    };
    let mut fgb = flatgeobuf::FgbWriter::create_with_options("lieux", GeometryType::Point, options)
        .map_err(err)?;
    for (i, name) in V1_COLUMNS.iter().enumerate() {
        fgb.add_column(name, column_type(i), |_, col| {
            col.nullable = true;
            col.unique = i == 0;
            col.primary_key = i == 0;
        });
    }
    for lieu in lieux {
        let Some(p) = lieu.position else { continue };
        fgb.add_feature_geom(Xy(p.lon, p.lat), |feature| {
            use geozero::{ColumnValue, PropertyProcessor};
            for (i, name) in V1_COLUMNS.iter().enumerate() {
                // Writing into the feature buffer cannot fail for these value types.
                let _ = if i == LAT {
                    feature.property(i, name, &ColumnValue::Double(p.lat))
                } else if i == LON {
                    feature.property(i, name, &ColumnValue::Double(p.lon))
                } else {
                    let value = lieu.column(name).unwrap_or_default();
                    if value.is_empty() {
                        continue;
                    }
                    feature.property(i, name, &ColumnValue::String(&value))
                };
            }
        })
        .map_err(|e| bad(format!("writing FlatGeobuf: {e}")))?;
    }
    let mut out = Vec::with_capacity(lieux.len() * 700 + 4096);
    fgb.write(&mut out).map_err(err)?;
    Ok(out)
}

/// Writes a snapshot atomically: `<path>.tmp` is written and fsynced, then renamed over `path`.
/// On failure the previous file at `path` is left untouched and the temp files removed.
pub fn write_snapshot(path: &Path, lieux: &[Lieu]) -> Result<(), ImportError> {
    let mut w = SnapshotWriter::create(path)?;
    for l in lieux {
        w.push(l);
    }
    w.finish()
}

/// A snapshot written place by place (`lieux import` of a 1 M-row file never holds the places
/// in memory): features go to `<path>.body.tmp` as they come; [`SnapshotWriter::finish`] then
/// writes the header (count and envelope are known only at the end) and the features to
/// `<path>.tmp`, fsyncs it and renames it over `path`. Dropped unfinished, the temp files are
/// removed and `path` is untouched. Places arrive through [`Extend`] (which cannot fail): a
/// write error is kept and returned by `finish`.
pub struct SnapshotWriter {
    path: PathBuf,
    body_path: PathBuf,
    body: Option<std::io::BufWriter<std::fs::File>>,
    count: u64,
    envelope: [f64; 4],
    fbb: FlatBufferBuilder<'static>,
    props: Vec<u8>,
    error: Option<std::io::Error>,
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl SnapshotWriter {
    pub fn create(path: &Path) -> Result<SnapshotWriter, ImportError> {
        let body_path = with_suffix(path, ".body.tmp");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&body_path)
            .map_err(|source| ImportError::Write {
                path: path.to_owned(),
                source,
            })?;
        Ok(SnapshotWriter {
            path: path.to_owned(),
            body_path,
            body: Some(std::io::BufWriter::with_capacity(1 << 20, file)),
            count: 0,
            envelope: [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            fbb: FlatBufferBuilder::new(),
            props: Vec::with_capacity(4096),
            error: None,
        })
    }

    /// Places written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Appends one place.
    pub fn push(&mut self, lieu: &Lieu) {
        let Some(body) = self.body.as_mut().filter(|_| self.error.is_none()) else {
            return;
        };
        match write_feature(body, lieu, &mut self.fbb, &mut self.props) {
            Ok(()) => {
                self.count += 1;
                if let Some(p) = lieu.position {
                    extend_envelope(&mut self.envelope, p);
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Header + features into `<path>.tmp`, fsync, rename over `path`.
    pub fn finish(mut self) -> Result<(), ImportError> {
        let path = self.path.clone();
        let err = |source| ImportError::Write {
            path: path.clone(),
            source,
        };
        if let Some(e) = self.error.take() {
            return Err(err(e));
        }
        let tmp = with_suffix(&self.path, ".tmp");
        let result = (|| {
            let body = self
                .body
                .take()
                .ok_or_else(|| std::io::Error::other("snapshot already finished"))?;
            let mut body = body
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            use std::io::Seek;
            body.seek(std::io::SeekFrom::Start(0))?;
            let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
            write_header(&mut file, self.count, self.envelope)?;
            std::io::copy(&mut body, &mut file)?;
            let file = file
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &self.path)
        })();
        let _ = std::fs::remove_file(&self.body_path);
        if let Err(e) = result {
            // Best effort: the temp file may not even exist (e.g. missing directory).
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        // Make the rename durable; not every platform can open a directory, so best effort.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Extend<Lieu> for SnapshotWriter {
    fn extend<I: IntoIterator<Item = Lieu>>(&mut self, lieux: I) {
        for l in lieux {
            self.push(&l);
        }
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if self.body.take().is_some() {
            let _ = std::fs::remove_file(&self.body_path);
        }
    }
}

fn bad(msg: impl Into<String>) -> ImportError {
    ImportError::Snapshot(msg.into())
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a snapshot written by [`write_snapshot`] (any FlatGeobuf file with the v1 columns
/// works; unknown columns are ignored). `horaires` are parsed again.
pub fn read_snapshot(bytes: &[u8]) -> Result<Vec<Lieu>, ImportError> {
    if bytes.len() < 12 || bytes[0..3] != MAGIC[0..3] || bytes[4..7] != MAGIC[4..7] {
        return Err(bad("not a FlatGeobuf file (bad magic bytes)"));
    }
    let header_len = u32_at(bytes, 8).ok_or_else(|| bad("truncated header"))? as usize;
    let header_end = 12usize
        .checked_add(header_len)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| bad("truncated header"))?;
    let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..header_end])
        .map_err(|e| bad(format!("header: {e}")))?;

    // For each file column: its type and its index in V1_COLUMNS (if any).
    let columns: Vec<(ColumnType, Option<usize>)> = header
        .columns()
        .map(|cols| {
            cols.iter()
                .map(|c| (c.type_(), column_index(c.name())))
                .collect()
        })
        .unwrap_or_default();
    let count = header.features_count() as usize;
    let index_size = if header.index_node_size() > 0 && count > 0 {
        flatgeobuf::packed_r_tree::PackedRTree::index_size(count, header.index_node_size())
    } else {
        0
    };
    let mut offset = header_end
        .checked_add(index_size)
        .ok_or_else(|| bad("truncated index"))?;

    // Split into feature slices first (cheap, sequential), then decode in parallel: most of the
    // load time is parsing `horaires` (~25 µs each with the opening-hours grammar).
    let mut slices = Vec::with_capacity(count.min(bytes.len() / 64));
    while offset < bytes.len() {
        let n = slices.len();
        let len = u32_at(bytes, offset).ok_or_else(|| bad(format!("feature {n}: truncated")))?;
        let end = offset
            .checked_add(4 + len as usize)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| bad(format!("feature {n}: truncated")))?;
        slices.push(&bytes[offset..end]);
        offset = end;
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let threads = if slices.len() < 2000 { 1 } else { threads };
    let chunk = slices.len().div_ceil(threads).max(1);
    let columns = &columns;
    let results: Vec<Result<Vec<Lieu>, ImportError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = slices
            .chunks(chunk)
            .enumerate()
            .map(|(k, part)| scope.spawn(move || decode_features(part, k * chunk, columns)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(bad("snapshot decoder thread panicked")))
            })
            .collect()
    });
    let mut lieux = Vec::with_capacity(slices.len());
    for r in results {
        lieux.extend(r?);
    }
    Ok(lieux)
}

/// Decodes consecutive features; `first` is the index of the first one (for messages).
fn decode_features(
    slices: &[&[u8]],
    first: usize,
    columns: &[(ColumnType, Option<usize>)],
) -> Result<Vec<Lieu>, ImportError> {
    let mut lieux = Vec::with_capacity(slices.len());
    // Identical `horaires` strings are common (networks publish the same hours everywhere);
    // `Horaires` clones share the parsed expression.
    let mut hours_cache: HashMap<&[u8], Option<Horaires>> = HashMap::new();
    let mut values: [&str; TEXT_VALUES] = [""; TEXT_VALUES];
    for (k, slice) in slices.iter().enumerate() {
        let n = first + k;
        let feature = flatgeobuf::size_prefixed_root_as_feature(slice)
            .map_err(|e| bad(format!("feature {n}: {e}")))?;
        values.fill("");
        let (mut lat, mut lon, mut score) = (None, None, None);
        if let Some(props) = feature.properties() {
            read_properties(
                props.bytes(),
                columns,
                &mut values,
                [&mut lat, &mut lon, &mut score],
            )
            .map_err(|e| bad(format!("feature {n}: {e}")))?;
        }
        let from_geometry = feature
            .geometry()
            .and_then(|g| g.xy())
            .filter(|xy| xy.len() >= 2)
            .map(|xy| (xy.get(0), xy.get(1)));
        let position = match (from_geometry, lon, lat) {
            (Some((x, y)), _, _) | (None, Some(x), Some(y)) => Position::new_checked(x, y),
            _ => None,
        };
        let raw_hours = values[14];
        let horaires = if raw_hours.is_empty() {
            None
        } else {
            hours_cache
                .entry(raw_hours.as_bytes())
                .or_insert_with(|| match Horaires::from_str(raw_hours) {
                    Ok(h) => Some(h),
                    Err(e) => {
                        tracing::warn!(horaires = raw_hours, "snapshot horaires dropped: {e}");
                        None
                    }
                })
                .clone()
        };
        let mut lieu = lieu_from_values(&values, position, horaires)
            .map_err(|e| bad(format!("feature {n}: {e}")))?;
        lieu.position_origine = origine_from_values(values[SOURCE], values[PRECISION], score);
        lieux.push(lieu);
    }
    Ok(lieux)
}

fn read_properties<'a>(
    bytes: &'a [u8],
    columns: &[(ColumnType, Option<usize>)],
    values: &mut [&'a str; TEXT_VALUES],
    [lat, lon, score]: [&mut Option<f64>; 3],
) -> Result<(), String> {
    let mut at = 0;
    let take = |at: &mut usize, n: usize| -> Result<&'a [u8], String> {
        let s = bytes
            .get(*at..*at + n)
            .ok_or_else(|| "truncated properties".to_owned())?;
        *at += n;
        Ok(s)
    };
    while at + 1 < bytes.len() {
        let b = take(&mut at, 2)?;
        let col = u16::from_le_bytes([b[0], b[1]]) as usize;
        let &(ty, v1) = columns
            .get(col)
            .ok_or_else(|| format!("property of undeclared column {col}"))?;
        match ty {
            ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
                let b = take(&mut at, 4)?;
                let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                let s = take(&mut at, len)?;
                if let (Some(i), ColumnType::String) = (v1, ty)
                    && let Some(slot) = values.get_mut(i)
                {
                    *slot = std::str::from_utf8(s).map_err(|e| e.to_string())?;
                }
            }
            ColumnType::Double => {
                let b = take(&mut at, 8)?;
                let v = f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                match v1 {
                    Some(LAT) => *lat = Some(v),
                    Some(LON) => *lon = Some(v),
                    Some(SCORE) => *score = Some(v),
                    _ => {}
                }
            }
            ColumnType::Long | ColumnType::ULong => {
                take(&mut at, 8)?;
            }
            ColumnType::Int | ColumnType::UInt | ColumnType::Float => {
                take(&mut at, 4)?;
            }
            ColumnType::Short | ColumnType::UShort => {
                take(&mut at, 2)?;
            }
            _ => {
                take(&mut at, 1)?;
            }
        }
    }
    Ok(())
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn list(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn enums<T: FromStr>(s: &str) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    s.split('|')
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<T>().map_err(|e| e.to_string()))
        .collect()
}

fn required(values: &[&str; TEXT_VALUES], i: usize) -> Result<String, String> {
    let v = values[i];
    if v.is_empty() {
        Err(format!("missing {}", V1_COLUMNS[i]))
    } else {
        Ok(v.to_owned())
    }
}

/// A place from its columns as written by [`encode`]; values were validated at import, so any
/// mismatch is a corrupt snapshot — except `horaires` (parsed by the caller), whose grammar may
/// change with the opening-hours crate: an unparsable value is dropped with a warning rather than
/// refusing the whole snapshot.
fn lieu_from_values(
    v: &[&str; TEXT_VALUES],
    position: Option<Position>,
    horaires: Option<Horaires>,
) -> Result<Lieu, String> {
    Ok(Lieu {
        id: required(v, 0)?,
        pivot: required(v, 1)?,
        nom: required(v, 2)?,
        commune: required(v, 3)?,
        code_postal: required(v, 4)?,
        code_insee: opt(v[5]),
        adresse: required(v, 6)?,
        complement_adresse: opt(v[7]),
        position,
        position_origine: None,
        typologie: enums(v[10])?,
        telephone: opt(v[11]),
        courriels: list(v[12]),
        site_web: list(v[13]),
        horaires,
        presentation_resume: opt(v[15]),
        presentation_detail: opt(v[16]),
        source: opt(v[17]),
        itinerance: enums(v[18])?,
        structure_parente: opt(v[19]),
        date_maj: NaiveDate::parse_from_str(v[20], "%Y-%m-%d")
            .map_err(|e| format!("date_maj {:?}: {e}", v[20]))?,
        services: enums(v[21])?,
        publics_specifiquement_adresses: enums(v[22])?,
        prise_en_charge_specifique: enums(v[23])?,
        frais_a_charge: enums(v[24])?,
        dispositif_programmes_nationaux: enums(v[25])?,
        formations_labels: enums(v[26])?,
        autres_formations_labels: list(v[27]),
        modalites_acces: enums(v[28])?,
        modalites_accompagnement: enums(v[29])?,
        fiche_acces_libre: opt(v[30]),
        prise_rdv: opt(v[31]),
    })
}
