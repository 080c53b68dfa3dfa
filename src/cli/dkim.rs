//! `zonectl dkim keygen|list|rotate|activate|retire|remove`: DKIM keys of a zone.
//!
//! Each verb that changes anything takes the zone's DKIM lock (`dkim::files`), reads the state
//! file, applies a schedule rule (`dkim::state`, pure) with the clock read here, changes the
//! zone only through `cli::edit::edit_zone` (validated, one serial bump, atomic, applied live
//! and verified on the wire, `--dry-run` honoured), and writes the state file last. `keygen`
//! writes the key files *before* publishing (a published key without its private key would be
//! worse than the reverse) and removes them again if publishing fails.
//!
//! The clock is the system's, or `ZONECTL_NOW` (UNIX seconds or `2026-11-29T00:00:00Z`) when
//! set, for tests and for trying a schedule out; a note on stderr says when it is.
//!
//! With `--json`, `dkim list` prints one JSON document; the changing verbs print the edit's
//! JSON report (from the edit path) on stdout and their notes on stderr. Private keys are never
//! printed, only their paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::UNIX_EPOCH;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::edit::{self, EditOptions};
use super::Settings;
use crate::clock;
use crate::control::{self, ClientError, Request};
use crate::dkim::files::{mode_of, ZoneKeys};
use crate::dkim::key::{check_rsa_bits, public_key_bits, RsaBitsVerdict, RSA_DEFAULT_BITS};
use crate::dkim::record::{owner_label, txt_file, valid_selector, DkimRecord, KeyType};
use crate::dkim::state::{
    date_stamp, format_time, format_wait, next_due, parse_time, KeyState, Phase, SelectorEntry,
    DEFAULT_GRACE_SECS,
};
use crate::dkim::PrivateKey;
use crate::dnsclient;
use crate::zone::edit::EditOp;
use crate::zone::{Name, Packed, RType, Zone};

/// `zonectl dkim …`
#[derive(Debug, Args)]
pub struct DkimArgs {
    #[command(subcommand)]
    pub command: DkimCommand,
}

