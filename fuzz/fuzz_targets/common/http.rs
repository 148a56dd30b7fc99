//! The whole API in process (`warp::test`) over the embedded France Services dataset: a request
//! must never be answered with a 5xx, and its body (streamed ones included) must be complete.

use std::sync::OnceLock;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::{Reply, Response};

struct Api {
    rt: tokio::runtime::Runtime,
    routes: BoxedFilter<(Response,)>,
}

fn api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        let ds = lieux::Dataset::embedded().unwrap_or_else(|e| panic!("embedded dataset: {e}"));
        let state = lieux::http::AppState::new(ds);
        Api {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("runtime: {e}")),
            routes: lieux::http::routes(state).map(to_response).boxed(),
        }
    })
}

fn to_response<R: Reply>(r: R) -> Response {
    r.into_response()
}

/// GETs `path_and_query` (bytes a client could send in a request line); panics on a 5xx.
pub fn get(path_and_query: &[u8]) {
    // a request line holds visible ASCII only: hyper refuses anything else before warp sees it
    if path_and_query.is_empty()
        || path_and_query[0] != b'/'
        || !path_and_query.iter().all(|b| b.is_ascii_graphic())
    {
        return;
    }
    let Ok(uri) = std::str::from_utf8(path_and_query) else {
        return;
    };
    if uri.parse::<http::Uri>().is_err() {
        return;
    }
    let api = api();
    let res = api
        .rt
        .block_on(warp::test::request().path(uri).reply(&api.routes));
    assert!(
        res.status().as_u16() < 500,
        "{uri} answered {}: {:?}",
        res.status(),
        res.body()
    );
}
