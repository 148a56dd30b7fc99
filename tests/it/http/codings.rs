//! Part of [`super`] (http.rs): content codings (issue 19). zstd is negotiated by q-values like
//! gzip and brotli; every coded body, streamed chunk by chunk or whole, is decoded by an
//! independent decoder (the `zstd` and `gzip` command-line tools, which `.ci/install.sh`
//! installs) into the identity body.

use super::*;

/// `tool -dc` over `body`, or `None` (with a message) when the tool is absent.
fn decode_with(tool: &str, body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut child = match std::process::Command::new(tool)
        .arg("-dc")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skipping the {tool} decoding: {e} (.ci/install.sh installs it)");
            return None;
        }
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let input = body.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("decoder output");
    writer
        .join()
        .expect("writer")
        .expect("write to the decoder");
    assert!(out.status.success(), "{tool} -dc failed");
    Some(out.stdout)
}

#[tokio::test]
async fn zstd_and_gzip_bodies_decode_with_independent_tools() {
    let st = AppState::new(Dataset::embedded().expect("embedded data"));
    // a streamed answer of ~40 chunks, a whole one, and an exported one
    for path in [
        "/v1/lieux",
        "/v1/lieux/nearest?lat=48.8566&lon=2.3522&k=50",
        "/v1/lieux.csv",
    ] {
        for (accept, coding, tool) in [
            ("gzip, deflate, br, zstd", "zstd", "zstd"),
            ("zstd", "zstd", "zstd"),
            ("gzip;q=1, zstd;q=0.5", "gzip", "gzip"),
        ] {
            // a minute boundary between the two requests changes `ouvert`: retry once
            for attempt in 0..2 {
                let plain = get(&st, path).await;
                let coded = get_with(&st, path, &[("accept-encoding", accept)]).await;
                assert_eq!(coded.status, 200, "{path}");
                assert_eq!(
                    coded.header("content-encoding"),
                    Some(coding),
                    "{path} {accept}"
                );
                assert_eq!(coded.header("vary"), Some("Accept-Encoding"));
                assert_ne!(coded.header("etag"), plain.header("etag"));
                assert!(
                    coded.body.len() * 4 < plain.body.len(),
                    "{path} {coding}: {} of {} bytes",
                    coded.body.len(),
                    plain.body.len()
                );
                let Some(decoded) = decode_with(tool, &coded.body) else {
                    return;
                };
                if decoded == plain.body {
                    break;
                }
                assert_eq!(attempt, 0, "{path} {coding}: decoded body differs");
            }
        }
    }
}

#[tokio::test]
async fn zstd_negotiation() {
    let st = state();
    let path = "/v1/lieux/nearest?lat=45.76&lon=4.84&k=3";
    for (accept, want) in [
        ("zstd", Some("zstd")),
        ("br, zstd", Some("zstd")),
        ("zstd;q=0.4, br;q=0.5", Some("br")),
        ("zstd;q=0, gzip", Some("gzip")),
        ("zstd;q=0", None),
        ("*", Some("zstd")),
        ("identity", None),
    ] {
        let r = get_with(&st, path, &[("accept-encoding", accept)]).await;
        assert_eq!(r.header("content-encoding"), want, "{accept}");
    }
}
