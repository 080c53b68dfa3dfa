//! The command line: clap types and one file per command group. Thin: every verb calls the
//! library (the control client, the store, the server) and prints the result.

mod bimi;
mod control_verbs;
mod dkim;
mod dmarc;
mod dmarc_report;
pub mod edit;
mod lab;
mod mta_sts;
mod relay;
mod report_files;
mod serve;
mod spf;
mod tlsrpt;
mod tsig;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{self, Config};
pub use crate::zone::civil::format_utc;

/// zonectl — an authoritative DNS server and zone manager for SPF, DKIM and DMARC records.
#[derive(Debug, Parser)]
#[command(name = "zonectl", version, about, max_term_width = 100)]
pub struct Cli {
    /// Configuration file (TOML). Flags override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of zone files [default: ./zones].
    #[arg(long, global = true, value_name = "DIR")]
    pub zones_dir: Option<PathBuf>,
    /// Directory of private keys: DKIM keys per zone, TSIG keys in tsig/ [default: ./keys].
    #[arg(long, global = true, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Control socket of the running server [default: ./zonectl.sock].
    #[arg(long, global = true, value_name = "PATH", env = "ZONECTL_CONTROL")]
    pub control: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print what an edit would change and the new serial; change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Where the server answers DNS, to verify edits on the wire
    /// [default: the config's first `listen` address, else 127.0.0.1:5353].
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub server: Option<SocketAddr>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the zones in the zones directory over UDP and TCP.
    Serve(serve::ServeArgs),
    /// Show each zone's serial, state, records, last load and errors.
    #[command(alias = "zone-status")]
    Status(control_verbs::ZoneArg),
    /// Check zone files without serving them (`--file` works with no server running).
    #[command(alias = "zone-check")]
    Check(control_verbs::CheckArgs),
    /// Re-read zone files; a bad file keeps the last good zone serving.
    #[command(alias = "zone-reload")]
    Reload(control_verbs::ReloadArgs),
    /// Stop applying file changes and edits to a zone, so it can be edited by hand.
    #[command(alias = "zone-freeze")]
    Freeze(control_verbs::ZoneArg),
    /// Resume a frozen zone, loading its file if it changed meanwhile.
    #[command(alias = "zone-thaw")]
    Thaw(control_verbs::ZoneArg),
    /// What the server received and answered since it started, by transport and RCODE.
    Stats,
    /// Show, add, replace and delete records; applied to the running server and verified.
    Record(edit::RecordArgs),
    /// Apply a batch of add/set/del lines all or nothing, with one serial bump.
    Apply(edit::ApplyArgs),
    /// Show, bump or set a zone's SOA serial.
    Serial(edit::SerialArgs),
    /// Show, check and edit SPF records, with the DNS lookup budget counted through includes.
    Spf(spf::SpfArgs),
    /// DMARC: show, set, check, a staged rollout with history, authorize, evaluate, and reading
    /// aggregate reports.
    Dmarc(dmarc::DmarcArgs),
    /// Lab hosting: create, reset, diff and list participant zones.
    Lab(lab::LabArgs),
    /// DKIM keys: generate, publish, list, rotate, activate, retire and remove selectors.
    Dkim(dkim::DkimArgs),
    /// TSIG keys for zone transfers and NOTIFY: generate, list (keys/tsig).
    Tsig(tsig::TsigArgs),
    /// MTA-STS (RFC 8461): readiness for `mode: enforce`, publishing a new policy, checking one.
    #[command(name = "mta-sts")]
    MtaSts(mta_sts::MtaStsArgs),
    /// SMTP TLS reports (RFC 8460): what MTA-STS `mode: enforce` would refuse.
    Tlsrpt(tlsrpt::TlsrptArgs),
    /// BIMI: the record shown and set, whether receivers would show the logo, and the logo
    /// checked against SVG Tiny PS.
    Bimi(bimi::BimiArgs),
}

/// Global settings merged from the config file and the flags.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    /// The config file the settings came from (`--config`), if any.
    pub config_path: Option<PathBuf>,
    pub zones_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub control: PathBuf,
    pub json: bool,
}

