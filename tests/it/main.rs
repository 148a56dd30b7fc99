//! Integration tests: one binary (ripgrep style).
