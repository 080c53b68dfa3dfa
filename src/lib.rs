//! zonectl: an authoritative DNS server and zone manager for mail-authentication records.
//!
//! Layout, following the data's path:
//! - [`zone`] — pure: names, record types and RDATA, zone-file parsing, the immutable [`zone::Zone`]
//!   and its lookup rules, serial arithmetic, zone checks, layout-preserving edits.
//! - [`wire`] — pure: DNS message parsing and answer encoding for the query path.
//! - [`store`] — zone files on disk: loading, atomic writes, per-zone edit locks.
//! - [`server`] — async: sockets, zone snapshots, reload/freeze/thaw, the watcher, the control socket.
//! - [`control`] — the control protocol shared by the server and the CLI.
//! - [`dnsclient`] — a small blocking DNS client the CLI uses to verify edits on the wire.
//! - [`dkim`] — DKIM records, key pairs, the per-zone key state and rotation schedule.
//! - [`config`] — the TOML configuration file.
//! - [`cli`] — clap types and one file per command group.
//!
//! Dependencies point down: `cli → server/control/store/dnsclient → wire/zone`.

pub mod cli;
pub mod config;
pub mod control;
pub mod dkim;
pub mod dnsclient;
pub mod server;
pub mod store;
pub mod wire;
pub mod zone;
