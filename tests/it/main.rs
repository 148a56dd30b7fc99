//! Integration tests: one binary (ripgrep style).

mod index_oracle;
mod util;