#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Generate a key pair, write keys/ZONE/SEL.private (0600) and SEL.txt, and publish
    /// SEL._domainkey.ZONE TXT.
    Keygen(KeygenArgs),
    /// Every selector published or on disk: algorithm, bits, created, state, what is due next,
    /// and faults. Exit 1 if any fault is found.
    List(ZoneOnly),
    /// Generate and publish a new selector beside the active one, and print the signer
    /// configuration to switch to it.
    Rotate(RotateArgs),
    /// Record that the signer now uses SELECTOR (refused until its record has been served for
    /// its TTL and matches the private key).
    Activate(StepArgs),
    /// Publish the revoked form (v=DKIM1; p=) of a selector no longer in use, once the grace
    /// period after its last use has passed.
    Retire(StepArgs),
    /// Delete a revoked selector's record and its key files.
    Remove(StepArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgorithmArg {
    Rsa,
    Ed25519,
}

impl From<AlgorithmArg> for KeyType {
    fn from(a: AlgorithmArg) -> KeyType {
        match a {
            AlgorithmArg::Rsa => KeyType::Rsa,
            AlgorithmArg::Ed25519 => KeyType::Ed25519,
        }
    }
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The zone (e.g. example.com).
    pub zone: String,
    /// The selector [default: sYYYYMMDD for RSA, eYYYYMMDD for Ed25519 (today, UTC), with -2,
    /// -3… if taken].
    #[arg(long, short)]
    pub selector: Option<String>,
    /// The key algorithm.
    #[arg(long, short, value_enum, default_value = "rsa")]
    pub algorithm: AlgorithmArg,
    /// RSA modulus size: 2048, 3072 or 4096; 1024 only with --force.
    #[arg(long, short)]
    pub bits: Option<usize>,
    /// Allow a 1024-bit RSA key (RFC 8301 calls it weak; some verifiers refuse it).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The zone (e.g. example.com).
    pub zone: String,
    /// The new selector [default: as for keygen].
    #[arg(long, short)]
    pub selector: Option<String>,
    /// The new key's algorithm [default: the active key's].
    #[arg(long, short, value_enum)]
    pub algorithm: Option<AlgorithmArg>,
    /// RSA modulus size [default: the active key's, else 2048].
    #[arg(long, short)]
    pub bits: Option<usize>,
    /// Allow a 1024-bit RSA key.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ZoneOnly {
    /// The zone (e.g. example.com).
    pub zone: String,
}

#[derive(Debug, Args)]
pub struct StepArgs {
    /// The zone (e.g. example.com).
    pub zone: String,
    /// The selector.
    pub selector: String,
    /// Skip the waiting period (TTL or grace) and, for activate, the check on the wire.
    #[arg(long)]
    pub force: bool,
}

impl DkimArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        let clock = Clock::from_env()?;
        match self.command {
            DkimCommand::Keygen(KeygenArgs {
                zone,
                selector,
                algorithm,
                bits,
                force,
            }) => {
                let ctx = Ctx::new(s, o, &zone, clock)?;
                let _lock = ctx.lock()?;
                let state = ctx.keys.read_state()?;
                create_selector(&ctx, state, selector, algorithm.into(), bits, force, None)
            }
            DkimCommand::Rotate(RotateArgs {
                zone,
                selector,
                algorithm,
                bits,
                force,
            }) => {
                let ctx = Ctx::new(s, o, &zone, clock)?;
                let _lock = ctx.lock()?;
                let state = ctx.keys.read_state()?;
                state
                    .check_rotate()
                    .map_err(|e| anyhow!(e).context(format!("{}: rotate refused", ctx.zone)))?;
                let active = state.active().expect("check_rotate: one is active").clone();
                let algorithm = algorithm.map_or(active.algorithm.into(), KeyType::from);
                let bits = bits.or((algorithm == KeyType::Rsa
                    && KeyType::from(active.algorithm) == KeyType::Rsa)
                    .then_some(active.bits));
                create_selector(&ctx, state, selector, algorithm, bits, force, Some(&active))
            }
            DkimCommand::List(ZoneOnly { zone }) => list(&Ctx::new(s, o, &zone, clock)?),
            DkimCommand::Activate(StepArgs {
                zone,
                selector,
                force,
            }) => activate(&Ctx::new(s, o, &zone, clock)?, &selector, force),
            DkimCommand::Retire(StepArgs {
                zone,
                selector,
                force,
            }) => retire(&Ctx::new(s, o, &zone, clock)?, &selector, force),
            DkimCommand::Remove(StepArgs {
                zone,
                selector,
                force,
            }) => remove(&Ctx::new(s, o, &zone, clock)?, &selector, force),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Context

/// The clock every schedule rule is given.
#[derive(Debug, Clone, Copy)]
struct Clock {
    now: i64,
}

impl Clock {
    fn from_env() -> anyhow::Result<Clock> {
        match std::env::var("ZONECTL_NOW") {
            Ok(text) if !text.is_empty() => {
                let now = text
                    .parse::<i64>()
                    .ok()
                    .map_or_else(|| parse_time(&text), Ok)
                    .with_context(|| {
                        format!("ZONECTL_NOW={text}: expected UNIX seconds or 2026-11-29T00:00:00Z")
                    })?;
                eprintln!(
                    "zonectl: the clock reads {} (ZONECTL_NOW)",
                    format_time(now)
                );
                Ok(Clock { now })
            }
            _ => Ok(Clock {
                now: clock::unix_now(),
            }),
        }
    }
}

/// What every verb needs about the zone.
struct Ctx<'a> {
    s: &'a Settings,
    o: &'a EditOptions,
    /// As typed (for edit_zone).
    zone_arg: String,
    origin: Name,
    /// Lower-cased, without the final dot.
    zone: String,
    keys: ZoneKeys,
    now: i64,
    grace: i64,
}

impl<'a> Ctx<'a> {
    fn new(s: &'a Settings, o: &'a EditOptions, zone: &str, clock: Clock) -> anyhow::Result<Self> {
        let origin = Name::parse(&format!("{}.", zone.trim_end_matches('.')), None)
            .with_context(|| format!("{zone} is not a valid zone name"))?
            .to_lowercase();
        let keys = ZoneKeys::new(&s.keys_dir, &origin);
        let grace = s
            .config
            .dkim_grace_days
            .map_or(DEFAULT_GRACE_SECS, |d| i64::from(d) * 86_400);
        Ok(Ctx {
            s,
            o,
            zone_arg: zone.to_owned(),
            zone: keys.zone.clone(),
            origin,
            keys,
            now: clock.now,
            grace,
        })
    }

    fn lock(&self) -> anyhow::Result<Option<crate::store::ZoneLock>> {
        if self.o.dry_run {
            // A dry run creates nothing, not even the keys directory.
            return Ok(None);
        }
        let lock = self.keys.lock(&self.origin, |path| {
            eprintln!(
                "zonectl: waiting for another `zonectl dkim` on {} (lock {})",
                self.zone,
                path.display()
            );
        })?;
        Ok(Some(lock))
    }

    fn zone_data(&self) -> anyhow::Result<Zone> {
        edit::zone_data(self.s, &self.zone_arg)
    }

    fn owner(&self, selector: &str) -> anyhow::Result<Name> {
        Name::parse(&owner_label(selector), Some(&self.origin))
            .with_context(|| format!("selector {selector} does not make a valid name"))
    }

    fn edit(&self, ops: Vec<EditOp>) -> anyhow::Result<ExitCode> {
        edit::edit_zone(self.s, self.o, &self.zone_arg, ops)
    }

    /// Human notes: stdout, or stderr under `--json` (stdout holds the edit's JSON report).
    fn note(&self, text: &str) {
        if self.s.json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }

    /// Does a server answer on the control socket? (Then edits are served and can be checked
    /// on the wire; otherwise only the file changed.)
    fn server_runs(&self) -> bool {
        let request = Request::Status {
            zone: Some(self.origin.to_string()),
        };
        !matches!(
            control::call(&self.s.control, &request),
            Err(ClientError::NotRunning { .. })
        )
    }

    /// The TXT RDATAs and TTL served for `owner`, asked at `--server`.
    fn served_txt(&self, owner: &Name) -> anyhow::Result<(Vec<Vec<u8>>, Option<u32>)> {
        let resp = super::ask_server(self.o.server, owner, RType::TXT)?;
        let recs: Vec<&dnsclient::Record> = resp
            .answer
            .iter()
            .filter(|r| r.rtype == RType::TXT && r.owner.eq_ignore_case(owner))
            .collect();
        Ok((
            recs.iter().map(|r| r.rdata.clone()).collect(),
            recs.first().map(|r| r.ttl),
        ))
    }

    fn save(&self, state: &KeyState) -> anyhow::Result<()> {
        self.keys
            .write_state(state)
            .with_context(|| format!("{}: writing the DKIM state file", self.zone))
    }
}

// ---------------------------------------------------------------------------------------------
// keygen and rotate

/// The TXT records at `owner` in `zone`.
fn txt_at<'z>(zone: &'z Zone, owner: &Name) -> Option<(u32, Packed<'z>)> {
    zone.node(owner.to_lowercase().as_wire())
        .and_then(|n| n.get(RType::TXT))
        .map(|set| (set.ttl, set.rdatas()))
}

