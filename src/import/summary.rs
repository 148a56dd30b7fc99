//! The end-of-import summary lives with the report rows it counts
//! ([`super::report::ReportSummary`]); this module keeps its historical path.

pub use super::report::ReportSummary;
