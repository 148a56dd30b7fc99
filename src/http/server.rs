//! The accept loop: hyper connections over the warp routes, with the limits of
//! [`super::limits`] and the request metrics of [`super::metrics`] around every request.
//!
//! warp's own `serve` does the same minus these hooks: its acceptor trait is private, so the
//! number of connections cannot be bounded through it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;
use tracing::Instrument;
use warp::reply::Response;

use super::AppState;
use super::limits::Guard;
use super::metrics::{Metrics, route_template};
use super::replica::{not_ready, refuses};

/// Serves `listener` until `shutdown` resolves, then lets open connections finish.
pub async fn run(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let guard = Arc::new(Guard::new(state.limits));
    let metrics = Arc::clone(&state.metrics);
    let connections = Arc::new(Semaphore::new(state.limits.max_connections));
    let readiness = state.readiness.clone();
    let routes = warp::service(super::routes(state));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Past max_connections, new connections wait in the kernel's listen backlog.
        let permit = tokio::select! {
            p = Arc::clone(&connections).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (io, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // out of file descriptors and the like: wait instead of spinning
                    tracing::warn!(%e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let routes = routes.clone();
        let guard = Arc::clone(&guard);
        let metrics = Arc::clone(&metrics);
        let readiness = readiness.clone();
        let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            let routes = routes.clone();
            let guard = Arc::clone(&guard);
            let metrics = Arc::clone(&metrics);
            // a follower without its first dataset answers no data request
            let refused = refuses(&readiness, req.uri().path());
            async move {
                if refused {
                    metrics.record_refused("not_ready");
                    return Ok::<_, Infallible>(not_ready());
                }
                Ok::<_, Infallible>(handle(req, remote, routes, &guard, &metrics).await)
            }
        });
        let watcher = graceful.watcher();
        // warp's own request trace cannot see the peer behind this accept loop (warp only
        // learns it from its own server), so the client address is this outer span's field.
        // One span per connection, not per request: formatting the address for every request
        // of a kept-alive connection showed in the profile of small answers (~2.5 %).
        let span = tracing::info_span!("conn", client = %remote);
        tokio::spawn(
            async move {
                let builder = auto::Builder::new(TokioExecutor::new());
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
                if let Err(e) = watcher.watch(conn).await {
                    tracing::debug!(%e, "connection ended with an error");
                }
                drop(permit);
            }
            .instrument(span),
        );
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn handle<S>(
    req: http::Request<Incoming>,
    remote: SocketAddr,
    mut routes: S,
    guard: &Guard,
    metrics: &Metrics,
) -> Response
where
    S: Service<http::Request<Incoming>, Response = Response, Error = Infallible>,
{
    let started = Instant::now();
    let route = route_template(req.uri().path());
    let method = req.method().clone();
    let answer = guard
        .run(Some(remote.ip()), async move {
            match routes.call(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            }
        })
        .await;
    let res = answer.unwrap_or_else(|refusal| {
        metrics.record_refused(refusal.reason());
        refusal.response(&guard.limits)
    });
    metrics.record_request(
        route,
        method.as_str(),
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}
