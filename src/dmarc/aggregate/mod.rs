//! DMARC aggregate reports (RFC 7489 §7.2 and appendix C, RFC 9990): the evidence for a
//! rollout step. Receivers send them daily to the `rua` address; each says, per source IP,
//! how many messages claimed the domain and whether they passed DMARC.
//!
//! - [`container`] — the XML out of what it arrives in: gzip, zip, a saved mail message.
//! - [`xml`] — a forgiving XML reader (reports in the wild are not always well-formed).
//! - [`report`] — one report's metadata, published policy and rows.
//! - [`summary`] — the reports summed per policy domain, failing sources first.
//!
//! Pure: bytes in, values out; the CLI (`zonectl dmarc report`) reads the files.

pub mod container;
pub mod report;
pub mod summary;
pub mod xml;

pub use container::UnpackError;
pub use report::{Report, ReportError};
pub use xml::TooManyElements;

/// One report found in a file, or why a document or member of it is not one.
#[derive(Debug)]
pub struct Found {
    /// The attachments and archive members it was inside, outermost first.
    pub inside: Vec<String>,
    pub report: Result<Report, NotAReport>,
}

/// Why something found in a file is not a report.
#[derive(Debug, thiserror::Error)]
pub enum NotAReport {
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    #[error(transparent)]
    Xml(#[from] TooManyElements),
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// Every report in a file's bytes (XML, gzip, zip or mail), and what in it is not one; an
/// error if the file itself is none of those formats or cannot be read.
pub fn read(bytes: &[u8]) -> Result<Vec<Found>, UnpackError> {
    let unpacked = container::unpack(bytes)?;
    let mut found = Vec::new();
    for doc in unpacked.documents {
        let reports = xml::parse(&doc.bytes)
            .map_err(NotAReport::from)
            .and_then(|root| report::reports(&root).map_err(NotAReport::from));
        match reports {
            Ok(reports) => found.extend(reports.into_iter().map(|report| Found {
                inside: doc.inside.clone(),
                report: report.map_err(NotAReport::from),
            })),
            Err(e) => found.push(Found {
                inside: doc.inside,
                report: Err(e),
            }),
        }
    }
    found.extend(unpacked.errors.into_iter().map(|(inside, e)| Found {
        inside,
        report: Err(e.into()),
    }));
    Ok(found)
}
