//! Integration tests: one binary (ripgrep style).
#![allow(clippy::unwrap_used, clippy::panic)]

mod browser;
mod cli;
mod gdal;
mod hours_oracle;
mod http;
mod import;
mod index_oracle;
mod limits;
mod real_data;
mod routing;
mod tiles;
mod util;
