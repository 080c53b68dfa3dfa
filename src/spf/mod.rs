//! SPF (RFC 7208): the record's syntax, the evaluator `check_host()`, and the check of a
//! published record with its lookup budget counted through includes.
//!
//! - [`record`] — pure: which TXT records are SPF, and every mechanism and modifier's syntax.
//! - [`macros`] — pure: macro strings (§7), parsed and expanded.
//! - [`eval`] — pure: [`check_host`] over the [`Resolver`] trait, with the §4.6.4 limits and
//!   `exp=` explanations. The DMARC evaluation calls it.
//! - [`check`] — pure: [`check_record`], the lookup-count tree, errors and warnings, as
//!   `zonectl spf show|check` print them and the edit verbs refuse on.
//! - [`resolve`] — pure: [`ZoneResolver`], answers from zonectl's own zones first.
//! - [`dns`] — the only I/O: [`DnsResolver`], questions asked of a DNS server.
//!
//! Imports only the zone model (and [`crate::dnsclient`] in `dns`); nothing above it.

pub mod check;
pub mod dns;
pub mod eval;
pub mod macros;
pub mod record;
pub mod resolve;

pub use check::{check_record, RecordNode, SpfCheck, TermNode};
pub use dns::DnsResolver;
pub use eval::{check_host, CheckHostInput, DnsAnswer, Resolver, SpfOutcome, SpfResult};
pub use record::{SpfRecord, SpfSyntaxError, Term};
pub use resolve::ZoneResolver;
