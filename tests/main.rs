//! Integration tests: one binary, so the crate links once.
//!
//! - `harness` — the in-process server on `127.0.0.1:0`, the DNS client, the `zonectl` binary
//!   runner, `zonectl serve` as a subprocess, and the bounded poll helper.
//! - `answers` — every answer rule of the issue, over UDP and TCP.
//! - `bimi` — `bimi set|show|check|logo`: the record served, readiness, logos judged.
//! - `control` — the knotc-style verbs through the real binary.
//! - `dmarc` — the `dmarc` verbs against a running server: set, show, authorize, rollout.
//! - `dkim` — `dkim keygen|list|rotate|activate|retire|remove`: records on the wire, schedule.
//! - `edits` — `record`, `apply` and `serial`: edits served at once, refusals, concurrency.
//! - `lab` — lab hosting: participants on their own zones only; lab create/reset/diff/list.
//! - `transfer` — AXFR and IXFR over TCP to the clients `transfer_allow` admits.
//! - `watcher` — hand edits picked up from the zones directory.
//! - `workshop` — the shipped zones and the DMARC rollout flow, end to end.
//! - `spf` — the RFC 7208 suite through zonectl's evaluator and server; the `spf` verbs.
//! - `process` — `zonectl serve` as a process: a second instance, SIGKILL, SIGHUP, SIGTERM.
//! - `rate_limit` — response rate limiting over UDP.
//! - `reports` — `dmarc report` on the corpus's aggregate reports, against parsedmarc's counts.
//! - `tls_reports` — `tlsrpt report` on SMTP TLS reports as they arrive, beside DMARC reports;
//!   `mta-sts check`.

#[path = "it/harness.rs"]
mod harness;

#[path = "it/answers.rs"]
mod answers;
#[path = "it/bimi.rs"]
mod bimi;
#[path = "it/control.rs"]
mod control;
#[path = "it/dkim.rs"]
mod dkim;
#[path = "it/dmarc.rs"]
mod dmarc;
#[path = "it/edits.rs"]
mod edits;
#[path = "it/lab.rs"]
mod lab;
#[path = "it/process.rs"]
mod process;
#[path = "it/rate_limit.rs"]
mod rate_limit;
#[path = "it/reports.rs"]
mod reports;
#[path = "it/spf.rs"]
mod spf;
#[path = "it/tls_reports.rs"]
mod tls_reports;
#[path = "it/transfer.rs"]
mod transfer;
#[path = "it/watcher.rs"]
mod watcher;
#[path = "it/workshop.rs"]
mod workshop;
