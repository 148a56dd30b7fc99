//! Reading snapshots: straight over the bytes, or a file chunk by chunk, features decoded on
//! several threads.

use std::io::Read as _;
use std::str::FromStr;

use chrono::NaiveDate;
use flatgeobuf::ColumnType;

use crate::hours::Horaires;
use crate::model::{Lieu, Position, PositionOrigine, Text, ThinVec, V1_COLUMNS};

use super::{
    ADRESSE_SOURCE, LAT, LON, MAGIC, PRECISION, SCORE, SOURCE, SnapshotError, TEXT_VALUES, bad,
    column_index,
};

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

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a snapshot written by [`write_snapshot`](super::write_snapshot) (any FlatGeobuf file with the v1 columns
/// works; unknown columns are ignored). `horaires` are parsed again.
pub fn read_snapshot(bytes: &[u8]) -> Result<Vec<Lieu>, SnapshotError> {
    read_snapshot_each(bytes, &|_| (), &mut |()| {})
}

/// Computed from each decoded batch of places on the thread that decoded it, while they are in
/// the cache (the dataset's version input: issue 19), and handed over in order.
pub type PerBatch<'f, S> = &'f (dyn Fn(&[Lieu]) -> S + Sync);

/// [`read_snapshot`], with `batch` run on each decoded batch and `sink` given the results in
/// the places' order.
pub fn read_snapshot_each<S: Send>(
    bytes: &[u8],
    batch: PerBatch<'_, S>,
    sink: &mut dyn FnMut(S),
) -> Result<Vec<Lieu>, SnapshotError> {
    check_magic(bytes)?;
    let header_len = u32_at(bytes, 8).ok_or_else(|| bad("truncated header"))? as usize;
    let header_end = 12usize
        .checked_add(header_len)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| bad("truncated header"))?;
    let layout = Layout::of(&bytes[..header_end])?;
    let offset = header_end
        .checked_add(layout.index_size)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| bad("truncated index"))?;
    let bytes = &bytes[offset..];
    let (slices, used) = split_features(bytes, 0, layout.count.min(bytes.len() / 64))?;
    if used < bytes.len() {
        return Err(bad(format!("feature {}: truncated", slices.len())));
    }
    let mut lieux = Vec::with_capacity(slices.len());
    let each = Each { batch, sink };
    decode_parallel(&slices, 0, &layout.columns, &mut lieux, each)?;
    Ok(lieux)
}

/// Bytes read at a time by [`read_snapshot_from`].
const READ_CHUNK: usize = 8 << 20;

/// [`read_snapshot`] from a reader (a file), [`READ_CHUNK`] bytes at a time: the features of
/// each chunk are decoded while the file is read, and the file is never whole in memory (at
/// 1 M places, a 403 MB buffer that the allocator kept after the load, issue 19). `size` is
/// the reader's length if known (it bounds the capacity reserved from the header's count).
pub fn read_snapshot_from(
    reader: impl std::io::Read,
    size: Option<u64>,
) -> Result<Vec<Lieu>, SnapshotError> {
    read_snapshot_from_each(reader, size, &|_| (), &mut |()| {})
}

/// [`read_snapshot_from`], with `batch` and `sink` as in [`read_snapshot_each`].
pub fn read_snapshot_from_each<S: Send>(
    mut reader: impl std::io::Read,
    size: Option<u64>,
    batch: PerBatch<'_, S>,
    sink: &mut dyn FnMut(S),
) -> Result<Vec<Lieu>, SnapshotError> {
    let mut head = vec![0u8; 12];
    let n = read_full(&mut reader, &mut head)?;
    check_magic(&head[..n])?;
    let header_len = u32_at(&head, 8).ok_or_else(|| bad("truncated header"))? as usize;
    head.resize(12 + header_len, 0);
    if read_full(&mut reader, &mut head[12..])? < header_len {
        return Err(bad("truncated header"));
    }
    let layout = Layout::of(&head)?;
    let index = layout.index_size as u64;
    let skipped = std::io::copy(&mut reader.by_ref().take(index), &mut std::io::sink())
        .map_err(SnapshotError::Read)?;
    if skipped < index {
        return Err(bad("truncated index"));
    }
    let size = size.map_or(usize::MAX, |s| usize::try_from(s).unwrap_or(usize::MAX));
    let mut lieux = Vec::with_capacity(layout.count.min(size / 64));
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let start = pending.len();
        pending.resize(start + READ_CHUNK, 0);
        let n = read_full(&mut reader, &mut pending[start..])?;
        pending.truncate(start + n);
        let first = lieux.len();
        let (slices, used) = split_features(&pending, first, READ_CHUNK / 64)?;
        let each = Each {
            batch,
            sink: &mut *sink,
        };
        decode_parallel(&slices, first, &layout.columns, &mut lieux, each)?;
        pending.drain(..used);
        if n == 0 {
            if !pending.is_empty() {
                return Err(bad(format!("feature {}: truncated", lieux.len())));
            }
            return Ok(lieux);
        }
    }
}

