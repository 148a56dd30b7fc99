//! Shared by the load and speed examples (`#[path]`-included): the query points of
//! `benches/wrk/points.lua` and the thread's CPU clock.

/// The ~200 query points of `benches/wrk/points.lua` (same LCG, same order): lon -5..9.5,
/// lat 41.3..51.1.
#[allow(dead_code)]
pub fn points() -> Vec<(f64, f64)> {
    let mut state: u64 = 12345;
    let mut rand = move || {
        state = (state * 1_103_515_245 + 12345) % 2_147_483_648;
        state as f64 / 2_147_483_648.0
    };
    (0..200)
        .map(|_| {
            let lon = -5.0 + rand() * 14.5;
            let lat = 41.3 + rand() * 9.8;
            (lon, lat)
        })
        .collect()
}

/// CPU seconds of the calling thread: what a loaded machine disturbs less than wall time.
#[allow(dead_code)]
pub fn thread_cpu_s() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}
