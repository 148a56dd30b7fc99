//! Replicas (issue 20): `/v1/snapshot` carries the whole dataset from one process to another,
//! `serve --follow` swaps in only verified versions, and a follower is not ready (503) until
//! it has data from its source. The oracle is the loader itself: what a follower serves must
//! hash to the version the primary announced, record for record.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lieux::Dataset;
use lieux::http::AppState;
use lieux::http::follow::{FollowConfig, FollowError, Polled, poll};
use sha2::Digest;

use crate::util::{Server, request};

fn get(server: &Server, path: &str, extra: &[String]) -> (u16, HashMap<String, String>, Vec<u8>) {
    request(server, "GET", path, extra, b"")
}

/// The embedded France Services list, and a second version of it (a place renamed, ten
/// dropped): two real datasets with different versions.
fn two_versions() -> (Dataset, Dataset) {
    let a = Dataset::embedded().expect("embedded");
    let mut lieux = a.lieux()[10..].to_vec();
    lieux[0].nom = format!("{} (nouvelle adresse)", lieux[0].nom).into();
    (a, Dataset::new(lieux))
}

#[test]
fn the_snapshot_endpoint_carries_every_record_and_its_version() {
    let (a, _) = two_versions();
    let (version, count, unpositioned) = (
        a.version().to_owned(),
        a.lieux().len(),
        a.lieux().len() - a.positioned(),
    );
    assert!(
        unpositioned > 0,
        "the embedded list has places without a position"
    );
    let server = Server::start(AppState::new(a));
    let (status, h, body) = get(&server, "/v1/snapshot", &[]);
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "application/flatgeobuf");
    assert_eq!(h["etag"], format!("\"{version}\""));
    assert_eq!(h["cache-control"], "no-cache");
    // RFC 9530 digest of the body
    let sum = sha2::Sha256::digest(&body);
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sum);
    assert_eq!(h["repr-digest"], format!("sha-256=:{b64}:"));
    // the loader's content hash is the version: every record and provenance came through,
    // the places without a position too (which /v1/lieux.fgb leaves out)
    let back = Dataset::from_snapshot(&body).expect("a snapshot");
    let back_bytes = body.clone();
    assert_eq!(back.version(), version);
    assert_eq!(back.lieux().len(), count);
    assert_eq!(back.lieux().len() - back.positioned(), unpositioned);
    // revalidation
    let (status, h, body) = get(
        &server,
        "/v1/snapshot",
        &[format!("If-None-Match: \"{version}\"")],
    );
    assert_eq!((status, body.len()), (304, 0));
    assert_eq!(h["etag"], format!("\"{version}\""));
    let (status, _, _) = get(
        &server,
        "/v1/snapshot",
        &["If-None-Match: \"other\"".to_owned()],
    );
    assert_eq!(status, 200);
    // no parameters
    let (status, _, body) = get(&server, "/v1/snapshot?x=1", &[]);
    assert_eq!(status, 400);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["parameter"], "x");
    // GDAL reads it as the FlatGeobuf it is, places without geometry included
    let file = std::env::temp_dir().join(format!("lieux-replica-{}.fgb", std::process::id()));
    std::fs::write(&file, &back_bytes).unwrap();
    if let Some(out) = crate::util::gdal("ogrinfo", &["-so", "-al", file.to_str().unwrap()]) {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("Feature Count: {count}")),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_file(&file);
}

/// What the fake source answers next.
#[derive(Clone)]
struct Answer {
    etag: Option<String>,
    digest: Option<String>,
    body: Vec<u8>,
    /// Bytes actually sent (the connection is cut after them).
    send: usize,
}

/// A source that answers whatever [`Answer`] is set, and 304 to a matching `If-None-Match`.
fn fake_source(answer: Arc<Mutex<Answer>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let a = answer.lock().unwrap().clone();
            let inm = head
                .lines()
                .find_map(|l| l.strip_prefix("if-none-match:"))
                .map(|v| v.trim().to_owned());
            let mut out = if a.etag.is_some() && inm.as_deref() == a.etag.as_deref() {
                "HTTP/1.1 304 Not Modified\r\n".to_owned()
            } else {
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n", a.body.len())
            };
            if let Some(e) = &a.etag {
                out.push_str(&format!("ETag: {e}\r\n"));
            }
            if let Some(d) = &a.digest {
                out.push_str(&format!("Repr-Digest: {d}\r\n"));
            }
            out.push_str("Connection: close\r\n\r\n");
            let _ = s.write_all(out.as_bytes());
            if !out.starts_with("HTTP/1.1 304") {
                let _ = s.write_all(&a.body[..a.send.min(a.body.len())]);
            }
        }
    });
    format!("http://{addr}/v1/snapshot")
}

