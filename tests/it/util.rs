//! Shared helpers: where the shared data lives, and the commune points.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

/// Every mapping config (`<source>/<file>.config.json`) under `data/mednum-cli-sources`, sorted.
pub fn mapping_configs(data: &std::path::Path) -> Vec<PathBuf> {
    let mut configs: Vec<PathBuf> = std::fs::read_dir(data.join("mednum-cli-sources"))
        .expect("mednum-cli-sources")
        .flat_map(|d| std::fs::read_dir(d.expect("source folder").path()).expect("read folder"))
        .map(|f| f.expect("file").path())
        .filter(|p| p.to_string_lossy().ends_with(".config.json"))
        .collect();
    configs.sort();
    configs
}

/// `../shared/data`, or `None` (with a message) when the shared folder is absent.
pub fn shared_data() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipping: ../shared/data is absent (tests on real data need it beside the repo)"
        );
        None
    }
}

/// `(code_insee, lon, lat)` centroids of the 34 875 communes (type COM) that have coordinates.
pub fn commune_centroids() -> Option<Vec<(String, f64, f64)>> {
    let path = shared_data()?.join("communes/communes-france.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).ok()?)
        .read_to_string(&mut text)
        .ok()?;
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().ok()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (code, typ, lon, lat) = (
        col("code_insee")?,
        col("type")?,
        col("centroid_lon")?,
        col("centroid_lat")?,
    );
    let mut out = Vec::new();
    let mut com = 0;
    for rec in rdr.records() {
        let rec = rec.ok()?;
        if &rec[typ] != "COM" {
            continue;
        }
        com += 1;
        if let (Ok(x), Ok(y)) = (rec[lon].parse::<f64>(), rec[lat].parse::<f64>()) {
            out.push((rec[code].to_owned(), x, y));
        }
    }
    assert_eq!(
        com, 34_875,
        "communes-france.csv.gz should hold 34 875 COM rows"
    );
    Some(out)
}

/// The API served in process on `127.0.0.1:0` (own runtime on a thread), for real HTTP clients
/// such as GDAL. Stops when dropped.
pub struct Server {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(state: lieux::http::AppState) -> Server {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let addr = "127.0.0.1:0".parse().expect("addr");
                let shutdown = async {
                    let _ = stopped.await;
                };
                lieux::http::serve(
                    state,
                    addr,
                    move |a| bound_tx.send(a).expect("send"),
                    shutdown,
                )
                .await
                .expect("serve");
            });
        });
        let addr = bound_rx.recv().expect("server bound");
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs a GDAL command line tool; `None` (with a message) when GDAL is not installed.
pub fn gdal(tool: &str, args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new(tool)
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "60")
        .env("CPL_VSIL_CURL_NON_CACHED", "")
        .output()
    {
        Ok(out) => Some(out),
        Err(_) => {
            eprintln!("skipping: {tool} (Debian gdal-bin) is not installed; .ci/run installs it");
            None
        }
    }
}

/// A minimal HTTP/1.1 client, one request per connection: status, lower-case headers, body. `extra` are header lines.
pub fn request(
    server: &Server,
    method: &str,
    path: &str,
    extra: &[String],
    body: &[u8],
) -> (u16, HashMap<String, String>, Vec<u8>) {
    request_to(&server.addr.to_string(), method, path, extra, body)
}

/// [`request`] to any `host:port` (a server started as a child process, say).
pub fn request_to(
    addr: &str,
    method: &str,
    path: &str,
    extra: &[String],
    body: &[u8],
) -> (u16, HashMap<String, String>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in extra {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !extra.iter().any(|h| h.starts_with("Content-Length")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413, 401) before reading the body and close: ignore write errors.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = text.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16)
            .expect("hex chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// The command line `lieux graph build --osm PBF --out OUT` (both profiles), to run with
/// [`crate::cli::run_ok`] or [`crate::cli::run_failing`].
pub fn graph_build(pbf: &std::path::Path, out: &std::path::Path) -> std::process::Command {
    let mut cmd = crate::cli::lieux();
    cmd.args(["graph", "build", "--osm"])
        .arg(pbf)
        .arg("--out")
        .arg(out);
    cmd
}

/// Report rows as the report CSV's records (`file,line_or_index,id,field,kind,reason,value`).
pub fn report_records(rows: &[lieux::import::ReportRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                r.file.clone(),
                r.line_or_index.to_string(),
                r.id.clone(),
                r.field.clone(),
                r.kind.as_str().to_owned(),
                r.reason.clone(),
                r.value.clone(),
            ]
        })
        .collect()
}