/// The FlatGeobuf magic bytes (any minor version) and room for the header length.
fn check_magic(bytes: &[u8]) -> Result<(), SnapshotError> {
    if bytes.len() < 12 || bytes[0..3] != MAGIC[0..3] || bytes[4..7] != MAGIC[4..7] {
        return Err(bad("not a FlatGeobuf file (bad magic bytes)"));
    }
    Ok(())
}

/// Reads until `buf` is full or the end of the input; the bytes read.
fn read_full(reader: &mut impl std::io::Read, buf: &mut [u8]) -> Result<usize, SnapshotError> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SnapshotError::Read(e)),
        }
    }
    Ok(n)
}

/// What the header says: the columns, the feature count and the size of the index before the
/// features.
struct Layout {
    /// For each file column: its type and its index in V1_COLUMNS (if any).
    columns: Vec<(ColumnType, Option<usize>)>,
    count: usize,
    index_size: usize,
}

impl Layout {
    /// From the file's first bytes: magic, header length, header.
    fn of(bytes: &[u8]) -> Result<Layout, SnapshotError> {
        check_magic(bytes)?;
        let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..])
            .map_err(|e| bad(format!("header: {e}")))?;
        let columns = header
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
        Ok(Layout {
            columns,
            count,
            index_size,
        })
    }
}

/// The complete features at the start of `bytes` (each with its length prefix), and the bytes
/// they take; `first` is the index of the first one (for messages), `capacity` a guess of their
/// number. A feature whose length points past the end is left for more bytes.
fn split_features(
    bytes: &[u8],
    first: usize,
    capacity: usize,
) -> Result<(Vec<&[u8]>, usize), SnapshotError> {
    let mut slices = Vec::with_capacity(capacity);
    let mut offset = 0;
    while let Some(len) = u32_at(bytes, offset) {
        let Some(end) = offset
            .checked_add(4)
            .and_then(|o| o.checked_add(len as usize))
        else {
            return Err(bad(format!("feature {}: truncated", first + slices.len())));
        };
        if end > bytes.len() {
            break;
        }
        slices.push(&bytes[offset..end]);
        offset = end;
    }
    Ok((slices, offset))
}

/// What to compute from each decoded batch, and where to hand it ([`read_snapshot_each`]).
struct Each<'f, 's, S> {
    batch: PerBatch<'f, S>,
    sink: &'s mut dyn FnMut(S),
}

