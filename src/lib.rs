//! zonectl: an authoritative DNS server and zone manager for mail-authentication records.
//!
//! Layout, following the data's path:
//! - [`zone`] — pure: names, record types and RDATA, zone-file parsing, the immutable [`zone::Zone`]
//!   and its lookup rules, serial arithmetic, zone checks, layout-preserving edits.
//! - [`wire`] — pure: DNS message parsing and answer encoding for the query path.
//! - [`store`] — zone files on disk: loading, atomic writes, per-zone edit locks.
//! - [`lab`] — pure: lab zone names, template expansion, the diff against a template.
//! - [`journal`] — the change journal: acknowledged edits, fsynced, replayed at start-up.
//! - [`server`] — async: sockets, zone snapshots, reload/freeze/thaw, the watcher, the control socket.
//! - [`control`] — the control protocol shared by the server and the CLI.
//! - [`spf`] — SPF (RFC 7208): record syntax, `check_host()`, the lookup-budget check.
//! - [`dmarc`] — pure: DMARC records, tree walk, evaluation, readiness and rollout rules.
//! - [`mail_policy`] — pure: MTA-STS, TLS-RPT and BIMI records, and what makes readers ignore one.
//! - [`tally`] — pure: saturating sums, percentages and plurals of the report readers.
//! - [`container`], [`inbox`] — pure: the reports in a file from the `rua` mailbox, out of
//!   gzip, zip and mail; [`dmarc::aggregate`] reads DMARC's, [`tlsrpt`] SMTP TLS reports.
//! - [`tsig`] — TSIG keys (keys/tsig), request verification and response signing (RFC 8945).
//! - [`dnsclient`] — a small blocking DNS client the CLI uses to verify edits on the wire.
//! - [`dkim`] — DKIM records, key pairs, the per-zone key state and rotation schedule.
//! - [`config`] — the TOML configuration file.
//! - [`clock`] — the wall clock, read in one place; the pure modules take the time as an argument.
//! - [`users`] — Unix users and groups by name, for per-zone owners.
//! - [`cli`] — clap types and one file per command group.
//!
//! Dependencies point down: `cli → server/control/store/dnsclient → wire/zone`.

pub mod cli;
pub mod clock;
pub mod config;
pub mod container;
pub mod control;
pub mod dkim;
pub mod dmarc;
pub mod dnsclient;
pub mod inbox;
pub mod journal;
pub mod lab;
pub mod mail_policy;
pub mod rrl;
pub mod server;
pub mod spf;
pub mod store;
pub mod tally;
pub mod tlsrpt;
pub mod tsig;
pub mod users;
pub mod wire;
pub mod zone;
