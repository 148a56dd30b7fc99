//! Writing snapshots: place by place ([`SnapshotWriter`], atomic), whole lists
//! ([`write_snapshot`]), and the indexed download ([`encode_indexed`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use flatbuffers::FlatBufferBuilder;
use flatgeobuf::{
    Column, ColumnArgs, Crs, CrsArgs, Feature, FeatureArgs, Geometry, GeometryArgs, GeometryType,
    Header, HeaderArgs,
};

use crate::model::{Lieu, Position, V1_COLUMNS};

use super::{
    ADRESSE_SOURCE, LAT, LON, MAGIC, ORIGINE_COLUMNS, PRECISION, SCORE, SOURCE, SnapshotError, bad,
    column_type,
};

/// Appends one string property.
fn push_string(props: &mut Vec<u8>, i: usize, value: &str) {
    props.extend_from_slice(&(i as u16).to_le_bytes());
    props.extend_from_slice(&(value.len() as u32).to_le_bytes());
    props.extend_from_slice(value.as_bytes());
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
    if let Some(a) = lieu.adresse_origine {
        push_string(props, ADRESSE_SOURCE, a.as_str());
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
pub fn encode_indexed(lieux: &[Lieu]) -> Result<Vec<u8>, SnapshotError> {
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

/// Encodes `lieux` as a snapshot in memory: the bytes [`write_snapshot`] would write, every
/// place (with or without a position) and its provenance. `/v1/snapshot` serves them to
/// followers, which load them with [`super::read_snapshot`].
pub fn encode_snapshot(lieux: &[Lieu]) -> Result<Vec<u8>, SnapshotError> {
    let io = |e: std::io::Error| bad(format!("encoding the snapshot: {e}"));
    let mut envelope = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in lieux.iter().filter_map(|l| l.position) {
        extend_envelope(&mut envelope, p);
    }
    let mut out = Vec::with_capacity(lieux.len() * 600 + 4096);
    write_header(&mut out, lieux.len() as u64, envelope).map_err(io)?;
    let (mut fbb, mut props) = (FlatBufferBuilder::new(), Vec::with_capacity(4096));
    for l in lieux {
        write_feature(&mut out, l, &mut fbb, &mut props).map_err(io)?;
    }
    Ok(out)
}

/// Writes a snapshot atomically: `<path>.tmp` is written and fsynced, then renamed over `path`.
/// On failure the previous file at `path` is left untouched and the temp files removed.
pub fn write_snapshot(path: &Path, lieux: &[Lieu]) -> Result<(), SnapshotError> {
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
    pub fn create(path: &Path) -> Result<SnapshotWriter, SnapshotError> {
        let body_path = with_suffix(path, ".body.tmp");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&body_path)
            .map_err(|source| SnapshotError::Write {
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
    pub fn finish(mut self) -> Result<(), SnapshotError> {
        let path = self.path.clone();
        let err = |source| SnapshotError::Write {
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
