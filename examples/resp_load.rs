//! Load generator for the Redis side of `benches/peers.sh`: `GEOSEARCH KEY FROMLONLAT lon lat
//! BYRADIUS 30 km ASC COUNT 10` over RESP, one command in flight per connection (as wrk keeps
//! one request in flight per connection), cycling over the ~200 fixed query points of
//! `benches/wrk/points.lua` (same LCG, same order, connection n starting 37 × n points in).
//! Redis answers bare ids. Prints one line like wrk's `points.lua` report:
//! `RESULT requests=… rps=… empty=… errors=…`.
//!
//! `cargo run --release --example resp_load -- HOST:PORT KEY SECONDS CONNECTIONS THREADS`

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "common/mod.rs"]
mod common;
use common::points;

/// A RESP command as an array of bulk strings.
fn command(parts: &[String]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for p in parts {
        out.extend_from_slice(format!("${}\r\n{p}\r\n", p.len()).as_bytes());
    }
    out
}

/// The index just past the CRLF-terminated line starting at `at`, and the line.
fn line(buf: &[u8], at: usize) -> Option<(usize, &[u8])> {
    let rest = buf.get(at..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((at + end + 2, &rest[..end]))
}

/// Whether `buf` holds one whole reply to GEOSEARCH (an array of bulk strings, or an error):
/// `Some(Ok(members))`, `Some(Err(()))` for an error reply, `None` while incomplete.
fn reply(buf: &[u8]) -> Option<Result<usize, ()>> {
    let (mut at, head) = line(buf, 0)?;
    match head.first() {
        Some(b'*') => {
            let n: usize = std::str::from_utf8(&head[1..]).ok()?.parse().ok()?;
            for _ in 0..n {
                let (next, bulk) = line(buf, at)?;
                let len: usize = std::str::from_utf8(bulk.get(1..)?).ok()?.parse().ok()?;
                at = next + len + 2;
                if buf.len() < at {
                    return None;
                }
            }
            Some(Ok(n))
        }
        _ => Some(Err(())),
    }
}

#[derive(Default)]
struct Count {
    requests: u64,
    empty: u64,
    errors: u64,
}

async fn connection(addr: String, key: String, n: usize, until: Instant) -> std::io::Result<Count> {
    let pts = points();
    let cmds: Vec<Vec<u8>> = pts
        .iter()
        .map(|(lon, lat)| {
            let parts = [
                "GEOSEARCH",
                &key,
                "FROMLONLAT",
                &format!("{lon:.5}"),
                &format!("{lat:.5}"),
                "BYRADIUS",
                "30",
                "km",
                "ASC",
                "COUNT",
                "10",
            ];
            command(&parts.map(str::to_owned))
        })
        .collect();
    let mut stream = TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut count = Count::default();
    let mut i = n * 37;
    while Instant::now() < until {
        stream.write_all(&cmds[i % cmds.len()]).await?;
        i += 1;
        buf.clear();
        let got = loop {
            if let Some(r) = reply(&buf) {
                break r;
            }
            let k = stream.read(&mut chunk).await?;
            if k == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..k]);
        };
        count.requests += 1;
        match got {
            Ok(0) => count.empty += 1,
            Ok(_) => {}
            Err(()) => count.errors += 1,
        }
    }
    Ok(count)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, key, seconds, connections, threads] = &args[..] else {
        return Err("usage: resp_load HOST:PORT KEY SECONDS CONNECTIONS THREADS".into());
    };
    let seconds: f64 = seconds.parse()?;
    let connections: usize = connections.parse()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.parse()?)
        .enable_all()
        .build()?;
    let (total, elapsed) = rt.block_on(async {
        let start = Instant::now();
        let until = start + Duration::from_secs_f64(seconds);
        let tasks: Vec<_> = (0..connections)
            .map(|n| tokio::spawn(connection(addr.clone(), key.clone(), n, until)))
            .collect();
        let mut total = Count::default();
        for t in tasks {
            let c = t.await.map_err(std::io::Error::other)??;
            total.requests += c.requests;
            total.empty += c.empty;
            total.errors += c.errors;
        }
        Ok::<_, std::io::Error>((total, start.elapsed()))
    })?;
    println!(
        "RESULT requests={} rps={:.1} empty={} errors={}",
        total.requests,
        total.requests as f64 / elapsed.as_secs_f64(),
        total.empty,
        total.errors
    );
    Ok(())
}