/// A default selector: `sYYYYMMDD` (RSA) or `eYYYYMMDD` (Ed25519) for today (UTC), then `-2`,
/// `-3`… while that one is taken.
fn default_selector(alg: KeyType, now: i64, taken: impl Fn(&str) -> bool) -> Option<String> {
    let base = format!(
        "{}{}",
        match alg {
            KeyType::Rsa => "s",
            KeyType::Ed25519 => "e",
        },
        date_stamp(now)
    );
    std::iter::once(base.clone())
        .chain((2..100).map(|n| format!("{base}-{n}")))
        .find(|s| !taken(s))
}

#[allow(clippy::too_many_arguments)]
fn create_selector(
    ctx: &Ctx<'_>,
    mut state: KeyState,
    selector: Option<String>,
    algorithm: KeyType,
    bits: Option<usize>,
    force: bool,
    replacing: Option<&SelectorEntry>,
) -> anyhow::Result<ExitCode> {
    let zone = ctx.zone_data()?;
    let on_disk = ctx.keys.selectors_on_disk()?;
    let taken = |sel: &str| -> bool {
        state.get(sel).is_some()
            || on_disk.iter().any(|d| d.eq_ignore_ascii_case(sel))
            || ctx.keys.private_path(sel).exists()
            || ctx.keys.txt_path(sel).exists()
            || ctx
                .owner(sel)
                .is_ok_and(|o| zone.node(o.to_lowercase().as_wire()).is_some())
    };
    let selector = match selector {
        Some(sel) => {
            if !valid_selector(&sel) {
                bail!(
                    "selector '{sel}': use one DNS label of letters, digits and hyphens (at most \
                     63), e.g. s20261129"
                );
            }
            if taken(&sel) {
                bail!(
                    "{}: selector {sel} exists already (in the state file, in {} or in the \
                     zone); refusing to overwrite a key or a record: pick another --selector",
                    ctx.zone,
                    ctx.keys.dir.display()
                );
            }
            sel
        }
        None => default_selector(algorithm, ctx.now, taken)
            .ok_or_else(|| anyhow!("no free default selector for today: pass --selector"))?,
    };
    let bits = match algorithm {
        KeyType::Rsa => {
            let bits = bits.unwrap_or(RSA_DEFAULT_BITS);
            if check_rsa_bits(bits, force)? == RsaBitsVerdict::Weak {
                eprintln!(
                    "zonectl: warning: a 1024-bit RSA key is weak (RFC 8301 §3.2): some \
                     verifiers treat its signatures as failed; use 2048 or more"
                );
            }
            bits
        }
        KeyType::Ed25519 => {
            if bits.is_some_and(|b| b != 256) {
                bail!("--bits applies to RSA keys; an Ed25519 key is always 256 bits");
            }
            256
        }
    };
    let owner = ctx.owner(&selector)?;

    let key = match algorithm {
        KeyType::Rsa => {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
            PrivateKey::generate_rsa(bits, threads)?
        }
        KeyType::Ed25519 => PrivateKey::generate_ed25519()?,
    };
    let record = key.record();
    let op = EditOp::Add {
        owner: owner.clone(),
        rtype: RType::TXT,
        ttl: None,
        rdata: record.to_rdata(),
    };
    if ctx.o.dry_run {
        ctx.note(&format!(
            "dry run: would write {} (0600) and {}, then publish:",
            ctx.keys.private_path(&selector).display(),
            ctx.keys.txt_path(&selector).display()
        ));
        return ctx.edit(vec![op]);
    }

    // Key files and state first, so a published key always has its private key.
    ctx.keys.create_dirs()?;
    let private = ctx.keys.write_private(&selector, &key.to_pem())?;
    let written = (|| -> anyhow::Result<PathBuf> {
        let txt = ctx
            .keys
            .write_txt(&selector, &txt_file(&selector, &ctx.zone, &record))?;
        state.add(SelectorEntry::new(&selector, algorithm, bits, ctx.now))?;
        ctx.save(&state)?;
        Ok(txt)
    })();
    let published = written.and_then(|txt| ctx.edit(vec![op]).map(|code| (txt, code)));
    let (txt, code) = match published {
        Ok(ok) => ok,
        Err(e) => {
            // Nothing is published: take the new files back so the selector can be retried.
            let _ = ctx.keys.remove_files(&selector);
            state.forget_unpublished(&selector);
            let _ = ctx.save(&state);
            return Err(e.context(format!(
                "{}: selector {selector} was not published; its key files were removed",
                ctx.zone
            )));
        }
    };

    // The TTL a resolver may cache: the TXT TTL as served (or as in the file with no server),
    // or the zone's negative TTL if longer (an NXDOMAIN cached before the record existed).
    let after = ctx.zone_data()?;
    let negative = after.soa().map_or(0, |soa| soa.ttl.min(soa.minimum));
    let served_ttl = if ctx.server_runs() {
        ctx.served_txt(&owner).ok().and_then(|(_, ttl)| ttl)
    } else {
        None
    };
    let ttl = served_ttl
        .or_else(|| txt_at(&after, &owner).map(|(ttl, _)| ttl))
        .unwrap_or(0)
        .max(negative);
    state.mark_published(&selector, ctx.now, ttl)?;
    ctx.save(&state)?;

    ctx.note(&format!(
        "key: {} ({} {bits} bits, mode 0600)\nrecord: {}",
        private.display(),
        algorithm,
        txt.display()
    ));
    ctx.note(&format!(
        "{selector} is published; the signer may use it from {} (its TTL, {ttl} s, from now): \
         then `zonectl dkim activate {} {selector}`",
        format_time(ctx.now + i64::from(ttl)),
        ctx.zone
    ));
    ctx.note(&signer_config(
        ctx, &selector, &private, algorithm, replacing,
    ));
    Ok(code)
}

