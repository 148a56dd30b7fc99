//! stub
pub struct Dataset;
