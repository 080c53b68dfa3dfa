//! The control protocol between the CLI and a running server: one JSON request per line, one
//! JSON response per line, over a UNIX socket. Types here are shared by both sides; the
//! blocking client is here too, the listener lives in `server::control`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::zone::edit::{EditOp, CHANGED_MEANWHILE};
use crate::zone::parse::MAX_TTL;
use crate::zone::rdata::check_rdata;
use crate::zone::update::Expected;
use crate::zone::{Name, RType};

/// A request to the server. `zone: None` means every zone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum Request {
    Status {
        zone: Option<String>,
    },
    Check {
        zone: Option<String>,
    },
    Reload {
        zone: Option<String>,
        /// Serve the file without the zone's acknowledged edits that are not in it yet (they
        /// conflict with a hand edit), keeping them in a set-aside journal. One zone only.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        discard_edits: bool,
    },
    Freeze {
        zone: Option<String>,
    },
    Thaw {
        zone: Option<String>,
    },
    /// Write the zones' acknowledged edits into their files now (they are written within a
    /// fraction of a second anyway): for readers of the file that must see every edit.
    Sync {
        zone: Option<String>,
    },
    /// Change one zone: the server applies the change to the zone it serves, journals it
    /// (fsynced before it answers) and writes the zone file shortly after.
    Edit {
        zone: String,
        change: EditChange,
        /// Compute and report the change; change nothing.
        dry_run: bool,
    },
    /// The records of one RRset as served now, with every acknowledged edit: what a command
    /// that changes a record it reads starts from, without reading the zone file.
    Records {
        zone: String,
        owner: String,
        rtype: u16,
    },
    /// What the server received and answered since it started.
    Stats,
}

/// What an [`Request::Edit`] changes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EditChange {
    /// Record edits, all or nothing, with one serial bump by the zone's policy; refused unless
    /// the zone holds what `expect` says (the records the edit was made from).
    Ops {
        ops: Vec<OpWire>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        expect: Vec<ExpectWire>,
    },
    /// Raise the serial by the zone's policy.
    Bump,
    /// Set the serial (refused unless greater under RFC 1982, or `force`).
    SetSerial { serial: u32, force: bool },
}

/// An [`EditOp`] on the control socket: names as absolute text, types as numbers, RDATA as
/// base64 of its wire form (lossless, and free of the TTL-or-data ambiguity of zone-file text).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum OpWire {
    Add {
        owner: String,
        rtype: u16,
        ttl: Option<u32>,
        rdata: String,
    },
    Set {
        owner: String,
        rtype: u16,
        ttl: Option<u32>,
        rdatas: Vec<String>,
    },
    Del {
        owner: String,
        rtype: Option<u16>,
        rdata: Option<String>,
    },
}

/// An [`Expected`] on the control socket, in [`OpWire`]'s terms.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExpectWire {
    pub owner: String,
    pub rtype: u16,
    pub rdatas: Vec<String>,
}

impl From<&Expected> for ExpectWire {
    fn from(e: &Expected) -> ExpectWire {
        ExpectWire {
            owner: e.owner.to_string(),
            rtype: e.rtype.0,
            rdatas: encode_rdatas(&e.rdatas),
        }
    }
}

impl TryFrom<&ExpectWire> for Expected {
    type Error = String;

    fn try_from(e: &ExpectWire) -> Result<Expected, String> {
        Ok(Expected {
            owner: Name::parse(&e.owner, None)
                .map_err(|err| format!("bad owner name {:?}: {err}", e.owner))?,
            rtype: RType(e.rtype),
            rdatas: decode_rdatas(&e.rdatas)?,
        })
    }
}

fn unb64(text: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("bad RDATA encoding: {e}"))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl From<&EditOp> for OpWire {
    fn from(op: &EditOp) -> OpWire {
        match op {
            EditOp::Add {
                owner,
                rtype,
                ttl,
                rdata,
            } => OpWire::Add {
                owner: owner.to_string(),
                rtype: rtype.0,
                ttl: *ttl,
                rdata: b64(rdata),
            },
            EditOp::Set {
                owner,
                rtype,
                ttl,
                rdatas,
            } => OpWire::Set {
                owner: owner.to_string(),
                rtype: rtype.0,
                ttl: *ttl,
                rdatas: rdatas.iter().map(|d| b64(d)).collect(),
            },
            EditOp::Del {
                owner,
                rtype,
                rdata,
            } => OpWire::Del {
                owner: owner.to_string(),
                rtype: rtype.map(|t| t.0),
                rdata: rdata.as_deref().map(b64),
            },
        }
    }
}