/// What to change in the signer to sign with `selector`: OpenDKIM KeyTable/SigningTable lines
/// and an Rspamd `dkim_signing` snippet.
fn signer_config(
    ctx: &Ctx<'_>,
    selector: &str,
    private: &Path,
    algorithm: KeyType,
    replacing: Option<&SelectorEntry>,
) -> String {
    let path = std::fs::canonicalize(private).unwrap_or_else(|_| private.to_path_buf());
    let path = path.display();
    let zone = &ctx.zone;
    let mut out = String::new();
    if let Some(old) = replacing {
        out.push_str(&format!(
            "\nTo switch the signer from {} to {selector}, replace its lines with these:\n",
            old.name
        ));
    } else {
        out.push_str(&format!("\nTo sign with {selector}:\n"));
    }
    out.push_str(&format!(
        "  OpenDKIM KeyTable:\n    {selector}._domainkey.{zone} {zone}:{selector}:{path}\n\
         \x20 OpenDKIM SigningTable (refile: form):\n    *@{zone} {selector}._domainkey.{zone}\n\
         \x20 Rspamd local.d/dkim_signing.conf:\n\
         \x20   domain {{\n\
         \x20     {zone} {{\n\
         \x20       selectors [ {{ path = \"{path}\"; selector = \"{selector}\"; }} ];\n\
         \x20     }}\n\
         \x20   }}\n"
    ));
    if algorithm == KeyType::Ed25519 {
        out.push_str(
            "  Ed25519: OpenSSL reads the PEM file as it is; dkimpy and older Rspamd want \
             the raw key in base64 (README \"DKIM\").\n",
        );
    }
    out.push_str(&format!(
        "Once the signer uses it (after the TTL): zonectl dkim activate {zone} {selector}"
    ));
    out
}

