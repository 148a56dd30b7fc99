//! Load generator of `benches/peers.sh`: one client design for both sides of the Redis
//! comparison, so that the table compares the servers and not two load tools.
//!
//! - `resp`: `GEOSEARCH KEY FROMLONLAT lon lat BYRADIUS 30 km ASC COUNT 10` over RESP; Redis
//!   answers bare ids.
//! - `http`: `GET /v1/lieux/nearest?lat=…&lon=…&k=10` + EXTRA (already URL-encoded, e.g.
//!   `&max_km=30`, the same question as the GEOSEARCH above) over HTTP/1.1 keep-alive; lieux
//!   answers GeoJSON.
//!
//! Both keep one request in flight per connection (as wrk does), cycle over the ~200 fixed
//! query points of `benches/wrk/points.lua` (same LCG, same order, connection n starting
//! 37 × n points in), and print one line like wrk's `points.lua` report:
//! `RESULT requests=… rps=… empty=… errors=…` (`empty`: answers with no place; `errors`: error
//! replies, or HTTP statuses other than 200).
//!
//! ```text
//! cargo run --release --example peer_load -- resp HOST:PORT KEY SECONDS CONNECTIONS THREADS
//! cargo run --release --example peer_load -- http HOST:PORT EXTRA SECONDS CONNECTIONS THREADS
//! ```

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "common/mod.rs"]
mod common;
use common::points;

/// How one whole reply is recognised in the bytes read so far.
#[derive(Clone, Copy)]
enum Protocol {
    Resp,
    Http,
}

/// What a complete reply said.
enum Reply {
    Places,
    Empty,
    Error,
}

/// A RESP command as an array of bulk strings.
fn resp_command(parts: &[&str]) -> Vec<u8> {
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

/// One whole reply to GEOSEARCH (an array of bulk strings, or an error), `None` while
/// incomplete.
fn resp_reply(buf: &[u8]) -> Option<Reply> {
    let (mut at, head) = line(buf, 0)?;
    if head.first() != Some(&b'*') {
        return Some(Reply::Error);
    }
    let n: usize = std::str::from_utf8(&head[1..]).ok()?.parse().ok()?;
    for _ in 0..n {
        let (next, bulk) = line(buf, at)?;
        let len: usize = std::str::from_utf8(bulk.get(1..)?).ok()?.parse().ok()?;
        at = next + len + 2;
        if buf.len() < at {
            return None;
        }
    }
    Some(if n == 0 { Reply::Empty } else { Reply::Places })
}

/// One whole HTTP/1.1 response with a `Content-Length` body, `None` while incomplete. A
/// response without one (chunked) counts as an error: the nearest answers are sized.
fn http_reply(buf: &[u8]) -> Option<Reply> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let ok = head.starts_with("HTTP/1.1 200 ");
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    let Some(length) = length else {
        return Some(Reply::Error);
    };
    let body = buf.get(head_end..head_end + length)?;
    Some(if !ok {
        Reply::Error
    } else if body.starts_with(br#"{"type":"FeatureCollection","features":[]"#) {
        Reply::Empty
    } else {
        Reply::Places
    })
}

#[derive(Default)]
struct Count {
    requests: u64,
    empty: u64,
    errors: u64,
}

async fn connection(
    addr: String,
    protocol: Protocol,
    requests: std::sync::Arc<Vec<Vec<u8>>>,
    n: usize,
    until: Instant,
) -> std::io::Result<Count> {
    let mut stream = TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut count = Count::default();
    let mut i = n * 37;
    while Instant::now() < until {
        stream.write_all(&requests[i % requests.len()]).await?;
        i += 1;
        buf.clear();
        let got = loop {
            let done = match protocol {
                Protocol::Resp => resp_reply(&buf),
                Protocol::Http => http_reply(&buf),
            };
            if let Some(r) = done {
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
            Reply::Places => {}
            Reply::Empty => count.empty += 1,
            Reply::Error => count.errors += 1,
        }
    }
    Ok(count)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [protocol, addr, what, seconds, connections, threads] = &args[..] else {
        return Err(
            "usage: peer_load resp|http HOST:PORT KEY|EXTRA SECONDS CONNECTIONS THREADS".into(),
        );
    };
    let pts = points();
    let (protocol, requests): (Protocol, Vec<Vec<u8>>) = match protocol.as_str() {
        "resp" => (
            Protocol::Resp,
            pts.iter()
                .map(|(lon, lat)| {
                    let (lon, lat) = (format!("{lon:.5}"), format!("{lat:.5}"));
                    resp_command(&[
                        "GEOSEARCH",
                        what,
                        "FROMLONLAT",
                        &lon,
                        &lat,
                        "BYRADIUS",
                        "30",
                        "km",
                        "ASC",
                        "COUNT",
                        "10",
                    ])
                })
                .collect(),
        ),
        "http" => (
            Protocol::Http,
            pts.iter()
                .map(|(lon, lat)| {
                    format!(
                        "GET /v1/lieux/nearest?lat={lat:.5}&lon={lon:.5}&k=10{what} HTTP/1.1\r\n\
                         Host: {addr}\r\n\r\n"
                    )
                    .into_bytes()
                })
                .collect(),
        ),
        other => return Err(format!("unknown protocol {other:?}: resp or http").into()),
    };
    let requests = std::sync::Arc::new(requests);
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
            .map(|n| {
                let requests = std::sync::Arc::clone(&requests);
                tokio::spawn(connection(addr.clone(), protocol, requests, n, until))
            })
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
