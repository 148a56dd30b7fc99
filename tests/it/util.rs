//! Shared helpers: where the shared data lives, and the commune points.

use std::io::Read;
use std::path::PathBuf;

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