impl TryFrom<&OpWire> for EditOp {
    type Error = String;

    fn try_from(op: &OpWire) -> Result<EditOp, String> {
        let name = |text: &str| {
            Name::parse(text, None).map_err(|e| format!("bad owner name {text:?}: {e}"))
        };
        // The CLI makes RDATA from text, checked as it is made; a client of the socket sends
        // wire data, which must hold to the same rules before it reaches a zone.
        let checked_ttl = |ttl: &Option<u32>| match *ttl {
            Some(t) if t > MAX_TTL => Err(format!(
                "TTL {t} is above the largest, {MAX_TTL} (RFC 2181 §8)"
            )),
            ttl => Ok(ttl),
        };
        let record = |rtype: u16, text: &str| {
            let rdata = unb64(text)?;
            check_rdata(RType(rtype), &rdata)?;
            Ok::<_, String>(rdata)
        };
        Ok(match op {
            OpWire::Add {
                owner,
                rtype,
                ttl,
                rdata,
            } => EditOp::Add {
                owner: name(owner)?,
                rtype: RType(*rtype),
                ttl: checked_ttl(ttl)?,
                rdata: record(*rtype, rdata)?,
            },
            OpWire::Set {
                owner,
                rtype,
                ttl,
                rdatas,
            } => EditOp::Set {
                owner: name(owner)?,
                rtype: RType(*rtype),
                ttl: checked_ttl(ttl)?,
                rdatas: rdatas
                    .iter()
                    .map(|d| record(*rtype, d))
                    .collect::<Result<_, _>>()?,
            },
            OpWire::Del {
                owner,
                rtype,
                rdata,
            } => EditOp::Del {
                owner: name(owner)?,
                rtype: rtype.map(RType),
                rdata: rdata.as_deref().map(unb64).transpose()?,
            },
        })
    }
}

/// What the server did with an [`Request::Edit`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EditDone {
    pub zone: String,
    /// Old → new records as `name TTL IN TYPE rdata` lines (the serial is not listed).
    pub changes: Vec<ChangeLine>,
    pub old_serial: u32,
    /// Equal to `old_serial` when nothing changed.
    pub new_serial: u32,
    pub warnings: Vec<String>,
    /// Nothing was changed because this was a dry run.
    pub dry_run: bool,
}

/// One changed record: `old` → `new`; an added record has no `old`, a deleted one no `new`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChangeLine {
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The state of one zone as `status` reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ZoneStatus {
    /// Origin, absolute (`apple.example.`).
    pub zone: String,
    pub file: PathBuf,
    /// Serial being served, if the zone has ever loaded.
    pub serial: Option<u32>,
    pub frozen: bool,
    /// Records being served.
    pub records: usize,
    /// UNIX time of the last load attempt.
    pub last_load: Option<i64>,
    /// `ok`, `failed` or `not loaded`.
    pub last_result: String,
    /// The last load error (`FILE:LINE: reason`), kept until a good load.
    pub last_error: Option<String>,
    /// Warnings from the last load (serial not increased, check warnings).
    pub warnings: Vec<String>,
    /// The zone file has been deleted; the zone keeps answering until an explicit reload.
    pub file_missing: bool,
    /// The file changed while the zone was frozen; `thaw` will load it.
    pub pending_change: bool,
    /// The oldest serial an IXFR is answered from with differences, if any is kept.
    pub ixfr_from: Option<u32>,
    /// The differences kept for IXFR.
    pub ixfr_differences: usize,
}

/// The outcome for one zone of a verb applied to several.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ZoneOutcome {
    pub zone: String,
    pub ok: bool,
    /// What happened, in a few words (`reloaded, serial 2025103003 → 2025103004`).
    pub message: String,
    pub warnings: Vec<String>,
}

