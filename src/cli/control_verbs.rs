//! The knotc-style verbs: `status`, `check`, `reload`, `freeze`, `thaw`, `stats`, sent to the
//! running server over its control socket. `check --file` (and `check` with no server) work
//! locally.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;

use super::{format_utc, Settings};
use crate::control::{
    self, ClientError, Counted, Request, Response, ServerStats, ZoneOutcome, ZoneStatus,
};
use crate::store;
use crate::zone::Name;

/// A verb's optional zone argument.
#[derive(Debug, Args)]
pub struct ZoneArg {
    /// The zone (e.g. apple.example); without it, every zone.
    pub zone: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReloadArgs {
    /// The zone (e.g. apple.example); without it, every zone.
    pub zone: Option<String>,
    /// Load the zone's file and serve it without the acknowledged edits not yet written into
    /// it, which a hand edit of the file conflicts with. They are kept in a set-aside journal
    /// (`status` lists it). Only if the file loads; needs ZONE.
    #[arg(long, requires = "zone")]
    pub discard_edits: bool,
}

impl ReloadArgs {
    pub fn run(self, s: &Settings) -> anyhow::Result<ExitCode> {
        let request = Request::Reload {
            zone: self.zone,
            discard_edits: self.discard_edits,
        };
        outcomes(s, call(s, &request)?)
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The zone to check (from the zones directory); without it, every zone.
    #[arg(conflicts_with = "file")]
    pub zone: Option<String>,
    /// Check this zone file instead; works with no server running.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The origin of the file given with --file [default: its name minus `.zone`].
    #[arg(long, value_name = "ZONE", requires = "file")]
    pub origin: Option<String>,
}

impl ZoneArg {
    pub fn status(self, s: &Settings) -> anyhow::Result<ExitCode> {
        match call(s, &Request::Status { zone: self.zone })? {
            Response::Status { zones } => {
                if s.json {
                    println!("{}", serde_json::to_string_pretty(&zones)?);
                } else {
                    for z in &zones {
                        print_status(z);
                    }
                }
                let failed = zones.iter().any(|z| z.last_result == "failed");
                Ok(if failed {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                })
            }
            other => unexpected(other),
        }
    }

    pub fn freeze(self, s: &Settings) -> anyhow::Result<ExitCode> {
        outcomes(s, call(s, &Request::Freeze { zone: self.zone })?)
    }