/// Decodes `slices` on several threads and appends the places to `lieux`, in order; `first`
/// is the index of the first (for messages). Most of the time is parsing `horaires` and
/// allocating the strings.
fn decode_parallel<S: Send>(
    slices: &[&[u8]],
    first: usize,
    columns: &[(ColumnType, Option<usize>)],
    lieux: &mut Vec<Lieu>,
    each: Each<'_, '_, S>,
) -> Result<(), SnapshotError> {
    let Each { batch, sink } = each;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let threads = if slices.len() < 2000 { 1 } else { threads };
    // Batch `j` is decoded by thread `j % threads` and appended here in order; the channels
    // hold two batches each, so the places are built once, in their final vector, instead of
    // in per-thread vectors copied at the end (1 M places: ~750 MB less at the peak).
    let batches: Vec<&[&[u8]]> = slices.chunks(BATCH).collect();
    let batches = &batches;
    std::thread::scope(|scope| {
        let (receivers, handles): (Vec<_>, Vec<_>) = (0..threads)
            .map(|t| {
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                let handle = scope.spawn(move || {
                    // identical `horaires` strings are parsed once per thread
                    let mut hours_cache = HoursCache::default();
                    for j in (t..batches.len()).step_by(threads) {
                        let decoded = decode_features(
                            batches[j],
                            first + j * BATCH,
                            columns,
                            &mut hours_cache,
                        )
                        .map(|places| {
                            let computed = batch(&places);
                            (places, computed)
                        });
                        let failed = decoded.is_err();
                        if tx.send(decoded).is_err() || failed {
                            return;
                        }
                    }
                });
                (rx, handle)
            })
            .unzip();
        let appended = (0..batches.len()).try_for_each(|j| {
            let decoded = receivers[j % threads]
                .recv()
                .map_err(|_| bad("snapshot decoder thread panicked"))?;
            let (places, computed) = decoded?;
            lieux.extend(places);
            sink(computed);
            Ok(())
        });
        // dropped receivers stop the decoders early when a batch failed
        drop(receivers);
        let joined = handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| bad("snapshot decoder thread panicked"))
        });
        appended.and(joined)
    })
}

/// Parsed `horaires` by raw bytes, per decoding thread (foldhash: SipHash showed in profiles).
type HoursCache<'a> =
    std::collections::HashMap<&'a [u8], Option<Horaires>, foldhash::fast::RandomState>;

/// Features per batch handed from a decoding thread to the reader.
const BATCH: usize = 2048;

/// Decodes consecutive features; `first` is the index of the first one (for messages).
fn decode_features<'a>(
    slices: &[&'a [u8]],
    first: usize,
    columns: &[(ColumnType, Option<usize>)],
    hours_cache: &mut HoursCache<'a>,
) -> Result<Vec<Lieu>, SnapshotError> {
    let mut lieux = Vec::with_capacity(slices.len());
    // Identical `horaires` strings are common (networks publish the same hours everywhere);
    // `Horaires` clones share the parsed expression.
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
        lieu.adresse_origine = values[ADRESSE_SOURCE].parse().ok();
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

fn opt(s: &str) -> Option<Text> {
    (!s.is_empty()).then(|| Text::from(s))
}

fn list(s: &str) -> ThinVec<Text> {
    s.split('|')
        .filter(|x| !x.is_empty())
        .map(Text::from)
        .collect()
}

fn enums<T: FromStr, C: FromIterator<T>>(s: &str) -> Result<C, String>
where
    T::Err: std::fmt::Display,
{
    s.split('|')
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<T>().map_err(|e| e.to_string()))
        .collect()
}

fn required(values: &[&str; TEXT_VALUES], i: usize) -> Result<Text, String> {
    let v = values[i];
    if v.is_empty() {
        Err(format!("missing {}", V1_COLUMNS[i]))
    } else {
        Ok(Text::from(v))
    }
}

/// `date_maj` as written (`YYYY-MM-DD`): the digits are read directly (chrono's format parser
/// costs more than the rest of the row), anything else goes to chrono, which gives the error.
fn date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
        && let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d)
    {
        return Ok(date);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("date_maj {s:?}: {e}"))
}

/// A place from its columns as written by [`write_snapshot`](super::write_snapshot); values were validated at import, so any
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
        adresse_origine: None,
        commune_devinee: false,
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
        date_maj: date(v[20])?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn dates_read_as_chrono_reads_them() {
        let chrono = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let mut day = NaiveDate::from_ymd_opt(1999, 12, 25).expect("a date");
        while day.year_ce().1 < 2031 {
            let s = day.format("%Y-%m-%d").to_string();
            assert_eq!(date(&s).ok(), Some(day));
            day = day.succ_opt().expect("next day");
        }
        for s in [
            "2024-02-30",
            "2023-02-29",
            "2024-02-29",
            "2024-1-5",
            "2024-01-5",
            "0000-01-01",
            "9999-12-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "abcd-01-01",
            "+2024-01-01",
            "2024-01-05 ",
            " 2024-01-05",
            "2024/01/05",
            "20240105",
            "",
            "2024-01-٣٣",
        ] {
            assert_eq!(date(s).ok(), chrono(s), "{s:?}");
        }
    }
}
