//! Wall and thread-CPU timing for the printed-figures benches: on a shared, overloaded VM wall
//! time measures the neighbours too, so figures give both.

use std::time::Instant;

/// CPU time of this thread, ms.
pub fn cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

/// `(output, wall ms, thread CPU ms)` of `f`.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (t, c) = (Instant::now(), cpu_ms());
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1e3, cpu_ms() - c)
}

/// Median of `v` (sorted in place; `v` not empty). Not every bench that includes this file uses
/// every helper.
#[allow(dead_code)]
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The number in environment variable `name`, else `default`.
#[allow(dead_code)]
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
