//! `zonectl lab create|reset|diff|list`: many participant zones on one server.
//!
//! Each lab zone's template (as expanded for it at `create`) is kept in
//! `ZONES_DIR/.lab/ORIGIN.zone`: `reset` writes it back with a serial that still increases, and
//! `diff` compares the zone with it. Owners go into the config file as `[[zone]]` entries, which
//! a running server reads again on `reload` of every zone (sent by `create`). The pure rules
//! (names, placeholders, diff) are `crate::lab`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::Settings;
use crate::clock;
use crate::control::{self, ClientError, Request, Response, ZoneOutcome, ZoneStatus};
use crate::lab::{self, Numbering, Participant};
use crate::store;
use crate::zone::serial::{next_serial, SerialPolicy};
use crate::zone::Name;

/// `zonectl lab …`
#[derive(Debug, Args)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Write PREFIX001.PARENT … from a template, record their owners in the config, and have a
    /// running server serve them.
    Create(CreateArgs),
    /// Put a lab zone (or every one) back to its template, with a serial that still increases.
    Reset {
        /// The zone (e.g. m001.mail.example).
        #[arg(required_unless_present = "all")]
        zone: Option<String>,
        /// Every lab zone.
        #[arg(long, conflicts_with = "zone")]
        all: bool,
    },
    /// What the participant changed against the template, record by record (exit 1 if
    /// anything did, like diff).
    Diff {
        /// The zone (e.g. m001.mail.example).
        zone: String,
    },
    /// Every lab zone: owner, serial, frozen or not, DMARC stage, last change.
    List,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Zone names start with this (`m` gives m001.PARENT …).
    #[arg(long)]
    pub prefix: String,
    /// How many zones.
    #[arg(long)]
    pub count: u32,
    /// The domain the zones are under (e.g. mail.example).
    #[arg(long)]
    pub parent: String,
    /// The first number.
    #[arg(long, default_value_t = 1)]
    pub start: u32,
    /// Digits of the number, zero-padded.
    #[arg(long, default_value_t = 3)]
    pub width: usize,
    /// A zone file with placeholders in braces: zone, n, num, a, hex, serial (README "Lab
    /// hosting") [default: the shape of the shipped example zones].
    // (Not `{n}` itself: clap turns it into a line break in the help.)
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Each zone's owner, a Unix user name or uid with the participant's number, as n or num in
    /// braces (e.g. 'user{num}' gives user007 with --width 3): recorded in the config
    /// (--config FILE), and the zone file made theirs.
    #[arg(long, value_name = "PATTERN")]
    pub owner_pattern: Option<String>,
}

impl LabArgs {
    pub fn run(self, s: &Settings) -> anyhow::Result<ExitCode> {
        match self.command {
            LabCommand::Create(args) => create(s, args),
            LabCommand::Reset { zone, all } => reset(s, zone, all),
            LabCommand::Diff { zone } => diff(s, &zone),
            LabCommand::List => list(s),
        }
    }
}

fn lab_dir(s: &Settings) -> PathBuf {
    s.zones_dir.join(".lab")
}

fn template_path(s: &Settings, origin: &Name) -> PathBuf {
    lab_dir(s).join(format!("{}zone", origin.to_lowercase()))
}

fn zone_file(s: &Settings, origin: &Name) -> PathBuf {
    let text = origin.to_lowercase().to_string();
    s.zones_dir
        .join(format!("{}.zone", text.trim_end_matches('.')))
}

fn origin_of(zone: &str) -> anyhow::Result<Name> {
    Name::parse(&format!("{}.", zone.trim_end_matches('.')), None)
        .with_context(|| format!("{zone} is not a valid zone name"))
}

