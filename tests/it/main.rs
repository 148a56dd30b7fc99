//! Integration tests: one binary (ripgrep style).
#![allow(clippy::unwrap_used, clippy::panic)]

mod bad_positions;
mod browser;
mod cli;
mod coverage;
mod dedup;
mod dedup_groups;
mod front;
mod gdal;
mod geocode;
mod honest_times;
mod hours_oracle;
mod http;
mod import;
mod index_oracle;
mod isochrone_grid;
mod limits;
mod live;
mod live_ops;
mod mapping;
mod nearest_bounds;
mod real_data;
mod routing;
mod routing_openapi;
mod tiles;
mod util;
