//! SMTP TLS reports (RFC 8460, TLS-RPT): the evidence for moving MTA-STS from `mode: testing`
//! to `mode: enforce`. Senders that honour the domain's `_smtp._tls` record send one a day to
//! its `rua`: per policy they applied, how many SMTP sessions to the domain's MX negotiated TLS
//! and how many failed, and why.
//!
//! - [`report`] — one report read from its JSON.
//! - [`summary`] — the reports summed per policy domain, failures grouped, and what they mean.
//!
//! The reports arrive like DMARC's (gzip, or attached to a mail as `application/tlsrpt+gzip`):
//! [`crate::inbox`] finds them. Pure: bytes in, values out; `zonectl tlsrpt report` reads the
//! files.

pub mod report;
pub mod summary;

pub use report::{parse, Report, ReportError};
