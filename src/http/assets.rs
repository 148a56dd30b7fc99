//! Static assets compiled into the binary: the embeddable `<lieux-nearest>` widget.

use warp::reply::Response;

use super::reply::{self, Body, Ctx, cached};

/// `static/widget.js`: the `<lieux-nearest>` custom element.
pub const WIDGET_JS: &str = include_str!("../../static/widget.js");

/// `GET /widget.js`.
pub fn widget(ctx: &Ctx) -> Response {
    let tag = reply::etag(&["widget.js", WIDGET_JS], ctx.coding);
    cached(ctx, tag, "text/javascript; charset=utf-8", || {
        Body::Full(WIDGET_JS.as_bytes().to_vec())
    })
}