    pub fn thaw(self, s: &Settings) -> anyhow::Result<ExitCode> {
        outcomes(s, call(s, &Request::Thaw { zone: self.zone })?)
    }
}

/// `zonectl stats`: what the server received and answered since it started.
pub fn stats(s: &Settings) -> anyhow::Result<ExitCode> {
    match call(s, &Request::Stats)? {
        Response::Stats(stats) => {
            if s.json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                print!("{}", stats_text(&stats));
            }
            Ok(ExitCode::SUCCESS)
        }
        other => unexpected(other),
    }
}

/// The columns of `stats`, and a row of them.
const STATS_COLUMNS: [&str; 10] = [
    "received",
    "NOERROR",
    "NXDOMAIN",
    "REFUSED",
    "SERVFAIL",
    "FORMERR",
    "NOTIMP",
    "other",
    "truncated",
    "not answered",
];

fn stats_row(c: &Counted) -> [u64; 10] {
    [
        c.received,
        c.noerror,
        c.nxdomain,
        c.refused,
        c.servfail,
        c.formerr,
        c.notimp,
        c.other_rcode,
        c.truncated,
        c.not_answered,
    ]
}

/// The counts as a table, a row per transport, then rate limiting and zone transfers.
fn stats_text(stats: &ServerStats) -> String {
    let width = |name: &str| name.len().max(9);
    let mut text = format!("since {}\n    ", format_utc(stats.started));
    for name in STATS_COLUMNS {
        text += &format!(" {name:>w$}", w = width(name));
    }
    for (transport, counted) in [("udp", &stats.udp), ("tcp", &stats.tcp)] {
        text += &format!("\n{transport} ");
        for (name, count) in STATS_COLUMNS.iter().zip(stats_row(counted)) {
            text += &format!(" {count:>w$}", w = width(name));
        }
    }
    let (udp, tcp) = (&stats.udp, &stats.tcp);
    text += &format!(
        "\nrate limiting (udp): {} dropped, {} slipped\nzone transfers (tcp): {}, {} refused\n",
        udp.rate_dropped, udp.rate_slipped, tcp.transfers, tcp.transfers_refused
    );
    text += &format!(
        "mail authentication (TXT questions): DMARC {}, DKIM {}, MTA-STS {}, TLS-RPT {}, BIMI {}\n",
        udp.dmarc + tcp.dmarc,
        udp.dkim + tcp.dkim,
        udp.mta_sts + tcp.mta_sts,
        udp.tlsrpt + tcp.tlsrpt,
        udp.bimi + tcp.bimi
    );
    text
}

impl CheckArgs {
    pub fn run(self, s: &Settings) -> anyhow::Result<ExitCode> {
        let CheckArgs { zone, file, origin } = self;
        if let Some(file) = file {
            let origin = match origin {
                Some(o) => Name::parse(&format!("{}.", o.trim_end_matches('.')), None)
                    .with_context(|| format!("--origin {o}"))?,
                None => store::origin_from_file_name(&file).with_context(|| {
                    format!(
                        "{}: cannot tell the zone's origin from the file name; pass --origin ZONE",
                        file.display()
                    )
                })?,
            };
            let outcome = check_file(&file, &origin);
            return outcomes(
                s,
                Response::Done {
                    outcomes: vec![outcome],
                },
            );
        }
        match control::call(&s.control, &Request::Check { zone: zone.clone() }) {
            Ok(resp) => outcomes(s, resp),
            // No server: check the files in the zones directory directly.
            Err(ClientError::NotRunning { .. }) => {
                let mut list = Vec::new();
                for path in store::zone_files(&s.zones_dir)
                    .with_context(|| format!("reading zones directory {}", s.zones_dir.display()))?
                {
                    let Some(origin) = store::origin_from_file_name(&path) else {
                        continue;
                    };
                    if let Some(z) = &zone {
                        let want = Name::parse(&format!("{}.", z.trim_end_matches('.')), None)?;
                        if !want.eq_ignore_case(&origin) {
                            continue;
                        }
                    }
                    list.push(check_file(&path, &origin));
                }
                if list.is_empty() {
                    match zone {
                        Some(z) => bail!("no zone file for {z} in {}", s.zones_dir.display()),
                        None => bail!("no *.zone files in {}", s.zones_dir.display()),
                    }
                }
                outcomes(s, Response::Done { outcomes: list })
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn check_file(file: &std::path::Path, origin: &Name) -> ZoneOutcome {
    ZoneOutcome::of_check(origin.to_string(), file, store::load_zone(file, origin))
}

fn call(s: &Settings, req: &Request) -> anyhow::Result<Response> {
    control::call(&s.control, req).map_err(|e| match (&e, super::wrong_control(s)) {
        (ClientError::NotRunning { .. }, Some(message)) => anyhow::anyhow!(message),
        _ => e.into(),
    })
}

fn unexpected(resp: Response) -> anyhow::Result<ExitCode> {
    match resp {
        Response::Error { message } => bail!("{message}"),
        other => bail!("unexpected answer from the server: {other:?}"),
    }
}

/// Prints per-zone outcomes; exit 1 if any failed.
fn outcomes(s: &Settings, resp: Response) -> anyhow::Result<ExitCode> {
    let Response::Done { outcomes } = resp else {
        return unexpected(resp);
    };
    if s.json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
    }
    let mut failed = false;
    for o in &outcomes {
        if !s.json {
            if o.ok {
                println!("{}: {}", o.zone, o.message);
            } else {
                eprintln!("{}: failed: {}", o.zone, o.message);
            }
            for w in &o.warnings {
                eprintln!("{}: warning: {w}", o.zone);
            }
        }
        failed |= !o.ok;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_status(z: &ZoneStatus) {
    let serial = z
        .serial
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".into());
    let loaded = z
        .last_load
        .map(format_utc)
        .unwrap_or_else(|| "never".into());
    println!(
        "[{}] serial: {} | frozen: {} | records: {} | loaded: {} ({}) | file: {}",
        z.zone,
        serial,
        if z.frozen { "yes" } else { "no" },
        z.records,
        loaded,
        z.last_result,
        z.file.display()
    );
    if z.file_missing {
        println!("    file deleted: still serving until `zonectl reload`");
    }
    if z.pending_change {
        println!("    file changed while frozen: `zonectl thaw` will load it");
    }
    if let Some(from) = z.ixfr_from {
        println!(
            "    IXFR: the changes since serial {from} ({} kept); older serials get the whole zone",
            z.ixfr_differences
        );
    }
    if let Some(e) = &z.last_error {
        for line in e.lines() {
            println!("    error: {line}");
        }
    }
    for w in &z.warnings {
        println!("    warning: {w}");
    }
}