impl ZoneOutcome {
    /// The outcome of checking `file` for `zone`, worded the same by the server and by a CLI
    /// with no server running.
    pub fn of_check(
        zone: String,
        file: &Path,
        result: Result<crate::store::LoadedZone, crate::store::LoadError>,
    ) -> ZoneOutcome {
        match result {
            Ok(loaded) => ZoneOutcome {
                zone,
                ok: true,
                message: format!(
                    "{}: ok, serial {}, {} records",
                    file.display(),
                    loaded.zone.serial().unwrap_or(0),
                    loaded.zone.record_count()
                ),
                warnings: loaded.warnings.iter().map(|w| w.located()).collect(),
            },
            Err(e) => ZoneOutcome {
                zone,
                ok: false,
                message: e.to_string(),
                warnings: vec![],
            },
        }
    }
}

/// The server's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Response {
    Status {
        zones: Vec<ZoneStatus>,
    },
    Done {
        outcomes: Vec<ZoneOutcome>,
    },
    Edited(EditDone),
    /// The answer to [`Request::Records`]: RDATA in base64 of its wire form, none when the
    /// name has no such RRset.
    Records {
        serial: u32,
        rdatas: Vec<String>,
    },
    Stats(Box<ServerStats>),
    Error {
        message: String,
    },
}

/// The answer to [`Request::Stats`]: the counts over UDP and over TCP since `started`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServerStats {
    /// When the server started, in UNIX seconds.
    pub started: i64,
    pub udp: Counted,
    pub tcp: Counted,
}

/// What the server received over one transport and what it answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counted {
    /// Messages received.
    pub received: u64,
    /// Answers by the RCODE of their header.
    pub noerror: u64,
    pub formerr: u64,
    pub servfail: u64,
    pub nxdomain: u64,
    pub notimp: u64,
    pub refused: u64,
    pub other_rcode: u64,
    /// Answers with TC set.
    pub truncated: u64,
    /// Messages not answered: responses, garbage, and answers dropped by rate limiting.
    pub not_answered: u64,
    /// Answers over the rate (UDP): dropped, and sent truncated instead.
    pub rate_dropped: u64,
    pub rate_slipped: u64,
    /// Zone transfers (TCP) sent whole, and refused.
    pub transfers: u64,
    pub transfers_refused: u64,
    /// TXT questions in class IN for mail-authentication records: DMARC (`_dmarc.`), DKIM
    /// (`SELECTOR._domainkey.`), MTA-STS (`_mta-sts.`), SMTP TLS reporting (`_smtp._tls.`), BIMI
    /// (`SELECTOR._bimi.`).
    pub dmarc: u64,
    pub dkim: u64,
    pub mta_sts: u64,
    pub tlsrpt: u64,
    pub bimi: u64,
}

/// RDATA as [`Response::Records`] and [`ExpectWire`] carry it.
pub fn encode_rdatas(rdatas: &[Vec<u8>]) -> Vec<String> {
    rdatas.iter().map(|d| b64(d)).collect()
}

/// The RDATA of a [`Response::Records`] or an [`ExpectWire`].
pub fn decode_rdatas(rdatas: &[String]) -> Result<Vec<Vec<u8>>, String> {
    rdatas.iter().map(|d| unb64(d)).collect()
}

/// Does a server's error message refuse the caller (rather than say the zone is not served)?
/// Such messages start with `permission denied:`.
pub fn is_permission_denied(message: &str) -> bool {
    message.starts_with("permission denied:")
}

/// Does a server's error message refuse an edit because the records it was made from changed
/// meanwhile ([`crate::zone::edit::EditError::Changed`])? Reading them again and retrying is
/// then the remedy.
pub fn is_changed_meanwhile(message: &str) -> bool {
    message.contains(CHANGED_MEANWHILE)
}

/// Why talking to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no server is running on control socket {}: start one with `zonectl serve`, or pass --control PATH (or set ZONECTL_CONTROL)", path.display())]
    NotRunning { path: PathBuf },
    #[error("permission denied on control socket {}: ask the server's owner, or run as that user", path.display())]
    PermissionDenied { path: PathBuf },
    #[error("control socket {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("control socket {}: bad response from server: {message}", path.display())]
    Protocol { path: PathBuf, message: String },
}

