//! Integration tests: one binary (ripgrep style).
#![allow(clippy::unwrap_used, clippy::panic)]

mod cli;
mod http;
mod index_oracle;
mod util;
