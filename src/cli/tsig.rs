//! `zonectl tsig generate|list`: the TSIG keys (RFC 8945) that sign zone transfers and NOTIFYs,
//! in `keys/tsig/NAME.key` (BIND's key statement, mode 0600). The server reads them at start and
//! at `reload`; `transfer_allow` and `notify` entries name them with `key NAME`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use base64::Engine;
use clap::{Args, Subcommand};
use ring::rand::{SecureRandom, SystemRandom};

use super::Settings;
use crate::config::TSIG_KEYS_DIR;
use crate::dkim::files::{create_private_dir, write_new, FilesError};
use crate::tsig::{key_file_text, Algorithm, Keyring};
use crate::zone::Name;

/// `zonectl tsig …`
#[derive(Debug, Args)]
pub struct TsigArgs {
    #[command(subcommand)]
    pub command: TsigCommand,
}

#[derive(Debug, Subcommand)]
pub enum TsigCommand {
    /// Create a key with a random secret as long as its hash in keys/tsig/NAME.key (mode 0600),
    /// and print it in BIND's, Knot's and NSD's configuration syntax for the secondaries.
    Generate(GenerateArgs),
    /// The keys in keys/tsig: names and algorithms, never secrets.
    List,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The key's name, e.g. xfr.example (letters, digits, '-', '_' and dots).
    pub name: String,
    /// hmac-sha256, hmac-sha384, hmac-sha512, or hmac-sha1 for old secondaries.
    #[arg(long, default_value = "hmac-sha256")]
    pub algorithm: String,
}

impl TsigArgs {
    pub fn run(self, settings: &Settings) -> anyhow::Result<ExitCode> {
        let dir = settings.keys_dir.join(TSIG_KEYS_DIR);
        match self.command {
            TsigCommand::Generate(args) => generate(&dir, &args),
            TsigCommand::List => list(&dir, settings.json),
        }
    }
}

fn generate(dir: &Path, args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let algorithm = Algorithm::from_name(&args.algorithm).ok_or_else(|| {
        anyhow!(
            "unknown algorithm {:?}: use hmac-sha256 (or hmac-sha384, hmac-sha512, hmac-sha1)",
            args.algorithm
        )
    })?;
    let text = args.name.trim_end_matches('.');
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if text.is_empty() || !text.chars().all(plain) {
        bail!(
            "key name {:?}: use letters, digits, '-', '_' and dots, such as xfr.example",
            args.name
        );
    }
    let name = Name::parse(text, Some(&Name::root()))
        .map_err(|e| anyhow!("key name {:?}: {e}", args.name))?;
    let mut secret = vec![0u8; algorithm.mac_len()];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| anyhow!("the system's random source failed"))?;
    create_private_dir(dir)?;
    let path = dir.join(format!("{}.key", text.to_ascii_lowercase()));
    let file = key_file_text(&name, algorithm, &secret);
    match write_new(&path, file.as_bytes(), 0o600) {
        Ok(()) => {}
        Err(FilesError::Exists { path }) => bail!(
            "{} exists already; refusing to overwrite a key the secondaries may use (remove it \
             first to replace it)",
            path.display()
        ),
        Err(e) => return Err(e.into()),
    }
    eprintln!(
        "wrote {} (mode 0600); `zonectl reload` makes a running server read it",
        path.display()
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&secret);
    print!(
        "# BIND (named.conf), also zonectl's own file:\n{file}\
         # Knot (knot.conf):\nkey:\n  - id: {text}\n    algorithm: {algorithm}\n    secret: {b64}\n\
         # NSD (nsd.conf):\nkey:\n\tname: \"{text}\"\n\talgorithm: {algorithm}\n\tsecret: \"{b64}\"\n"
    );
    Ok(ExitCode::SUCCESS)
}

fn list(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let keys = Keyring::load(dir)?;
    if json {
        let list: Vec<_> = keys
            .iter()
            .map(|(k, path)| {
                serde_json::json!({
                    "name": k.name().to_string(),
                    "algorithm": k.algorithm().name(),
                    "file": path,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else if keys.is_empty() {
        println!("no TSIG keys in {}", dir.display());
    } else {
        for (k, path) in keys.iter() {
            println!("{}\t{}\t{}", k.name(), k.algorithm(), path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
