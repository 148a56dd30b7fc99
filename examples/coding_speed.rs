//! Speed of the streamed-body codings, to choose their levels (issue 19): compresses a file
//! (a GeoJSON answer of `lieux serve`) in 64 KiB chunks with a flush after each, as
//! `src/http/stream.rs` does, and prints MB of JSON in per second of the thread's CPU time (so a
//! loaded machine disturbs it little) and the ratio per level.
//!
//! `cargo run --release --example coding_speed -- BODY.json [REPEAT]`

use std::io::Write;

#[path = "common/mod.rs"]
mod common;
use common::thread_cpu_s;

const CHUNK: usize = 64 * 1024;

fn time(name: &str, data: &[u8], mut run: impl FnMut(&[u8]) -> usize) {
    // best of three: the machine is shared (caches, frequency)
    let mut best = f64::MAX;
    let mut out = 0;
    for _ in 0..3 {
        let t = thread_cpu_s();
        out = run(data);
        best = best.min(thread_cpu_s() - t);
    }
    println!(
        "{name:<12} {:>7.0} MB/s of CPU  ratio {:>5.2}  ({out} bytes)",
        data.len() as f64 / best / 1e6,
        data.len() as f64 / out as f64
    );
}

/// Compressed size of `data` written in chunks to `e`, flushed after each (`take` empties the
/// encoder's output and gives its length), then finished.
fn chunked<E: Write>(
    data: &[u8],
    mut e: E,
    take: impl Fn(&mut E) -> usize,
    finish: impl FnOnce(E) -> usize,
) -> usize {
    let mut n = 0;
    for c in data.chunks(CHUNK) {
        e.write_all(c).ok();
        e.flush().ok();
        n += take(&mut e);
    }
    n + finish(e)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: coding_speed BODY.json [REPEAT]")?;
    let repeat: usize = args.next().map_or(Ok(1), |r| r.parse())?;
    let data = std::fs::read(path)?.repeat(repeat);
    println!(
        "{} MB of JSON, chunks of {CHUNK} bytes, flushed",
        data.len() / 1_000_000
    );
    for level in [1u32, 2, 3, 4, 5, 6] {
        time(&format!("gzip {level}"), &data, |d| {
            let e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            chunked(
                d,
                e,
                |e| std::mem::take(e.get_mut()).len(),
                |e| e.finish().map_or(0, |v| v.len()),
            )
        });
    }
    for (quality, window) in [
        (0u32, 22u32),
        (1, 22),
        (2, 22),
        (3, 22),
        (3, 18),
        (4, 22),
        (4, 18),
    ] {
        time(&format!("br {quality}/{window}"), &data, |d| {
            let e = brotli::CompressorWriter::new(Vec::new(), 16 * 1024, quality, window);
            chunked(
                d,
                e,
                |e| std::mem::take(e.get_mut()).len(),
                |e| e.into_inner().len(),
            )
        });
    }
    for level in [1i32, 2, 3, 4, 6] {
        time(&format!("zstd {level}"), &data, |d| {
            let Ok(e) = zstd::stream::write::Encoder::new(Vec::new(), level) else {
                return 0;
            };
            chunked(
                d,
                e,
                |e| std::mem::take(e.get_mut()).len(),
                |e| e.finish().map_or(0, |v| v.len()),
            )
        });
    }
    Ok(())
}
