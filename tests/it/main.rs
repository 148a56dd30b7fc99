//! Integration tests: one binary (ripgrep style).
mod import;
