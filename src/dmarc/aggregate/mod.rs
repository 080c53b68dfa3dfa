//! DMARC aggregate reports (RFC 7489 §7.2 and appendix C, RFC 9990): the evidence for a
//! rollout step. Receivers send them daily to the `rua` address; each says, per source IP,
//! how many messages claimed the domain and whether they passed DMARC.
//!
//! - [`xml`] — a forgiving XML reader (reports in the wild are not always well-formed).
//! - [`report`] — one report's metadata, published policy and rows.
//! - [`summary`] — the reports summed per policy domain, failing sources first.
//!
//! Pure: bytes in, values out; [`crate::inbox`] finds the documents in a file, the CLI
//! (`zonectl dmarc report`) reads the files.

pub mod report;
pub mod summary;
pub mod xml;

pub use report::{Report, ReportError};
pub use xml::TooManyElements;

/// Why an XML document is not a report.
#[derive(Debug, thiserror::Error)]
pub enum NotAReport {
    #[error(transparent)]
    Xml(#[from] TooManyElements),
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// Every report (`<feedback>`) in an XML document, each read or not; an error if the document
/// holds none. [`crate::inbox::read`] finds the documents in a file.
pub fn parse(xml: &[u8]) -> Result<Vec<Result<Report, ReportError>>, NotAReport> {
    let root = xml::parse(xml)?;
    Ok(report::reports(&root)?)
}
