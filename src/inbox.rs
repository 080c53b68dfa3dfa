//! Every report in a file from the mailbox that a domain's `rua` addresses fill: DMARC aggregate
//! reports (XML, [`crate::dmarc::aggregate`]) and SMTP TLS reports (JSON, [`crate::tlsrpt`]),
//! out of whatever they arrived in ([`crate::container`]). One mailbox often receives both, so
//! each reader is handed both kinds and passes over the other's.
//!
//! Pure: bytes in, values out.

use crate::container::{self, Format, UnpackError};
use crate::dmarc::aggregate;
use crate::tlsrpt;

/// One report found in a file, or why a document or member of it is not one.
#[derive(Debug)]
pub struct Found {
    /// The attachments and archive members it was inside, outermost first.
    pub inside: Vec<String>,
    pub report: Result<AnyReport, NotAReport>,
}

/// A report of either kind.
#[derive(Debug)]
pub enum AnyReport {
    Dmarc(aggregate::Report),
    Tls(tlsrpt::Report),
}

/// Why something found in a file is not a report.
#[derive(Debug, thiserror::Error)]
pub enum NotAReport {
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    #[error(transparent)]
    Dmarc(#[from] aggregate::NotAReport),
    #[error(transparent)]
    Tls(#[from] tlsrpt::ReportError),
}

/// Every report in a file's bytes (XML, JSON, gzip, zip or mail), and what in it is not one;
/// an error if the file itself is none of those formats or cannot be read, or is a mail whose
/// attachments are no reports.
pub fn read(bytes: &[u8]) -> Result<Vec<Found>, UnpackError> {
    let unpacked = container::unpack(bytes)?;
    let mut found = Vec::new();
    let mut passed_over = 0;
    for doc in unpacked.documents {
        let reports: Vec<Result<AnyReport, NotAReport>> = match doc.format {
            Format::Json => vec![tlsrpt::parse(&doc.bytes)
                .map(AnyReport::Tls)
                .map_err(NotAReport::from)],
            _ => match aggregate::parse(&doc.bytes) {
                Ok(reports) => reports
                    .into_iter()
                    .map(|r| {
                        r.map(AnyReport::Dmarc)
                            .map_err(|e| aggregate::NotAReport::from(e).into())
                    })
                    .collect(),
                Err(e) => vec![Err(e.into())],
            },
        };
        if doc.attached && matches!(reports.as_slice(), [Err(e)] if e.is_no_report()) {
            // An attachment that is no report (a JSON or XML file of something else).
            passed_over += 1;
            continue;
        }
        found.extend(reports.into_iter().map(|report| Found {
            inside: doc.inside.clone(),
            report,
        }));
    }
    found.extend(unpacked.errors.into_iter().map(|(inside, e)| Found {
        inside,
        report: Err(e.into()),
    }));
    if found.is_empty() && passed_over > 0 {
        return Err(UnpackError::NoReportInMail);
    }
    Ok(found)
}

impl NotAReport {
    /// A document that is no report of either kind at all (rather than a broken one).
    fn is_no_report(&self) -> bool {
        matches!(
            self,
            NotAReport::Tls(tlsrpt::ReportError::NotTlsReport)
                | NotAReport::Dmarc(aggregate::NotAReport::Report(
                    aggregate::ReportError::NoFeedback
                ))
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn an_attachment_that_is_no_report_is_passed_over() {
        let xml = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/corpus/dmarc-aggregate/mail-dmarc/test_dmarc.xml"),
        )
        .unwrap();
        let part = |media: &str, name: &str, body: &[u8]| {
            format!(
                "--b\r\nContent-Type: {media}\r\nContent-Disposition: attachment; \
                 filename=\"{name}\"\r\n\r\n{}\r\n",
                String::from_utf8_lossy(body)
            )
        };
        let mail = |parts: &[String]| {
            format!(
                "From: a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; \
                 boundary=\"b\"\r\n\r\n{}--b--\r\n",
                parts.concat()
            )
        };
        let meta = part("application/json", "meta.json", br#"{"sent": 1}"#);
        let invoice = part("application/xml", "invoice.xml", b"<invoice/>");
        let report = part("text/xml", "report.xml", &xml);
        let found = read(mail(&[meta.clone(), report, invoice.clone()]).as_bytes()).unwrap();
        assert_eq!(found.len(), 1);
        assert!(matches!(found[0].report, Ok(AnyReport::Dmarc(_))));
        // Nothing but such attachments: a mail with no report.
        assert!(matches!(
            read(mail(&[meta, invoice]).as_bytes()),
            Err(UnpackError::NoReportInMail)
        ));
        // The same JSON as a file of its own is named as not a report.
        let alone = read(br#"{"sent": 1}"#).unwrap();
        assert!(matches!(
            alone[0].report,
            Err(NotAReport::Tls(tlsrpt::ReportError::NotTlsReport))
        ));
    }

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

    /// Every report file of the shared corpus (`../shared/corpus/dmarc-aggregate`), the
    /// shipped `reports/` and three SMTP TLS reports, damaged 300 times each (bytes flipped,
    /// cut short, spliced with another file, a stretch repeated): `read` answers every time,
    /// never panics.
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
        // SMTP TLS reports besides the shipped two: RFC 8460's example as printed, compact,
        // and gzipped.
        let rfc = crate::tlsrpt::report::tests::RFC_EXAMPLE.as_bytes();
        let compact: serde_json::Value = serde_json::from_slice(rfc).unwrap();
        let compact = compact.to_string().into_bytes();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &compact).unwrap();
        files.extend([rfc.to_vec(), compact, gz.finish().unwrap()]);
        assert!(files.len() >= 34, "{} files", files.len());
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
