//! DMARC (RFC 9989, with RFC 7489 compatibility): the pure rules behind `zonectl dmarc`.
//!
//! - [`record`] — parse and validate a policy record, its canonical text, the `TAG=VALUE` merge.
//! - [`explain`] — each tag in plain words; what RFC 7489 and RFC 9989 receivers do with
//!   failing mail.
//! - [`reports`] — `rua`/`ruf` destinations and the external-destination authorization names.
//! - [`treewalk`] — RFC 9989's DNS Tree Walk: the applicable record and organizational domains.
//! - [`evaluate`] — alignment, the DMARC result and the disposition for one message, from SPF
//!   and DKIM results given as inputs.
//! - [`readiness`] — whether a zone is ready for a stricter policy, from facts passed in (the
//!   SPF and DKIM verdicts come from those modules).
//! - [`rollout`] — the stage ladder, the `next`/`back` rules and the history file format.
//! - [`aggregate`] — aggregate reports read and summed: who sends as the domain, and fails.
//!
//! Pure: no sockets, no clock, no files. Imports nothing above `zone`; the CLI
//! (`cli/dmarc.rs`) gathers the facts and does the I/O.

pub mod aggregate;
pub mod evaluate;
pub mod explain;
pub mod readiness;
pub mod record;
pub mod reports;
pub mod rollout;
pub mod treewalk;

pub use record::{DmarcError, DmarcRecord, Policy, Tag};
