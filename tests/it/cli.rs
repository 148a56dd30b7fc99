//! The real binary: serve on port 0, answer over TCP, report bind errors, stop on SIGINT.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn lieux() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lieux"))
}

/// Starts `lieux serve` with `args`, returns the child and the bound address.
pub fn start(args: &[&str]) -> (Child, String) {
    let (child, addr, _log) = start_logged(args);
    (child, addr)
}

/// [`start`], plus the server's later log lines (stderr is drained by a thread, so the server
/// never blocks on a full pipe, whether the lines are read or not).
pub fn start_logged(args: &[&str]) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = lieux()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn lieux");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .expect("read stderr");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, addr, rx)
}

/// Minimal HTTP/1.1 GET; returns (status, body).
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("server did not stop on SIGINT");
}

#[test]
fn serves_embedded_data_and_stops_on_sigint() {
    let (mut child, addr) = start(&[]);
    let (status, body) = http_get(&addr, "/health");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("health JSON");
    assert_eq!(v["status"], "ok");
    let n = v["lieux"].as_u64().expect("count");
    let (status, body) = http_get(&addr, "/v1/lieux");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("collection JSON");
    assert_eq!(v["numberMatched"].as_u64(), Some(n));
    let (status, _) = http_get(&addr, "/v1/lieux/nearest?lat=99&lon=2");
    assert_eq!(status, 400);
    let status = interrupt(&mut child);
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[test]
fn bind_error_is_reported_cleanly() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = lieux()
        .args(["serve", "--bind", &addr])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot bind") && stderr.contains(&addr),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn missing_snapshot_is_an_error_not_a_panic() {
    let out = lieux()
        .args(["serve", "--snapshot", "/nonexistent/x.fgb"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/x.fgb") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