/// A control request to a running server; `None` when no server runs.
fn ask(s: &Settings, request: &Request) -> anyhow::Result<Option<Response>> {
    match control::call(&s.control, request) {
        Ok(r) => Ok(Some(r)),
        Err(ClientError::NotRunning { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The outcomes of a `Done` answer; an `Error` answer is an error.
fn outcomes(r: Response) -> anyhow::Result<Vec<ZoneOutcome>> {
    match r {
        Response::Done { outcomes } => Ok(outcomes),
        Response::Error { message } => bail!("{message}"),
        other => bail!("unexpected answer from the server: {other:?}"),
    }
}

/// Writes a new file through a temporary one and a rename (never half-written), with `mode` and,
/// when given, owner `uid`. The directory is fsynced once by the caller.
fn write_new(path: &Path, bytes: &[u8], mode: u32, uid: Option<u32>) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if let Some(uid) = uid {
            std::os::unix::fs::fchown(&f, Some(uid), None)?;
        }
        f.sync_data()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

// ---------------------------------------------------------------------------------------------
// create

fn create(s: &Settings, args: CreateArgs) -> anyhow::Result<ExitCode> {
    super::refuse_wrong_control(s)?;
    let started = Instant::now();
    let CreateArgs {
        prefix,
        count,
        parent,
        start,
        width,
        template,
        owner_pattern,
    } = args;
    let numbering = Numbering {
        prefix,
        parent,
        start,
        count,
        width,
    };
    let participants = numbering.participants().map_err(|e| anyhow!(e))?;
    let template_text = match &template {
        Some(path) => fs::read_to_string(path)
            .with_context(|| format!("reading the template {}", path.display()))?,
        None => lab::DEFAULT_TEMPLATE.to_owned(),
    };
    let template_name = template.as_ref().map_or_else(
        || "the default template".to_owned(),
        |p| p.display().to_string(),
    );
    let serial = next_serial(SerialPolicy::Dateserial, 0, clock::unix_now());

    // Everything is checked before anything is written.
    let config_path = match (&owner_pattern, &s.config_path) {
        (Some(_), None) => bail!(
            "--owner-pattern records each zone's owner in the config file: pass --config FILE \
             (the file the server is started with); nothing was created"
        ),
        (_, path) => path.clone(),
    };
    struct Planned {
        p: Participant,
        text: String,
        owner: Option<(String, u32)>,
    }
    let mut planned = Vec::with_capacity(participants.len());
    let mut exists = Vec::new();
    for p in participants {
        let text = lab::expand(&template_text, &p, serial)
            .map_err(|e| anyhow!("{template_name}: {e}; nothing was created"))?;
        lab::check_expanded(&text, &p.origin).map_err(|e| {
            anyhow!(
                "{template_name} expanded for {} does not make a valid zone: {e}; nothing was \
                 created",
                p.origin
            )
        })?;
        let owner = match &owner_pattern {
            Some(pattern) => {
                let owner = lab::owner_for(pattern, &p).map_err(|e| anyhow!(e))?;
                let uid = crate::users::uid_of(&owner).ok_or_else(|| {
                    anyhow!(
                        "user {owner:?} (from --owner-pattern for {}) does not exist on this \
                         system: create the users first (useradd), or give uids; nothing was \
                         created",
                        p.origin
                    )
                })?;
                Some((owner, uid))
            }
            None => None,
        };
        if zone_file(s, &p.origin).exists()
            || template_path(s, &p.origin).exists()
            || s.config.zone(&p.origin.to_string()).is_some()
        {
            exists.push(p.origin.to_string());
        }
        planned.push(Planned { p, text, owner });
    }
    if !exists.is_empty() {
        let more = if exists.len() > 5 {
            format!(" and {} more", exists.len() - 5)
        } else {
            String::new()
        };
        bail!(
            "{}{more} exist already (a zone file, a lab template or a config entry): `zonectl \
             lab reset` puts a lab zone back to its template; nothing was created",
            exists[..exists.len().min(5)].join(", ")
        );
    }

    fs::create_dir_all(lab_dir(s)).with_context(|| format!("creating {}", lab_dir(s).display()))?;
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for z in &planned {
            let t = template_path(s, &z.p.origin);
            write_new(&t, z.text.as_bytes(), 0o644, None)
                .with_context(|| format!("writing {}", t.display()))?;
            written.push(t);
            let f = zone_file(s, &z.p.origin);
            write_new(&f, z.text.as_bytes(), 0o644, z.owner.as_ref().map(|o| o.1))
                .with_context(|| format!("writing {}", f.display()))?;
            written.push(f);
        }
        store::sync_dir(&lab_dir(s))?;
        store::sync_dir(&s.zones_dir)?;
        if let Some(path) = &config_path {
            if owner_pattern.is_some() {
                let read_stamp = store::FileStamp::of(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let mut text = fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                for z in &planned {
                    let (owner, _) = z.owner.as_ref().expect("owners were resolved");
                    let name = z.p.origin.to_string();
                    text.push_str(&format!(
                        "\n[[zone]]\nname = \"{}\"\nowner = \"{owner}\"\n",
                        name.trim_end_matches('.')
                    ));
                }
                crate::config::Config::parse(&text, path)
                    .map_err(|e| anyhow!("the config with the new zones would not parse: {e}"))?;
                // Not over an edit of the config saved since the read.
                let changed = || {
                    anyhow!(
                        "{} changed meanwhile; it was not overwritten",
                        path.display()
                    )
                };
                match store::replace_if_unchanged(
                    path,
                    text.as_bytes(),
                    read_stamp.ok_or_else(changed)?,
                ) {
                    Ok(_) => {}
                    Err(store::ReplaceError::Changed) => return Err(changed()),
                    Err(store::ReplaceError::Io(e)) => {
                        return Err(anyhow!(e).context(format!("writing {}", path.display())))
                    }
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for path in &written {
            let _ = fs::remove_file(path);
        }
        return Err(e.context("nothing was created (files written so far were removed)"));
    }
    let first = &planned[0].p.origin;
    let last = &planned[planned.len() - 1].p.origin;
    println!(
        "created {} zone(s) {first} … {last} from {template_name}, serial {serial}",
        planned.len()
    );
    if let (Some(path), Some(pattern)) = (&config_path, &owner_pattern) {
        println!(
            "owners ({pattern}) recorded in {}; each zone file belongs to its owner",
            path.display()
        );
    }
    match ask(
        s,
        &Request::Reload {
            zone: None,
            discard_edits: false,
        },
    )? {
        None => println!("no server running: they are served at the next start"),
        Some(r) => {
            let outcomes = outcomes(r)?;
            let ours: Vec<&ZoneOutcome> = outcomes
                .iter()
                .filter(|o| planned.iter().any(|z| z.p.origin.to_string() == o.zone))
                .collect();
            let failed: Vec<&&ZoneOutcome> = ours.iter().filter(|o| !o.ok).collect();
            if !failed.is_empty() || ours.len() != planned.len() {
                bail!(
                    "the server loaded {} of the {} new zones: {}",
                    ours.len() - failed.len(),
                    planned.len(),
                    failed
                        .iter()
                        .map(|o| format!("{}: {}", o.zone, o.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
            println!("served: the running server loaded all {}", planned.len());
        }
    }
    println!("took {:.2} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// reset, diff, list

/// The origins of every lab zone (those with a template), sorted.
fn lab_zones(s: &Settings) -> anyhow::Result<Vec<Name>> {
    let dir = lab_dir(s);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(anyhow!(e).context(format!("reading {}", dir.display()))),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if let Some(origin) = store::origin_from_file_name(&path) {
            out.push(origin);
        }
    }
    out.sort_by(|a, b| a.canonical_cmp(b));
    Ok(out)
}

fn template_text(s: &Settings, origin: &Name) -> anyhow::Result<String> {
    let path = template_path(s, origin);
    fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow!(
                "{origin} is not a lab zone: it has no template {} (`zonectl lab create` writes \
                 one)",
                path.display()
            )
        } else {
            anyhow!(e).context(format!("reading {}", path.display()))
        }
    })
}

/// The server's status of one zone, if a server runs and serves it.
fn served_status(s: &Settings, origin: &Name) -> anyhow::Result<Option<ZoneStatus>> {
    let request = Request::Status {
        zone: Some(origin.to_string()),
    };
    Ok(match ask(s, &request)? {
        Some(Response::Status { zones }) => zones.into_iter().next(),
        Some(Response::Error { message }) if control::is_permission_denied(&message) => {
            bail!("{message}")
        }
        _ => None,
    })
}

fn reset(s: &Settings, zone: Option<String>, all: bool) -> anyhow::Result<ExitCode> {
    super::refuse_wrong_control(s)?;
    let origins = if all {
        lab_zones(s)?
    } else {
        vec![origin_of(
            zone.as_deref().expect("clap requires ZONE or --all"),
        )?]
    };
    if origins.is_empty() {
        bail!("no lab zones in {}", s.zones_dir.display());
    }
    for origin in origins {
        reset_one(s, &origin)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn reset_one(s: &Settings, origin: &Name) -> anyhow::Result<()> {
    let template = template_text(s, origin)?;
    let file = zone_file(s, origin);
    let status = served_status(s, origin)?;
    if status.is_none() {
        if let Some(journal) = crate::journal::unapplied(&s.zones_dir, origin) {
            bail!(
                "{origin}: {} holds edits a server acknowledged but did not write into the file \
                 before it stopped; start `zonectl serve` first; nothing was changed",
                journal.display()
            );
        }
    }
    let policy = s.config.serial_policy_for(&origin.to_string());
    // Freezing makes the server write every edit it acknowledged into the file and stop
    // applying new ones, so the file replaced here is the one served.
    let froze = match &status {
        Some(st) if !st.frozen => {
            outcomes(
                ask(
                    s,
                    &Request::Freeze {
                        zone: Some(origin.to_string()),
                    },
                )?
                .ok_or_else(|| anyhow!("the server stopped"))?,
            )?;
            true
        }
        _ => false,
    };
    let result = (|| -> anyhow::Result<(u32, u32)> {
        let current = match &status {
            Some(st) => st.serial,
            None => None,
        }
        .or_else(|| {
            store::load_zone(&file, origin)
                .ok()
                .and_then(|z| z.zone.serial())
        })
        .unwrap_or(0);
        let serial = next_serial(policy, current, clock::unix_now());
        let text = crate::zone::edit::set_serial(&template, &file, origin, serial, &mut |p| {
            fs::read_to_string(p)
        })
        .map_err(|e| anyhow!("the template of {origin}: {e}"))?;
        store::write_atomic(&file, text.as_bytes())
            .with_context(|| format!("writing {}", file.display()))?;
        if status.is_some() {
            let o = outcomes(
                ask(
                    s,
                    &Request::Reload {
                        zone: Some(origin.to_string()),
                        discard_edits: false,
                    },
                )?
                .ok_or_else(|| anyhow!("the server stopped"))?,
            )?;
            if let Some(bad) = o.iter().find(|o| !o.ok) {
                bail!("the server did not load the reset zone: {}", bad.message);
            }
        }
        Ok((current, serial))
    })();
    if froze {
        ask(
            s,
            &Request::Thaw {
                zone: Some(origin.to_string()),
            },
        )?;
    }
    let (old, new) = result?;
    println!("{origin}: reset to its template, serial {old} → {new}");
    Ok(())
}

fn diff(s: &Settings, zone: &str) -> anyhow::Result<ExitCode> {
    let origin = origin_of(zone)?;
    let template = template_text(s, &origin)?;
    let template = lab::check_expanded(&template, &origin)
        .map_err(|e| anyhow!("the template of {origin}: {e}"))?;
    super::edit::sync(s, Some(&origin))?;
    let current = store::load_zone(&zone_file(s, &origin), &origin)?.zone;
    let lines = lab::diff(&template, &current);
    if s.json {
        #[derive(Serialize)]
        struct Line<'a> {
            change: &'static str,
            record: &'a str,
        }
        let out: Vec<Line> = lines
            .iter()
            .map(|l| Line {
                change: if l.added { "added" } else { "removed" },
                record: &l.record,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for l in &lines {
            println!("{} {}", if l.added { '+' } else { '-' }, l.record);
        }
    }
    Ok(if lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Debug, Serialize)]
struct ListRow {
    zone: String,
    owner: Option<String>,
    serial: Option<u32>,
    frozen: bool,
    dmarc: String,
    /// UNIX time of the last change (the served zone's last load, else the file's mtime).
    last_change: Option<i64>,
    served: bool,
}

fn list(s: &Settings) -> anyhow::Result<ExitCode> {
    let origins = lab_zones(s)?;
    let statuses: Vec<ZoneStatus> = match ask(s, &Request::Sync { zone: None })? {
        Some(_) => match ask(s, &Request::Status { zone: None })? {
            Some(Response::Status { zones }) => zones,
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for origin in origins {
        let name = origin.to_string();
        let st = statuses.iter().find(|st| st.zone == name);
        let file = zone_file(s, &origin);
        let zone = store::load_zone(&file, &origin).ok().map(|z| z.zone);
        let mtime = fs::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64);
        rows.push(ListRow {
            owner: s.config.zone(&name).and_then(|z| z.owners_text()),
            serial: st
                .and_then(|st| st.serial)
                .or_else(|| zone.as_ref().and_then(|z| z.serial())),
            frozen: st.is_some_and(|st| st.frozen),
            dmarc: zone.as_ref().map_or_else(|| "-".into(), lab::dmarc_stage),
            last_change: mtime,
            served: st.is_some_and(|st| st.serial.is_some()),
            zone: name,
        });
    }
    if s.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<28} {:<12} {:<11} {:<7} {:<18} last change",
        "zone", "owner", "serial", "frozen", "dmarc"
    );
    for r in &rows {
        println!(
            "{:<28} {:<12} {:<11} {:<7} {:<18} {}",
            r.zone,
            r.owner.as_deref().unwrap_or("-"),
            r.serial.map_or_else(|| "-".into(), |x| x.to_string()),
            if r.frozen { "yes" } else { "no" },
            r.dmarc,
            r.last_change.map_or_else(|| "-".into(), super::format_utc)
        );
    }
    Ok(ExitCode::SUCCESS)
}