fn config(url: String) -> FollowConfig {
    FollowConfig {
        url,
        every: Duration::from_millis(100),
        max_bytes: 64 << 20,
        timeout: Duration::from_secs(30),
        dir: std::env::temp_dir(),
    }
}

fn digest(bytes: &[u8]) -> String {
    let sum = sha2::Sha256::digest(bytes);
    format!(
        "sha-256=:{}:",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sum)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_keeps_its_data_on_every_bad_download() {
    let (a, b) = two_versions();
    let (va, vb) = (a.version().to_owned(), b.version().to_owned());
    let bytes_b = lieux::snapshot::encode_snapshot(b.lieux()).unwrap();
    let good = Answer {
        etag: Some(format!("\"{vb}\"")),
        digest: Some(digest(&bytes_b)),
        body: bytes_b.clone(),
        send: bytes_b.len(),
    };
    let answer = Arc::new(Mutex::new(good.clone()));
    let url = fake_source(Arc::clone(&answer));
    let client = reqwest::Client::new();
    let state = AppState::new(a).following();
    assert!(!state.is_ready());
    let cfg = config(url);
    let mut corrupt = bytes_b.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x55;
    let mut garbage = bytes_b.clone();
    garbage.truncate(1000);
    let bad: Vec<(&str, Answer, &[&str])> = vec![
        // cut connection: the body is shorter than its Content-Length
        (
            "truncated",
            Answer {
                send: bytes_b.len() / 3,
                ..good.clone()
            },
            &["truncated", "unreachable"],
        ),
        (
            "corrupted",
            Answer {
                body: corrupt.clone(),
                ..good.clone()
            },
            &["checksum"],
        ),
        // corrupted and no digest to catch it: the full load or the content hash does
        (
            "corrupted, no digest",
            Answer {
                body: corrupt,
                digest: None,
                ..good.clone()
            },
            &["invalid", "version_mismatch"],
        ),
        (
            "garbage",
            Answer {
                send: garbage.len(),
                digest: Some(digest(&garbage)),
                body: garbage,
                ..good.clone()
            },
            &["invalid"],
        ),
        // a valid snapshot announced as another version
        (
            "wrong version",
            Answer {
                etag: Some("\"0123456789abcdef\"".into()),
                ..good.clone()
            },
            &["version_mismatch"],
        ),
        (
            "no etag",
            Answer {
                etag: None,
                ..good.clone()
            },
            &["no_etag"],
        ),
        (
            "weak etag",
            Answer {
                etag: Some(format!("W/\"{vb}\"")),
                ..good.clone()
            },
            &["no_etag"],
        ),
    ];
    for (what, ans, reasons) in bad {
        *answer.lock().unwrap() = ans;
        match poll(&client, &state, &cfg).await {
            Err(e) => assert!(reasons.contains(&e.reason()), "{what}: {e}"),
            Ok(p) => panic!("{what}: swapped ({p:?})"),
        }
        assert_eq!(state.dataset().version(), va, "{what}");
        assert!(!state.is_ready(), "{what}");
    }
    // too large for the limit
    *answer.lock().unwrap() = good.clone();
    let small = FollowConfig {
        max_bytes: 1000,
        ..cfg.clone()
    };
    let e = poll(&client, &state, &small).await.unwrap_err();
    assert!(matches!(e, FollowError::TooLarge(_)), "{e}");
    // the source is down
    let down = config("http://127.0.0.1:9/v1/snapshot".to_owned());
    let e = poll(&client, &state, &down).await.unwrap_err();
    assert_eq!(e.reason(), "unreachable", "{e}");
    assert_eq!(state.dataset().version(), va);
    // the good one is taken, then the source's 304 changes nothing
    assert_eq!(
        poll(&client, &state, &cfg).await.unwrap(),
        Polled::Updated(vb.clone())
    );
    assert_eq!(state.dataset().version(), vb);
    assert_eq!(
        poll(&client, &state, &cfg).await.unwrap(),
        Polled::Unchanged
    );
    // no temporary file left behind
    let leftover = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name().to_string_lossy() == format!(".lieux-follow-{}.tmp", std::process::id())
        });
    assert!(!leftover);
}

