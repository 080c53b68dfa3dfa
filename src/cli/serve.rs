//! `zonectl serve`: run the server in the foreground until SIGTERM/SIGINT.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::Settings;
use crate::config;
use crate::server::{self, ServeOptions};
use crate::wire::AnswerConfig;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to answer on, UDP and TCP; repeat for several
    /// [default: 127.0.0.1:5353 and [::1]:5353].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,
}

impl ServeArgs {
    pub fn run(self, settings: &Settings) -> anyhow::Result<ExitCode> {
        let ServeArgs { listen } = self;
        init_logging();
        let Settings {
            config,
            config_path,
            zones_dir,
            keys_dir,
            control,
            json: _,
        } = settings.clone();
        let listen_where_available = listen.is_empty() && config.listen.is_none();
        let listen = if !listen.is_empty() {
            listen
        } else if let Some(l) = &config.listen {
            l.clone()
        } else {
            config::DEFAULT_LISTEN
                .iter()
                .map(|a| a.parse().expect("default addresses parse"))
                .collect()
        };
        let identity = config
            .server_identity(&hostname())
            .map_err(|e| anyhow::anyhow!("config: {e}"))?;
        let answer = AnswerConfig {
            max_udp_payload: config
                .max_udp_payload
                .unwrap_or(AnswerConfig::default().max_udp_payload)
                .max(512),
            identity: Arc::new(identity),
        };
        let udp_workers = config.udp_workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        let opts = ServeOptions {
            zones_dir,
            keys_dir,
            listen,
            listen_where_available,
            control,
            config,
            config_path,
            answer,
            udp_workers,
            handle_signals: true,
        };
        let handle = server::start(opts)?;
        handle.wait();
        Ok(ExitCode::SUCCESS)
    }
}

/// The host's name, as `uname -n` gives it: the default identity and NSID (Knot's default is
/// the name's fully qualified form).
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info, no per-query lines).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: not in a file, a pipe or the journal.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