/// Sends one request and waits for the response.
pub fn call(path: &Path, request: &Request) -> Result<Response, ClientError> {
    let io_err = |error: std::io::Error| ClientError::Io {
        path: path.into(),
        error,
    };
    let mut stream = UnixStream::connect(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
            ClientError::NotRunning { path: path.into() }
        }
        std::io::ErrorKind::PermissionDenied => ClientError::PermissionDenied { path: path.into() },
        _ => io_err(e),
    })?;
    // A reload of a very large zone can take a while; never hang forever on a wedged server.
    stream
        .set_read_timeout(Some(Duration::from_secs(300)))
        .map_err(io_err)?;
    let mut line = serde_json::to_string(request).expect("requests always serialize");
    line.push('\n');
    stream.write_all(line.as_bytes()).map_err(io_err)?;
    let mut reader = BufReader::new(stream);
    let mut answer = String::new();
    reader.read_line(&mut answer).map_err(io_err)?;
    if answer.is_empty() {
        return Err(ClientError::Protocol {
            path: path.into(),
            message: "connection closed without an answer".into(),
        });
    }
    serde_json::from_str(&answer).map_err(|e| ClientError::Protocol {
        path: path.into(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(rtype: u16, rdata: &[u8], ttl: Option<u32>) -> Result<EditOp, String> {
        EditOp::try_from(&OpWire::Add {
            owner: "x.example.".into(),
            rtype,
            ttl,
            rdata: b64(rdata),
        })
    }

    #[test]
    fn edits_from_the_socket_hold_to_the_rules_of_zone_file_text() {
        // What the CLI sends goes through unchanged.
        let ops = [
            EditOp::Add {
                owner: Name::parse("x.example.", None).unwrap(),
                rtype: RType::A,
                ttl: Some(300),
                rdata: vec![192, 0, 2, 1],
            },
            EditOp::Set {
                owner: Name::parse("x.example.", None).unwrap(),
                rtype: RType::TXT,
                ttl: None,
                rdatas: vec![b"\x02hi".to_vec(), b"\x00".to_vec()],
            },
            EditOp::Del {
                owner: Name::parse("x.example.", None).unwrap(),
                rtype: Some(RType::MX),
                rdata: None,
            },
        ];
        for op in &ops {
            assert_eq!(EditOp::try_from(&OpWire::from(op)).as_ref(), Ok(op));
        }
        // A client writing to the socket itself does not get past what text could not say.
        let mut mx_pointer = vec![0, 10];
        mx_pointer.extend_from_slice(&[0xC0, 0x0C]);
        let too_long = vec![b'x'; 70_000];
        let sha256_short = [&[0x30, 0x39, 8, 2][..], &[0xAB; 31]].concat();
        for (what, rtype, rdata, ttl, says) in [
            ("70 000 bytes", 65280, &too_long[..], None, "at most 65535"),
            ("a 3-byte A", 1, &[192, 0, 2][..], None, "not valid A RDATA"),
            (
                "a TXT string running past the end",
                16,
                b"\x09abc",
                None,
                "not valid TXT",
            ),
            (
                "an MX with a compression pointer",
                15,
                &mx_pointer,
                None,
                "not valid MX",
            ),
            ("OPT", 41, b"", None, "query or meta type"),
            ("AXFR", 252, b"", None, "query or meta type"),
            ("TYPE0", 0, b"\x01", None, "query or meta type"),
            (
                "a SHA-256 DS of 31 bytes",
                43,
                &sha256_short,
                None,
                "digest",
            ),
            (
                "a TTL with its top bit set",
                1,
                &[192, 0, 2, 1],
                Some(1 << 31),
                "TTL",
            ),
        ] {
            let err = add(rtype, rdata, ttl).expect_err(what);
            assert!(err.contains(says), "{what}: {err}");
        }
        let set = OpWire::Set {
            owner: "x.example.".into(),
            rtype: 1,
            ttl: None,
            rdatas: vec![b64(&[192, 0, 2, 1]), b64(&[1])],
        };
        assert!(EditOp::try_from(&set).is_err(), "one bad record in a set");
    }
}
