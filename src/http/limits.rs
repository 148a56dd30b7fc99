//! Request limits applied in front of every route: a per-client (IP) rate limit (429 with
//! `Retry-After`), a bound on requests in flight (503), and a per-request timeout (503).
//!
//! Parameter limits (`k`, `limit`, `radius_m`, query length) are checked by each handler
//! ([`super::params`]); the number of open connections by the accept loop
//! ([`super::server`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderValue, StatusCode, header};
use tokio::sync::Semaphore;
use warp::reply::Response;

/// Limits of `lieux serve` (flags in [`crate::config`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Sustained requests per second allowed per client IP; `0` turns the rate limit off.
    pub rate_per_s: f64,
    /// Requests a client may send at once above the sustained rate (bucket size).
    pub rate_burst: u32,
    /// Requests handled at once; more wait for a slot up to `timeout`, then get a 503.
    pub max_in_flight: usize,
    /// Open connections; more wait in the listen backlog.
    pub max_connections: usize,
    /// Longest time to the response head; longer is a 503.
    pub timeout: Duration,
}

/// Defaults: generous enough for a browser, schemathesis and a loopback `wrk` load; the rate
/// limit is off because behind a reverse proxy every client shares the proxy's address.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
pub const DEFAULT_TIMEOUT_S: f64 = 30.0;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate_per_s: 0.0,
            rate_burst: 0,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            timeout: Duration::from_secs_f64(DEFAULT_TIMEOUT_S),
        }
    }
}

/// A limit flag that makes no sense.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LimitsError {
    #[error("--rate-limit must be a finite number of requests per second >= 0, not {0}")]
    Rate(f64),
    #[error("--max-in-flight and --max-connections must be at least 1")]
    Zero,
    #[error("--request-timeout-s must be a positive number of seconds, not {0}")]
    Timeout(f64),
}

impl Limits {
    /// Validated limits; `rate_burst` 0 means twice the rate (at least 1).
    pub fn new(
        rate_per_s: f64,
        rate_burst: u32,
        max_in_flight: usize,
        max_connections: usize,
        timeout_s: f64,
    ) -> Result<Limits, LimitsError> {
        if !rate_per_s.is_finite() || rate_per_s < 0.0 {
            return Err(LimitsError::Rate(rate_per_s));
        }
        if max_in_flight == 0 || max_connections == 0 {
            return Err(LimitsError::Zero);
        }
        if !timeout_s.is_finite() || timeout_s <= 0.0 || timeout_s > 86_400.0 {
            return Err(LimitsError::Timeout(timeout_s));
        }
        let rate_burst = if rate_burst == 0 {
            (rate_per_s * 2.0).ceil().max(1.0) as u32
        } else {
            rate_burst
        };
        Ok(Limits {
            rate_per_s,
            rate_burst,
            max_in_flight,
            max_connections,
            timeout: Duration::from_secs_f64(timeout_s),
        })
    }
}

/// Token buckets per client IP. Memory is bounded: when the table grows past
/// [`RateLimiter::MAX_CLIENTS`], buckets that have refilled (idle clients) are dropped.
#[derive(Debug)]
pub struct RateLimiter {
    rate_per_s: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    const MAX_CLIENTS: usize = 100_000;

    pub fn new(rate_per_s: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            rate_per_s,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// `Ok` when `ip` may send a request at `now` (and takes a token), else `Err(seconds)`
    /// to wait before the next one is allowed (at least 1, as `Retry-After` counts whole
    /// seconds).
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= Self::MAX_CLIENTS && !buckets.contains_key(&ip) {
            let (rate, burst) = (self.rate_per_s, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let b = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * self.rate_per_s;
        b.tokens = (b.tokens + refill).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / self.rate_per_s;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

/// The shared state of the limits: built once per server.
#[derive(Debug)]
pub struct Guard {
    pub limits: Limits,
    rate: Option<RateLimiter>,
    in_flight: Arc<Semaphore>,
}

/// Why a request was refused before (or instead of) its handler's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 429: the client is over its rate; retry after this many seconds.
    RateLimited(u64),
    /// 503: no slot among `max_in_flight` within the timeout.
    Overloaded,
    /// 503: the handler did not answer within the timeout.
    TimedOut,
}

impl Refusal {
    /// The label of `lieux_http_refused_total`.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::RateLimited(_) => "rate_limit",
            Refusal::Overloaded => "overload",
            Refusal::TimedOut => "timeout",
        }
    }

    /// The JSON error response, with `Retry-After`.
    pub fn response(self, limits: &Limits) -> Response {
        let (status, retry, message) = match self {
            Refusal::RateLimited(s) => (
                StatusCode::TOO_MANY_REQUESTS,
                s,
                format!(
                    "rate limit: {} requests per second per client (burst {}); retry after {s} s",
                    limits.rate_per_s, limits.rate_burst
                ),
            ),
            Refusal::Overloaded => (
                StatusCode::SERVICE_UNAVAILABLE,
                1,
                format!(
                    "server busy: {} requests in flight; retry later",
                    limits.max_in_flight
                ),
            ),
            Refusal::TimedOut => (
                StatusCode::SERVICE_UNAVAILABLE,
                1,
                format!(
                    "request took longer than {} s",
                    limits.timeout.as_secs_f64()
                ),
            ),
        };
        let mut res = super::reply::error(status, None, &message);
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry));
        res.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, Retry-After"),
        );
        res
    }
}