impl Command {
    /// Whether the command only reads and prints, changing no file and no zone: it may stop
    /// at a closed pipe. (One missing here is relayed, which does no harm.)
    fn only_reads(&self) -> bool {
        use dmarc::{DmarcCommand as D, RolloutAction as R};
        match self {
            Command::Status(_) | Command::Check(_) | Command::Stats => true,
            Command::Record(a) => matches!(a.command, edit::RecordCommand::Show(_)),
            Command::Serial(a) => matches!(a.command, edit::SerialCommand::Show { .. }),
            Command::Spf(a) => matches!(
                a.command,
                spf::SpfCommand::Show(_) | spf::SpfCommand::Check(_)
            ),
            Command::Dmarc(a) => matches!(
                a.command,
                D::Show { .. }
                    | D::Check { .. }
                    | D::Evaluate(_)
                    | D::Report(_)
                    | D::Rollout {
                        action: R::Status | R::Plan,
                        ..
                    }
            ),
            Command::Dkim(a) => matches!(a.command, dkim::DkimCommand::List(_)),
            Command::Lab(a) => matches!(
                a.command,
                lab::LabCommand::Diff { .. } | lab::LabCommand::List
            ),
            Command::Tsig(a) => matches!(a.command, tsig::TsigCommand::List),
            Command::Tlsrpt(_) => true,
            Command::MtaSts(a) => matches!(
                a.command,
                mta_sts::MtaStsCommand::Check(_) | mta_sts::MtaStsCommand::Policy(_)
            ),
            Command::Bimi(a) => matches!(
                a.command,
                bimi::BimiCommand::Show(_)
                    | bimi::BimiCommand::Check(_)
                    | bimi::BimiCommand::Logo(_)
                    | bimi::BimiCommand::Evidence(_)
            ),
            _ => false,
        }
    }
}

impl Cli {
    fn settings(&self) -> anyhow::Result<Settings> {
        let Cli {
            config: config_path,
            zones_dir,
            keys_dir,
            control,
            json,
            // Edit options, read by `edit_options`.
            dry_run: _,
            server: _,
            command: _,
        } = self;
        let config = match config_path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        let zones_dir = zones_dir
            .clone()
            .or_else(|| config.zones_dir.clone())
            .unwrap_or_else(|| config::DEFAULT_ZONES_DIR.into());
        let keys_dir = keys_dir
            .clone()
            .or_else(|| config.keys_dir.clone())
            .unwrap_or_else(|| config::DEFAULT_KEYS_DIR.into());
        let control = control
            .clone()
            .or_else(|| config.control.clone())
            .unwrap_or_else(|| config::DEFAULT_CONTROL.into());
        Ok(Settings {
            config_path: config_path.clone(),
            config,
            zones_dir,
            keys_dir,
            control,
            json: *json,
        })
    }

    /// The edit verbs' options: `--dry-run`, and the DNS address to verify on (`--server`, else
    /// the config's first listen address with a wildcard address made loopback, else
    /// 127.0.0.1:5353).
    fn edit_options(&self, settings: &Settings) -> edit::EditOptions {
        let server = self.server.unwrap_or_else(|| {
            match settings.config.listen.as_ref().and_then(|l| l.first()) {
                Some(addr) if addr.ip().is_unspecified() => {
                    let ip: std::net::IpAddr = if addr.is_ipv4() {
                        std::net::Ipv4Addr::LOCALHOST.into()
                    } else {
                        std::net::Ipv6Addr::LOCALHOST.into()
                    };
                    SocketAddr::new(ip, addr.port())
                }
                Some(addr) => *addr,
                None => config::DEFAULT_LISTEN[0]
                    .parse()
                    .expect("the default address parses"),
            }
        });
        edit::EditOptions {
            dry_run: self.dry_run,
            server,
            force_mx: false,
        }
    }
}

/// Why a command found nothing on the control socket although a server serves the zones
/// directory (it holds its lock): the socket given is not that server's. None if no server
/// serves it.
fn wrong_control(s: &Settings) -> Option<String> {
    crate::store::served_by_a_server(&s.zones_dir).then(|| {
        format!(
            "nothing answers on control socket {}, but a zonectl server serves {} (it holds {}): \
             pass that server's --control PATH (or its --config FILE); nothing was changed",
            s.control.display(),
            s.zones_dir.display(),
            s.zones_dir.join(crate::store::SERVER_LOCK).display()
        )
    })
}

