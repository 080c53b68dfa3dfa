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

/// Text as printable: a control character (a terminal escape sequence in a hostile report,
/// or in an attachment's or member's name) becomes U+FFFD.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A small deterministic generator (xorshift64), so a failure can be replayed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }

    /// Every report file of the shared corpus (`../shared/corpus/dmarc-aggregate`) and the
    /// shipped `reports/`, damaged 300 times each (bytes flipped, cut short, spliced with
    /// another file, a stretch repeated): `read` answers every time, never panics.
    #[test]
    fn damaged_reports_never_panic_the_reader() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            root.join("../shared/corpus/dmarc-aggregate/parsedmarc"),
            root.join("../shared/corpus/dmarc-aggregate/mail-dmarc"),
            root.join("../shared/corpus/dmarc-aggregate/opendmarc"),
            root.join("reports"),
        ] {
            for entry in std::fs::read_dir(&dir).expect("reading the report corpus") {
                files.push(std::fs::read(entry.unwrap().path()).unwrap());
            }
        }
        assert!(files.len() >= 29, "{} files", files.len());
        let mut rng = Rng(0x5eed_d4a7_c0de_2026);
        let mut reports = 0;
        for i in 0..files.len() {
            for round in 0..300 {
                let mut bytes = files[i].clone();
                match round % 4 {
                    0 => {
                        for _ in 0..=rng.below(8) {
                            let at = rng.below(bytes.len());
                            if let Some(b) = bytes.get_mut(at) {
                                *b ^= 1 << rng.below(8);
                            }
                        }
                    }
                    1 => bytes.truncate(rng.below(bytes.len())),
                    2 => {
                        let other = &files[rng.below(files.len())];
                        let from = rng.below(other.len());
                        let at = rng.below(bytes.len());
                        bytes.splice(at..at, other[from..].iter().copied());
                    }
                    _ => {
                        let start = rng.below(bytes.len());
                        let len = rng.below(64).min(bytes.len() - start);
                        let stretch = bytes[start..start + len].repeat(1 + rng.below(50));
                        bytes.splice(start..start, stretch);
                    }
                }
                if let Ok(found) = read(&bytes) {
                    reports += found.iter().filter(|f| f.report.is_ok()).count();
                }
            }
        }
        // Most damage leaves something readable: the reader recovers rather than gives up.
        assert!(reports > 1000, "{reports} reports read from damaged files");
    }
}