impl Guard {
    pub fn new(limits: Limits) -> Guard {
        Guard {
            rate: (limits.rate_per_s > 0.0)
                .then(|| RateLimiter::new(limits.rate_per_s, limits.rate_burst)),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            limits,
        }
    }

    /// Runs `handler` within the limits for a request from `client` (`None`: not rate limited,
    /// e.g. a Unix socket).
    pub async fn run<F>(&self, client: Option<IpAddr>, handler: F) -> Result<Response, Refusal>
    where
        F: std::future::Future<Output = Response>,
    {
        if let (Some(rate), Some(ip)) = (&self.rate, client) {
            rate.check(ip, Instant::now())
                .map_err(Refusal::RateLimited)?;
        }
        let deadline = tokio::time::Instant::now() + self.limits.timeout;
        let _permit = tokio::time::timeout_at(deadline, self.in_flight.acquire())
            .await
            .map_err(|_| Refusal::Overloaded)?
            .map_err(|_| Refusal::Overloaded)?;
        // A handler running on the blocking pool (road searches) goes on to its end after a
        // timeout; its answer is dropped. Synchronous handlers are bounded by the parameter
        // limits instead.
        tokio::time::timeout_at(deadline, handler)
            .await
            .map_err(|_| Refusal::TimedOut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills_at_rate() {
        let rl = RateLimiter::new(2.0, 3);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.check(ip, t0), Ok(()));
        }
        // empty bucket: one token comes back in 0.5 s, announced as 1 s
        assert_eq!(rl.check(ip, t0), Err(1));
        // other clients are not affected
        assert_eq!(rl.check(other, t0), Ok(()));
        assert_eq!(rl.check(ip, t0 + Duration::from_millis(500)), Ok(()));
        assert_eq!(rl.check(ip, t0 + Duration::from_millis(500)), Err(1));
        // a long pause refills to the burst, not beyond
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(rl.check(ip, later), Ok(()));
        }
        assert!(rl.check(ip, later).is_err());
    }

    #[test]
    fn slow_rates_announce_longer_waits() {
        let rl = RateLimiter::new(0.1, 1);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let t0 = Instant::now();
        assert_eq!(rl.check(ip, t0), Ok(()));
        assert_eq!(rl.check(ip, t0), Err(10));
    }

    fn ok() -> Response {
        Response::new(Vec::<u8>::new().into())
    }

    #[tokio::test]
    async fn slow_handlers_time_out_with_a_503() {
        let limits = Limits::new(0.0, 0, 4, 4, 0.05).unwrap_or_default();
        let guard = Guard::new(limits);
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            ok()
        };
        assert_eq!(guard.run(None, slow).await.err(), Some(Refusal::TimedOut));
        let res = Refusal::TimedOut.response(&limits);
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
        // a quick one still passes
        assert!(guard.run(None, async { ok() }).await.is_ok());
    }

    #[tokio::test]
    async fn requests_beyond_max_in_flight_wait_then_get_a_503() {
        let limits = Limits::new(0.0, 0, 1, 4, 0.05).unwrap_or_default();
        let guard = Arc::new(Guard::new(limits));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = {
            let guard = Arc::clone(&guard);
            tokio::spawn(async move {
                guard
                    .run(None, async {
                        let _ = released.await;
                        ok()
                    })
                    .await
                    .is_ok()
            })
        };
        // let the holder take the only slot
        while guard.in_flight.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            guard.run(None, async { ok() }).await.err(),
            Some(Refusal::Overloaded)
        );
        let _ = release.send(());
        assert!(holder.await.unwrap_or(false));
        assert!(guard.run(None, async { ok() }).await.is_ok());
    }

    #[tokio::test]
    async fn rate_limited_clients_get_429_with_retry_after() {
        let limits = Limits::new(0.5, 1, 4, 4, 5.0).unwrap_or_default();
        let guard = Guard::new(limits);
        let ip: IpAddr = [192, 0, 2, 7].into();
        assert!(guard.run(Some(ip), async { ok() }).await.is_ok());
        let refusal = guard.run(Some(ip), async { ok() }).await.err();
        assert_eq!(refusal, Some(Refusal::RateLimited(2)));
        let res = Refusal::RateLimited(2).response(&limits);
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "2");
        // unknown clients (no address) are not limited
        assert!(guard.run(None, async { ok() }).await.is_ok());
    }

    #[test]
    fn bad_flags_are_errors() {
        assert_eq!(
            Limits::new(-1.0, 0, 1, 1, 1.0),
            Err(LimitsError::Rate(-1.0))
        );
        assert_eq!(Limits::new(1.0, 0, 0, 1, 1.0), Err(LimitsError::Zero));
        assert_eq!(
            Limits::new(1.0, 0, 1, 1, 0.0),
            Err(LimitsError::Timeout(0.0))
        );
        assert_eq!(Limits::new(2.5, 0, 1, 1, 1.0).map(|l| l.rate_burst), Ok(5));
    }
}
