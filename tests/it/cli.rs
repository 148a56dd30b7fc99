//! The real binary: serve on port 0, answer over TCP, report bind errors, stop on SIGINT.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn lieux() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lieux"))
}

/// Runs a `lieux` command line to its end, asserts that it succeeded (its stderr in the
/// message otherwise) and returns its stderr.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run lieux");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd:?} failed: {stderr}");
    stderr
}

/// Runs a `lieux` command line to its end, asserts that it failed with exit code 1 and without
/// a panic, and returns its stderr.
pub fn run_failing(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run lieux");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{cmd:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Starts `lieux serve` with `args`, returns the child and the bound address.
pub fn start(args: &[&str]) -> (Child, String) {
    let (child, addr, _log) = start_logged(args);
    (child, addr)
}

/// [`start`], plus the server's later log lines (stderr is drained by a thread, so the server
/// never blocks on a full pipe, whether the lines are read or not).
pub fn start_logged(args: &[&str]) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    start_logged_with(args, &[])
}

/// [`start_logged`] with extra environment variables (`LIEUX_IMPORT_TOKEN`, say).
pub fn start_logged_with(
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = lieux()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
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
    let (status, _, body) = crate::util::request_to(addr, "GET", path, &[], b"");
    (status, String::from_utf8_lossy(&body).into_owned())
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
    // every place, duplicates included (/health counts them all)
    let (status, body) = http_get(&addr, "/v1/lieux?exclure_doublons=false");
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
    let stderr = run_failing(lieux().args(["serve", "--bind", &addr]));
    assert!(
        stderr.contains("cannot bind") && stderr.contains(&addr),
        "{stderr}"
    );
}

#[test]
fn missing_snapshot_is_an_error_not_a_panic() {
    let stderr = run_failing(lieux().args(["serve", "--snapshot", "/nonexistent/x.fgb"]));
    assert!(stderr.contains("/nonexistent/x.fgb"), "{stderr}");
}

#[test]
fn request_log_names_the_client_address() {
    let log = std::env::temp_dir().join(format!("lieux-log-{}.txt", std::process::id()));
    let file = std::fs::File::create(&log).expect("log file");
    let mut child = lieux()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stderr(Stdio::from(file))
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn lieux");
    // the log as plain text (the subscriber colours its fields)
    let read = || {
        let raw = std::fs::read_to_string(&log).unwrap_or_default();
        let ansi = regex::Regex::new("\x1b\\[[0-9;]*m").expect("regex");
        ansi.replace_all(&raw, "").into_owned()
    };
    let mut addr = None;
    for _ in 0..200 {
        if let Some(rest) = read().split("listening on http://").nth(1) {
            addr = rest.lines().next().map(|l| l.trim().to_owned());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("server did not start: {}", read());
    };
    assert_eq!(http_get(&addr, "/health").0, 200);
    interrupt(&mut child);
    let text = read();
    let _ = std::fs::remove_file(&log);
    let line = text
        .lines()
        .find(|l| l.contains("path=/health") && l.contains("finished processing"))
        .unwrap_or_else(|| panic!("no request line in the log: {text}"));
    assert!(line.contains("client=127.0.0.1:"), "{line}");
}
