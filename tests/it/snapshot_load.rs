//! Loading a snapshot gives the dataset [`Dataset::new`] builds from the same places (#19: the
//! start-up path skips the sort of a snapshot already in id order, builds its parts on several
//! threads, decodes in batches and hashes the columns without building strings). Oracles:
//! `Dataset::new` on the places in memory, a map of ids for `slot_of`.

use std::collections::HashMap;

use lieux::Dataset;
use lieux::filter::Filter;
use lieux::index::Bbox;
use lieux::model::{Lieu, Position};
use lieux::snapshot::encode_snapshot;

/// Real places (the embedded France Services), twins of some of them under other ids (so that
/// there are groups of duplicates) and generated ones, in an order that is not the id order.
fn places() -> Vec<Lieu> {
    let mut v = Dataset::embedded()
        .expect("embedded snapshot loads")
        .lieux()
        .to_vec();
    let twins: Vec<Lieu> = v
        .iter()
        .step_by(53)
        .map(|l| Lieu {
            id: format!("{}-bis", l.id).into(),
            ..l.clone()
        })
        .collect();
    v.extend(twins);
    v.extend(lieux::testdata::synthetic_lieux(20_000, 7));
    v.sort_by_key(|l| l.id.bytes().rev().collect::<Vec<u8>>());
    assert!(!v.is_sorted_by(|a, b| a.id < b.id));
    v
}

fn load(lieux: &[Lieu]) -> Dataset {
    Dataset::from_snapshot(&encode_snapshot(lieux).expect("encodes")).expect("loads")
}

fn assert_same(loaded: &Dataset, built: &Dataset) {
    let ids = |d: &Dataset| d.lieux().iter().map(|l| l.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(loaded), ids(built), "same places in the same slots");
    assert_eq!(loaded.version(), built.version());
    assert_eq!(loaded.positioned(), built.positioned());
    assert!(!built.groups().is_empty(), "the twins make groups");
    assert_eq!(loaded.groups().len(), built.groups().len());
    let by_id: HashMap<&str, u32> = built
        .lieux()
        .iter()
        .enumerate()
        .map(|(i, l)| (l.id.as_str(), i as u32))
        .collect();
    for slot in 0..built.lieux().len() as u32 {
        assert_eq!(loaded.group_of(slot), built.group_of(slot), "slot {slot}");
        assert_eq!(
            loaded.groups().members_of(slot),
            built.groups().members_of(slot)
        );
        let id = &built.lieu(slot).id;
        assert_eq!(loaded.slot_of(id), by_id.get(id.as_str()).copied());
        assert_eq!(loaded.slot_of(&format!("{id}~")), None);
    }
    assert_eq!(loaded.slot_of(""), None);
    let filter = Filter::default();
    for i in 0..200 {
        let at = Position {
            lon: -4.5 + 13.5 * (i as f64 * 0.618).fract(),
            lat: 42.0 + 8.5 * (i as f64 * 0.377).fract(),
        };
        let a = loaded.nearest(at, 10, None, &filter);
        assert_eq!(a, built.nearest(at, 10, None, &filter), "nearest to {at:?}");
        assert_eq!(a.len(), 10);
        let bbox = Bbox {
            min_lon: at.lon - 0.3,
            min_lat: at.lat - 0.3,
            max_lon: at.lon + 0.3,
            max_lat: at.lat + 0.3,
        };
        assert_eq!(
            loaded.within_bbox(&bbox, &filter),
            built.within_bbox(&bbox, &filter)
        );
    }
}

#[test]
fn a_loaded_snapshot_is_the_dataset_built_from_its_places() {
    let places = places();
    let built = Dataset::new(places.clone());
    // written in producer order: the loader sorts
    assert_same(&load(&places), &built);
    // written from a dataset, in id order: the loader checks the order and skips the sort
    assert_same(&load(built.lieux()), &built);
}

#[test]
fn a_snapshot_with_a_repeated_id_keeps_the_first_like_dataset_new() {
    let mut places = places();
    let mut again = places[10].clone();
    again.nom = format!("{} (again)", again.nom).into();
    places.push(again);
    assert_same(&load(&places), &Dataset::new(places));
}

/// A snapshot file is read in chunks (#19: never whole in memory): features cut by a chunk
/// boundary, the places, their order and every column (the version hashes them all) are those
/// of the whole-bytes reader; a truncated file or a wrong one fails alike in both.
#[test]
fn a_snapshot_file_read_in_chunks_is_the_snapshot_read_whole() {
    let mut places = places();
    // over 8 MB (the chunk): several chunks, features cut at their ends
    places.extend(
        lieux::testdata::synthetic_lieux(40_000, 11)
            .into_iter()
            .map(|mut l| {
                l.id = format!("q{}", l.id).into();
                l
            }),
    );
    let bytes = encode_snapshot(&places).expect("encodes");
    assert!(bytes.len() > 2 * (8 << 20), "{} bytes", bytes.len());
    let dir = std::env::temp_dir().join(format!("lieux-chunked-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("s.fgb");
    std::fs::write(&path, &bytes).expect("writes");
    let whole = Dataset::from_snapshot(&bytes).expect("loads");
    let chunked = Dataset::from_snapshot_file(&path).expect("loads");
    assert_same(&chunked, &whole);
    let columns = |d: &Dataset| {
        d.lieux()
            .iter()
            .map(|l| {
                lieux::model::V1_COLUMNS
                    .iter()
                    .map(|c| l.column(c).unwrap_or_default())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    assert!(columns(&chunked) == columns(&whole), "every column");

    for (cut, what) in [(bytes.len() - 3, "truncated"), (5, "bad magic")] {
        std::fs::write(&path, &bytes[..cut]).expect("writes");
        let whole = lieux::snapshot::read_snapshot(&bytes[..cut]).map(|v| v.len());
        let file = std::fs::File::open(&path).expect("opens");
        let chunked = lieux::snapshot::read_snapshot_from(file, None).map(|v| v.len());
        let (Err(a), Err(b)) = (whole, chunked) else {
            panic!("a {what} file loads");
        };
        assert_eq!(a.to_string(), b.to_string());
        assert!(a.to_string().contains(what), "{a}");
    }
    assert!(matches!(
        Dataset::from_snapshot_file(&dir.join("missing.fgb")),
        Err(lieux::Error::Io(..))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