#[test]
fn followers_converge_on_the_primary_and_answer_alike() {
    let (a, b) = two_versions();
    let vb = b.version().to_owned();
    let primary_state = AppState::new(a);
    let primary = Server::start(primary_state.clone());
    let source = format!("{}/v1/snapshot", primary.url());
    // a follower that has not heard from its source: not ready, data endpoints refused
    let follower_state = AppState::new(Dataset::new(Vec::new())).following();
    let follower = Server::start(follower_state.clone());
    let (status, h, body) = get(&follower, "/v1/lieux?limit=1", &[]);
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert_eq!(h["retry-after"], "5");
    assert_eq!(get(&follower, "/ready", &[]).0, 503);
    assert_eq!(get(&follower, "/health", &[]).0, 200);
    assert_eq!(get(&follower, "/metrics", &[]).0, 200);
    // two followers polling every 100 ms
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let second_state = AppState::new(Dataset::new(Vec::new())).following();
    let second = Server::start(second_state.clone());
    for s in [&follower_state, &second_state] {
        rt.spawn(lieux::http::follow::follow(
            s.clone(),
            config(source.clone()),
        ));
    }
    let until = |what: &str, ok: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !ok() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{what}: not within 60 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        started.elapsed()
    };
    let version = |s: &Server| {
        let (_, _, body) = get(s, "/health", &[]);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["version"].as_str().unwrap().to_owned()
    };
    let va = primary_state.dataset().version().to_owned();
    let took = until("first load", &|| {
        get(&follower, "/ready", &[]).0 == 200 && get(&second, "/ready", &[]).0 == 200
    });
    eprintln!("followers ready in {took:?}");
    assert_eq!(version(&follower), va);
    assert_eq!(version(&second), va);
    // a new version on the primary reaches both
    primary_state.replace_dataset(b);
    let took = until("new version", &|| {
        version(&follower) == vb && version(&second) == vb
    });
    eprintln!("new version on both followers in {took:?}");
    // the same URL answers the same bytes with the same ETag everywhere
    for path in [
        "/v1/lieux?limit=20",
        "/v1/lieux/nearest?lat=45.76&lon=4.84&k=5",
        "/collections/lieux/items?limit=3",
    ] {
        let (s0, h0, b0) = get(&primary, path, &[]);
        assert_eq!(s0, 200, "{path}");
        for f in [&follower, &second] {
            let (s, h, body) = get(f, path, &[]);
            assert_eq!(s, 200, "{path}");
            // OGC answers carry links with the server's own address (so their ETags differ)
            if path.starts_with("/v1/") {
                assert_eq!(h["etag"], h0["etag"], "{path}");
            }
            let features = |b: &[u8]| {
                serde_json::from_slice::<serde_json::Value>(b).unwrap()["features"].clone()
            };
            assert_eq!(features(&body), features(&b0), "{path}");
        }
    }
    let (_, _, metrics) = get(&follower, "/metrics", &[]);
    let text = String::from_utf8_lossy(&metrics);
    assert!(
        text.contains("lieux_follow_polls_total{outcome=\"updated\"} 2"),
        "{text}"
    );
}

/// `lieux probe` is the container HEALTHCHECK: exit 0 on a 2xx, 1 on a 503 or no server.
#[test]
fn probe_follows_readiness() {
    use crate::cli::{lieux, run_failing, run_ok};
    let ready = Server::start(AppState::new(Dataset::embedded().unwrap()));
    run_ok(lieux().args(["probe", &format!("{}/ready", ready.url())]));
    let loading = Server::start(AppState::new(Dataset::new(Vec::new())).following());
    let stderr = run_failing(lieux().args(["probe", &format!("{}/ready", loading.url())]));
    assert!(stderr.contains("503"), "{stderr}");
    run_failing(lieux().args(["probe", "http://127.0.0.1:9/ready", "--timeout-s", "2"]));
}

/// A primary's first start on an empty volume: `--init-snapshot` writes the embedded data to
/// `--snapshot` and serves it; the same command without the flag still refuses a missing file.
#[test]
fn init_snapshot_seeds_an_empty_volume() {
    use crate::cli::{lieux, run_failing, start};
    let dir = std::env::temp_dir().join(format!("lieux-init-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lieux.fgb");
    let _ = std::fs::remove_file(&file);
    run_failing(lieux().args(["serve", "--snapshot", file.to_str().unwrap()]));
    let (mut child, addr) = start(&["--snapshot", file.to_str().unwrap(), "--init-snapshot"]);
    let (status, _, body) = crate::util::request_to(&addr, "GET", "/health", &[], b"");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let written = Dataset::from_snapshot(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["version"], written.version());
    assert_eq!(written.version(), Dataset::embedded().unwrap().version());
    let _ = std::fs::remove_dir_all(&dir);
}