// ---------------------------------------------------------------------------------------------
// activate, retire, remove

fn activate(ctx: &Ctx<'_>, selector: &str, force: bool) -> anyhow::Result<ExitCode> {
    let _lock = ctx.lock()?;
    let mut state = ctx.keys.read_state()?;
    let refused = || format!("{}: activate {selector} refused", ctx.zone);
    // The check on the wire: the server answers the key of SEL.private.
    if !force {
        let entry = state
            .get(selector)
            .ok_or_else(|| anyhow!("no selector {selector} in the state file"))
            .with_context(refused)?;
        let key = read_key(&ctx.keys.private_path(&entry.name)).with_context(refused)?;
        let owner = ctx.owner(&entry.name)?;
        let (served, _) = ctx.served_txt(&owner).with_context(|| {
            format!(
                "{}: the record of {selector} could not be checked on {} (--force skips this)",
                refused(),
                ctx.o.server
            )
        })?;
        let matches = served
            .iter()
            .any(|rd| DkimRecord::from_rdata(rd).is_ok_and(|r| r.public_key == key.public_key()));
        if !matches {
            bail!(
                "{}: {} does not serve the public key of {} at {owner} (--force skips this)",
                refused(),
                ctx.o.server,
                ctx.keys.private_path(&entry.name).display()
            );
        }
    }
    let previous = state
        .activate(selector, ctx.now, force)
        .map_err(|e| anyhow!(e).context(refused()))?;
    let name = state.get(selector).map_or(selector, |e| &e.name).to_owned();
    if ctx.o.dry_run {
        ctx.note(&format!(
            "dry run: {name} would become active; nothing written"
        ));
        return Ok(ExitCode::SUCCESS);
    }
    ctx.save(&state)?;
    ctx.note(&format!(
        "{}: {name} is the active selector since {}",
        ctx.zone,
        format_time(ctx.now)
    ));
    if let Some(prev) = previous {
        ctx.note(&format!(
            "{prev} is inactive: retire it from {} (grace {}): zonectl dkim retire {} {prev}",
            format_time(ctx.now + ctx.grace),
            format_wait(ctx.grace),
            ctx.zone
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn retire(ctx: &Ctx<'_>, selector: &str, force: bool) -> anyhow::Result<ExitCode> {
    let _lock = ctx.lock()?;
    let mut state = ctx.keys.read_state()?;
    state
        .retire(selector, ctx.now, ctx.grace, force)
        .map_err(|e| anyhow!(e).context(format!("{}: retire {selector} refused", ctx.zone)))?;
    let entry = state.get(selector).expect("retire found it").clone();
    let revoked = DkimRecord::new(entry.algorithm.into(), Vec::new());
    let code = ctx.edit(vec![EditOp::Set {
        owner: ctx.owner(&entry.name)?,
        rtype: RType::TXT,
        ttl: None,
        rdatas: vec![revoked.to_rdata()],
    }])?;
    if ctx.o.dry_run {
        return Ok(code);
    }
    ctx.save(&state)?;
    ctx.note(&format!(
        "{} is revoked (\"{}\"); remove its record from {}: zonectl dkim remove {} {}",
        entry.name,
        revoked.to_value(),
        format_time(ctx.now + i64::from(entry.ttl)),
        ctx.zone,
        entry.name
    ));
    Ok(code)
}

fn remove(ctx: &Ctx<'_>, selector: &str, force: bool) -> anyhow::Result<ExitCode> {
    let _lock = ctx.lock()?;
    let mut state = ctx.keys.read_state()?;
    state
        .remove(selector, ctx.now, force)
        .map_err(|e| anyhow!(e).context(format!("{}: remove {selector} refused", ctx.zone)))?;
    let name = state.get(selector).expect("remove found it").name.clone();
    let owner = ctx.owner(&name)?;
    let in_zone = txt_at(&ctx.zone_data()?, &owner).is_some();
    let code = if in_zone {
        ctx.edit(vec![EditOp::Del {
            owner,
            rtype: Some(RType::TXT),
            rdata: None,
        }])?
    } else {
        ctx.note(&format!("{name}: no record left in the zone"));
        ExitCode::SUCCESS
    };
    if ctx.o.dry_run {
        ctx.note(&format!(
            "dry run: would delete {} and {}",
            ctx.keys.private_path(&name).display(),
            ctx.keys.txt_path(&name).display()
        ));
        return Ok(code);
    }
    let removed = ctx.keys.remove_files(&name)?;
    ctx.save(&state)?;
    for path in removed {
        ctx.note(&format!("deleted {}", path.display()));
    }
    ctx.note(&format!(
        "{name} is removed (kept in the state file as history)"
    ));
    Ok(code)
}

fn read_key(path: &Path) -> anyhow::Result<PrivateKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    PrivateKey::from_pem(&text).with_context(|| format!("{}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// list

/// One selector as `dkim list` shows it.
#[derive(Debug, Serialize)]
struct Row {
    selector: String,
    algorithm: Option<String>,
    bits: Option<usize>,
    created: Option<String>,
    /// `created`, `published`, `active`, `inactive`, `revoked`, `removed`; for a selector not
    /// in the state file, what the zone and the disk show (`published (unmanaged)`…).
    state: String,
    published: Option<String>,
    activated: Option<String>,
    deactivated: Option<String>,
    revoked: Option<String>,
    removed: Option<String>,
    /// The record as published (public data), joined.
    record: Option<String>,
    /// The private key's path (never its content).
    private_key: Option<PathBuf>,
    key_mode: Option<String>,
    next: Option<Next>,
    faults: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Next {
    action: &'static str,
    at: String,
    /// Allowed (or, for rotate, advised) now.
    due_now: bool,
}

#[derive(Debug, Serialize)]
struct ListReport {
    zone: String,
    keys_dir: PathBuf,
    state_file: PathBuf,
    now: String,
    grace_seconds: i64,
    selectors: Vec<Row>,
    /// Faults not tied to a selector (the keys directory's permissions, the state file).
    faults: Vec<String>,
}

fn list(ctx: &Ctx<'_>) -> anyhow::Result<ExitCode> {
    let zone = ctx.zone_data()?;
    let mut zone_faults = Vec::new();
    let state = match ctx.keys.read_state() {
        Ok(s) => s,
        Err(e) => {
            zone_faults.push(format!("state file unreadable: {e}"));
            KeyState::new(&ctx.zone)
        }
    };
    if let Some(mode) = mode_of(&ctx.keys.dir)? {
        if mode & 0o077 != 0 {
            zone_faults.push(format!(
                "key directory permissions too open: {} is {mode:04o}, want 0700",
                ctx.keys.dir.display()
            ));
        }
    }

    // Every selector: in the state file, on disk, or published under _domainkey.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for e in &state.selectors {
        names.insert(e.name.to_ascii_lowercase(), e.name.clone());
    }
    for sel in ctx.keys.selectors_on_disk()? {
        names.entry(sel.to_ascii_lowercase()).or_insert(sel);
    }
    let domainkey = Name::parse("_domainkey", Some(&ctx.origin))?.to_lowercase();
    for (owner, node) in zone.nodes() {
        if node.get(RType::TXT).is_some()
            && owner.is_subdomain_of(&domainkey)
            && *owner != domainkey
        {
            let rel = owner.to_relative_string(&domainkey);
            names.entry(rel.to_ascii_lowercase()).or_insert(rel);
        }
    }

    let rows: Vec<Row> = names
        .values()
        .map(|sel| row(ctx, &zone, &state, sel))
        .collect::<anyhow::Result<_>>()?;
    let faulty = !zone_faults.is_empty() || rows.iter().any(|r| !r.faults.is_empty());
    let report = ListReport {
        zone: ctx.zone.clone(),
        keys_dir: ctx.keys.dir.clone(),
        state_file: ctx.keys.state_path(),
        now: format_time(ctx.now),
        grace_seconds: ctx.grace,
        selectors: rows,
        faults: zone_faults,
    };
    if ctx.s.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_list(&report);
    }
    Ok(if faulty {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn row(ctx: &Ctx<'_>, zone: &Zone, state: &KeyState, sel: &str) -> anyhow::Result<Row> {
    let entry = state.get(sel);
    let mut faults = Vec::new();

    // The record.
    let owner = ctx.owner(sel)?;
    let txts = txt_at(zone, &owner);
    let mut record: Option<DkimRecord> = None;
    let mut record_text = None;
    if let Some((_, rdatas)) = txts {
        if rdatas.len() > 1 {
            faults.push(format!(
                "{} TXT records at {owner}: verifiers take one key record per selector",
                rdatas.len()
            ));
        }
        let rd = rdatas.first().expect("an RRset has a record");
        record_text = crate::zone::rdata::txt_strings(rd)
            .map(|s| String::from_utf8_lossy(&s.concat()).into_owned());
        match DkimRecord::from_rdata(rd) {
            Ok(r) => {
                if !r.is_revoked() {
                    if let Err(e) = public_key_bits(r.key_type, &r.public_key) {
                        faults.push(format!("record unparseable: {e}"));
                    }
                }
                record = Some(r);
            }
            Err(e) => faults.push(format!("record unparseable: {e}")),
        }
    }

    // The private key.
    let path = ctx.keys.private_path(entry.map_or(sel, |e| &e.name));
    let mode = mode_of(&path)?;
    let mut key = None;
    if let Some(mode) = mode {
        if mode & 0o077 != 0 {
            faults.push(format!(
                "key permissions too open: {} is {mode:04o}, want 0600",
                path.display()
            ));
        }
        match read_key(&path) {
            Ok(k) => key = Some(k),
            Err(e) => faults.push(format!("private key unreadable: {e:#}")),
        }
    }

    let phase = entry.map(SelectorEntry::phase);
    let live = record.as_ref().is_some_and(|r| !r.is_revoked());
    if live && mode.is_none() {
        faults.push(format!(
            "private key missing: {} does not exist",
            path.display()
        ));
    }
    if let (Some(r), Some(k)) = (&record, &key) {
        if !r.is_revoked() && (r.public_key != k.public_key() || r.key_type != k.algorithm()) {
            faults.push(format!(
                "published key does not match the private key {}",
                path.display()
            ));
        }
    }
    match phase {
        Some(Phase::Published | Phase::Active | Phase::Inactive) if record.is_none() => {
            faults.push(format!(
                "the state file says published, but the zone has no TXT at {owner}"
            ));
        }
        Some(Phase::Published | Phase::Active | Phase::Inactive)
            if record.as_ref().is_some_and(DkimRecord::is_revoked) =>
        {
            faults.push(
                "the zone publishes the revoked form, but the state file says it is live".into(),
            );
        }
        Some(Phase::Revoked) if live => {
            faults.push("the state file says revoked, but the zone still publishes a key".into());
        }
        Some(Phase::Removed) if txts.is_some() => {
            faults.push("the state file says removed, but the zone still has its record".into());
        }
        _ => {}
    }

    let state_text = match (phase, &record, txts.is_some()) {
        (Some(p), _, _) => p.to_string(),
        (None, Some(r), _) if r.is_revoked() => "revoked (unmanaged)".into(),
        // A TXT record is there, parseable or not.
        (None, _, true) => "published (unmanaged)".into(),
        (None, _, false) => "on disk only (unmanaged)".into(),
    };
    let (algorithm, bits) = match (entry, &key, &record) {
        (Some(e), _, _) => (Some(KeyType::from(e.algorithm)), Some(e.bits)),
        (None, Some(k), _) => (Some(k.algorithm()), Some(k.bits())),
        (None, None, Some(r)) if !r.is_revoked() => (
            Some(r.key_type),
            public_key_bits(r.key_type, &r.public_key).ok(),
        ),
        (None, None, Some(r)) => (Some(r.key_type), None),
        (None, None, None) => (None, None),
    };
    let next = match entry {
        Some(e) => next_due(e, ctx.grace)?.map(|d| Next {
            action: d.action,
            at: format_time(d.at),
            due_now: ctx.now >= d.at,
        }),
        None => None,
    };
    Ok(Row {
        selector: entry.map_or(sel, |e| &e.name).to_owned(),
        algorithm: algorithm.map(|a| a.to_string()),
        bits,
        // Not in the state file: when the key file was last written, if there is one.
        created: entry.map(|e| e.created.clone()).or_else(|| {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            let secs = modified.duration_since(UNIX_EPOCH).ok()?.as_secs();
            Some(format_time(secs as i64))
        }),
        state: state_text,
        published: entry.and_then(|e| e.published.clone()),
        activated: entry.and_then(|e| e.activated.clone()),
        deactivated: entry.and_then(|e| e.deactivated.clone()),
        revoked: entry.and_then(|e| e.revoked.clone()),
        removed: entry.and_then(|e| e.removed.clone()),
        record: record_text,
        private_key: mode.map(|_| path.clone()),
        key_mode: mode.map(|m| format!("{m:04o}")),
        next,
        faults,
    })
}

fn print_list(r: &ListReport) {
    println!(
        "{}: {} selector(s); keys in {}, state in {}",
        r.zone,
        r.selectors.len(),
        r.keys_dir.display(),
        r.state_file.display()
    );
    for f in &r.faults {
        println!("fault: {f}");
    }
    if r.selectors.is_empty() {
        println!(
            "no DKIM selectors: `zonectl dkim keygen {}` makes one",
            r.zone
        );
        return;
    }
    let width = r
        .selectors
        .iter()
        .map(|s| s.selector.len())
        .max()
        .unwrap_or(0)
        .max("SELECTOR".len());
    println!(
        "{:<width$}  {:<7}  {:>4}  {:<20}  {:<9}  NEXT",
        "SELECTOR", "ALG", "BITS", "CREATED", "STATE"
    );
    for s in &r.selectors {
        let next = s.next.as_ref().map_or_else(
            || "-".to_owned(),
            |n| {
                format!(
                    "{} {} {}",
                    n.action,
                    if n.due_now { "due since" } else { "from" },
                    n.at
                )
            },
        );
        println!(
            "{:<width$}  {:<7}  {:>4}  {:<20}  {:<9}  {next}",
            s.selector,
            s.algorithm.as_deref().unwrap_or("?"),
            s.bits.map_or_else(|| "?".to_owned(), |b| b.to_string()),
            s.created.as_deref().unwrap_or("-"),
            s.state,
        );
        for f in &s.faults {
            println!("  fault: {f}");
        }
    }
    let mut due: Vec<(&str, &Next)> = r
        .selectors
        .iter()
        .filter_map(|s| s.next.as_ref().map(|n| (s.selector.as_str(), n)))
        .filter(|(_, n)| n.action != "rotate" || n.due_now)
        .collect();
    due.sort_by(|a, b| a.1.at.cmp(&b.1.at));
    match due.first() {
        Some((sel, n)) if n.due_now => println!("next: {} {sel} (now)", n.action),
        Some((sel, n)) => println!("next: {} {sel} from {}", n.action, n.at),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_selectors_are_dated_and_skip_taken_ones() {
        let now = 1_795_910_400; // 2026-11-29
        assert_eq!(
            default_selector(KeyType::Rsa, now, |_| false).unwrap(),
            "s20261129"
        );
        assert_eq!(
            default_selector(KeyType::Ed25519, now, |_| false).unwrap(),
            "e20261129"
        );
        let taken = ["s20261129", "s20261129-2"];
        assert_eq!(
            default_selector(KeyType::Rsa, now, |s| taken.contains(&s)).unwrap(),
            "s20261129-3"
        );
        assert!(default_selector(KeyType::Rsa, now, |_| true).is_none());
    }
}