/// Refuses to go on when nothing answers on the control socket but a server serves the zones
/// directory (see [`wrong_control`]): for commands that would otherwise write its files.
fn refuse_wrong_control(s: &Settings) -> anyhow::Result<()> {
    if std::os::unix::net::UnixStream::connect(&s.control).is_err() {
        if let Some(message) = wrong_control(s) {
            anyhow::bail!(message);
        }
    }
    Ok(())
}

/// Asks the server the edit verbs check their edits on (`--server`) for `name`/`rtype`.
fn ask_server(
    server: SocketAddr,
    name: &crate::zone::Name,
    rtype: crate::zone::RType,
) -> anyhow::Result<crate::dnsclient::Response> {
    crate::dnsclient::query(server, name, rtype).map_err(|e| match e {
        crate::dnsclient::QueryError::NoAnswer { .. } => {
            anyhow::anyhow!("{e} (pass --server ADDR:PORT)")
        }
        e => e.into(),
    })
}

/// Parses the command line and runs the command. Usage errors exit 2 (clap), failures 1.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    if cli.dry_run
        && matches!(
            cli.command,
            Command::Serve(_)
                | Command::Reload(_)
                | Command::Freeze(_)
                | Command::Thaw(_)
                | Command::Lab(_)
                | Command::Tsig(_)
        )
    {
        // Silently doing the real thing would be the worst answer to --dry-run.
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--dry-run applies to the edit verbs (record, apply, serial, spf, dmarc, dkim); \
                 serve, reload, freeze, thaw, lab and tsig have no dry run",
            )
            .exit();
    }
    // A command that only reads, piped into `head`, ends quietly when the pipe closes, as Unix
    // tools do, instead of failing to print. One that changes things runs to its end, its
    // output relayed ([`relay`]). (The server keeps Rust's default of ignoring SIGPIPE: a
    // client closing its TCP connection must not stop it.)
    let _relay = match &cli.command {
        Command::Serve(_) => None,
        c if cli.dry_run || c.only_reads() => {
            // SAFETY: setting a signal's disposition to the default has no preconditions.
            unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            }
            None
        }
        _ => Some(relay::Relay::start()),
    };
    let result = cli
        .settings()
        .context("reading the configuration")
        .and_then(|settings| {
            let opts = cli.edit_options(&settings);
            match cli.command {
                Command::Serve(args) => args.run(&settings),
                Command::Status(args) => args.status(&settings),
                Command::Check(args) => args.run(&settings),
                Command::Reload(args) => args.run(&settings),
                Command::Freeze(args) => args.freeze(&settings),
                Command::Thaw(args) => args.thaw(&settings),
                Command::Stats => control_verbs::stats(&settings),
                Command::Record(args) => args.run(&settings, &opts),
                Command::Apply(args) => args.run(&settings, &opts),
                Command::Serial(args) => args.run(&settings, &opts),
                Command::Spf(args) => args.run(&settings, &opts),
                Command::Dmarc(args) => args.run(&settings, &opts),
                Command::Lab(args) => args.run(&settings),
                Command::Dkim(args) => args.run(&settings, &opts),
                Command::Tsig(args) => args.run(&settings),
                Command::MtaSts(args) => args.run(&settings, &opts),
                Command::Tlsrpt(args) => args.run(&settings),
                Command::Bimi(args) => args.run(&settings, &opts),
            }
        });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("zonectl: {err:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_764_370_861), "2025-11-28 23:01:01 UTC");
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    /// clap's help turns `{n}` into a line break, so a placeholder written that way in a doc
    /// comment comes out garbled in `--help`.
    #[test]
    fn no_help_text_holds_what_clap_takes_for_a_line_break() {
        use clap::CommandFactory;
        fn walk(cmd: &clap::Command, path: &str, bad: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            let texts = [cmd.get_about(), cmd.get_long_about()]
                .into_iter()
                .chain(
                    cmd.get_arguments()
                        .flat_map(|a| [a.get_help(), a.get_long_help()]),
                )
                .flatten();
            for text in texts {
                if text.to_string().contains("{n}") {
                    bad.push(format!("{path}: {text}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path, bad);
            }
        }
        let mut bad = Vec::new();
        walk(&Cli::command(), "", &mut bad);
        assert!(bad.is_empty(), "{bad:#?}");
    }
}
