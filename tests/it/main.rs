//! Integration tests: one binary (ripgrep style).
#![allow(clippy::unwrap_used, clippy::panic)]

mod browser;
mod cli;
mod front;
mod coverage;
mod gdal;
mod hours_oracle;
mod http;
mod import;
mod index_oracle;
mod mapping;
mod limits;
mod real_data;
mod routing;
mod routing_openapi;
mod tiles;
mod util;
