//! TSIG (RFC 8945): shared-secret signatures on DNS messages, so a secondary can be sure that the
//! zone it transfers came from its primary, and the primary that the secondary is one it knows.
//!
//! Keys live in `keys/tsig/*.key`, in the format BIND's `tsig-keygen` writes and `named.conf`
//! includes (`key "name" { algorithm hmac-sha256; secret "..."; };`), readable by their owner
//! only. The parsing, verification and signing here are pure (the clock is passed in); only
//! [`Keyring::load`] reads files.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use ring::hmac;

use crate::zone::name::{lowercase_wire, read_compressed, wire_name_len};
use crate::zone::Name;

/// The TSIG record type.
pub const RTYPE_TSIG: u16 = 250;
/// Class ANY, which TSIG records carry.
const CLASS_ANY: u16 = 255;
/// Seconds of clock difference allowed between signer and verifier (RFC 8945 §10: 300).
pub const FUDGE: u16 = 300;

/// TSIG error codes (RFC 8945 §3), carried in the TSIG record of a NOTAUTH response.
pub const BADSIG: u16 = 16;
/// The key named is not known here.
pub const BADKEY: u16 = 17;
/// The request was signed too far from our clock.
pub const BADTIME: u16 = 18;
/// The request's MAC verified, but is truncated; zonectl wants whole MACs.
pub const BADTRUNC: u16 = 22;

/// The HMAC algorithms offered (RFC 8945 §6). HMAC-SHA256 is the one to use; SHA-1 is kept for
/// old secondaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl Algorithm {
    const ALL: [Algorithm; 4] = [
        Algorithm::HmacSha1,
        Algorithm::HmacSha256,
        Algorithm::HmacSha384,
        Algorithm::HmacSha512,
    ];

    /// The algorithm's name, as keys and TSIG records write it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha384 => "hmac-sha384",
            Algorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm named `text` (case-insensitive, with or without the final dot).
    pub fn from_name(text: &str) -> Option<Algorithm> {
        let text = text.strip_suffix('.').unwrap_or(text);
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(text))
    }

    fn from_wire(wire: &[u8]) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| {
            let name = a.name().as_bytes();
            wire.len() == name.len() + 2
                && wire[0] as usize == name.len()
                && wire[1..=name.len()].eq_ignore_ascii_case(name)
                && wire[name.len() + 1] == 0
        })
    }

    /// The name in wire form: one label and the root.
    fn write_wire(self, out: &mut Vec<u8>) {
        out.push(self.name().len() as u8);
        out.extend_from_slice(self.name().as_bytes());
        out.push(0);
    }

    fn ring(self) -> hmac::Algorithm {
        match self {
            Algorithm::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::HmacSha256 => hmac::HMAC_SHA256,
            Algorithm::HmacSha384 => hmac::HMAC_SHA384,
            Algorithm::HmacSha512 => hmac::HMAC_SHA512,
        }
    }

    /// Length of the MAC, which zonectl sends and expects whole.
    pub fn mac_len(self) -> usize {
        self.ring().digest_algorithm().output_len()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One shared secret.
pub struct Key {
    /// Lower-cased: TSIG digests use the canonical form.
    name: Name,
    algorithm: Algorithm,
    secret: hmac::Key,
}

impl Key {
    /// A key from its name, algorithm and secret bytes.
    pub fn new(name: &Name, algorithm: Algorithm, secret: &[u8]) -> Key {
        Key {
            name: name.to_lowercase(),
            algorithm,
            secret: hmac::Key::new(algorithm.ring(), secret),
        }
    }

    /// The key's name.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        write!(f, "Key({} {})", self.name, self.algorithm)
    }
}

/// Why the TSIG keys could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}:{line}: {msg}")]
    Syntax {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error(
        "{path} can be read by others (mode {mode:04o}): a TSIG key is a secret; run chmod 600 {path}"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("TSIG key {name} is defined twice: in {first} and in {second}")]
    Twice {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The TSIG keys the server knows, by name. A handful at most: looked up by a linear scan.
#[derive(Debug, Default)]
pub struct Keyring {
    keys: Vec<(Arc<Key>, PathBuf)>,
}

impl Keyring {
    /// The keys in `dir/*.key` (BIND's key statement format); none if `dir` does not exist.
    /// Every file must be readable by its owner only.
    pub fn load(dir: &Path) -> Result<Keyring, KeyError> {
        use std::os::unix::fs::PermissionsExt;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| KeyError::Io { path, source }
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Keyring::default()),
            Err(e) => return Err(io(dir)(e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(io(dir))?.path();
            if path.extension().is_some_and(|e| e == "key") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut ring = Keyring::default();
        for path in paths {
            let mode = std::fs::metadata(&path)
                .map_err(io(&path))?
                .permissions()
                .mode()
                & 0o7777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Exposed { path, mode });
            }
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            for key in parse_key_file(&text, &path)? {
                ring.add(key, &path)?;
            }
        }
        Ok(ring)
    }

    /// Adds `key`, read from `path`; a second key of the same name is an error.
    pub fn add(&mut self, key: Key, path: &Path) -> Result<(), KeyError> {
        if let Some((_, first)) = self.keys.iter().find(|(k, _)| k.name == key.name) {
            return Err(KeyError::Twice {
                name: key.name.to_string(),
                first: first.clone(),
                second: path.to_path_buf(),
            });
        }
        self.keys.push((Arc::new(key), path.to_path_buf()));
        Ok(())
    }

    /// The key named `name` (any case).
    pub fn get(&self, name: &Name) -> Option<&Arc<Key>> {
        self.keys
            .iter()
            .map(|(k, _)| k)
            .find(|k| k.name.eq_ignore_case(name))
    }

    /// The keys and the files they were read from.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Path)> {
        self.keys.iter().map(|(k, p)| (&**k, p.as_path()))
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The keys in `text`, a file of BIND `key` statements:
///
/// ```text
/// key "xfr.example" {
///     algorithm hmac-sha256;
///     secret "base64...";
/// };
/// ```
///
/// with `#`, `//` and `/* */` comments. `path` names the file in errors.
pub fn parse_key_file(text: &str, path: &Path) -> Result<Vec<Key>, KeyError> {
    let tokens = tokenize(text).map_err(|(line, msg)| KeyError::Syntax {
        path: path.to_path_buf(),
        line,
        msg,
    })?;
    let mut keys = Vec::new();
    let mut it = tokens.iter().peekable();
    let err = |line: usize, msg: String| KeyError::Syntax {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let last_line = tokens.last().map_or(1, |t| t.1);
    let mut next = |want: &str| -> Result<(String, usize), KeyError> {
        it.next().map(|(t, l)| (t.clone(), *l)).ok_or_else(|| {
            err(
                last_line,
                format!("the file ends where {want} was expected"),
            )
        })
    };
    let expect = |got: (String, usize), want: &str| -> Result<(), KeyError> {
        if got.0 == want {
            Ok(())
        } else {
            Err(err(got.1, format!("expected {want:?}, found {:?}", got.0)))
        }
    };
    let example =
        "write it as tsig-keygen does: key \"NAME\" { algorithm hmac-sha256; secret \"BASE64\"; };";
    while let Ok(word) = next("key") {
        if word.0 != "key" {
            return Err(err(
                word.1,
                format!("expected a key statement, found {:?}: {example}", word.0),
            ));
        }
        let (name_text, line) = next("the key's name")?;
        let name = Name::parse(&name_text, Some(&Name::root()))
            .map_err(|e| err(line, format!("bad key name: {e}")))?;
        expect(next("{")?, "{")?;
        let (mut algorithm, mut secret) = (None, None);
        loop {
            let (field, line) = next("algorithm, secret or }")?;
            match field.as_str() {
                "}" => break,
                "algorithm" => {
                    let (a, l) = next("an algorithm")?;
                    algorithm = Some(Algorithm::from_name(&a).ok_or_else(|| {
                        err(
                            l,
                            format!(
                                "unknown algorithm {}: use hmac-sha256 (or hmac-sha1, \
                                 hmac-sha384, hmac-sha512)",
                                shown(&a)
                            ),
                        )
                    })?);
                }
                "secret" => {
                    let (s, l) = next("a secret")?;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(s.as_bytes())
                        .map_err(|e| err(l, format!("the secret is not base64: {e}")))?;
                    if bytes.is_empty() {
                        return Err(err(l, "the secret is empty".into()));
                    }
                    secret = Some(bytes);
                }
                other => {
                    return Err(err(
                        line,
                        format!(
                            "unknown field {} in key {name_text}: {example}",
                            shown(other)
                        ),
                    ))
                }
            }
            expect(next(";")?, ";")?;
        }
        expect(next(";")?, ";")?;
        let (Some(algorithm), Some(secret)) = (algorithm, secret) else {
            return Err(err(
                line,
                format!("key {name_text} needs both an algorithm and a secret: {example}"),
            ));
        };
        keys.push(Key::new(&name, algorithm, &secret));
    }
    Ok(keys)
}

/// `token` quoted for an error message, unless it could be a secret (a file with its fields
/// mixed up): errors end up in logs.
fn shown(token: &str) -> String {
    // Names are short words with dashes (hmac-sha256, algorithm); base64 has none.
    let word = token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let plain = word && token.len() <= 20 && (token.contains('-') || token.len() <= 9);
    if plain {
        format!("{token:?}")
    } else {
        "(not shown: it may be the secret)".into()
    }
}

/// Words, quoted strings (without their quotes) and the punctuation `{ } ;`, each with its line.
fn tokenize(text: &str) -> Result<Vec<(String, usize)>, (usize, String)> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => while chars.next_if(|&c| c != '\n').is_some() {},
            '/' if chars.peek() == Some(&'/') => while chars.next_if(|&c| c != '\n').is_some() {},
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let start = line;
                let mut prev = ' ';
                loop {
                    match chars.next() {
                        None => return Err((start, "a /* comment is never closed".into())),
                        Some('/') if prev == '*' => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            prev = c;
                        }
                    }
                }
            }
            '{' | '}' | ';' => tokens.push((c.to_string(), line)),
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None | Some('\n') => {
                            return Err((line, "a quoted string is not closed".into()))
                        }
                        Some('"') => break,
                        Some(c) => s.push(c),
                    }
                }
                tokens.push((s, line));
            }
            c => {
                let mut s = String::from(c);
                while let Some(c) =
                    chars.next_if(|&c| !c.is_whitespace() && !matches!(c, '{' | '}' | ';' | '"'))
                {
                    s.push(c);
                }
                tokens.push((s, line));
            }
        }
    }
    Ok(tokens)
}

/// A key file for `key`, in the format [`parse_key_file`] reads.
pub fn key_file_text(name: &Name, algorithm: Algorithm, secret: &[u8]) -> String {
    let name = name.to_string();
    format!(
        "key \"{}\" {{\n\talgorithm {algorithm};\n\tsecret \"{}\";\n}};\n",
        name.strip_suffix('.').unwrap_or(&name),
        base64::engine::general_purpose::STANDARD.encode(secret)
    )
}

/// The TSIG record of a message, as found at its end.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// Where the record starts: the message signed is everything before it.
    pub start: usize,
    /// The key's name, as sent (its owner may be compressed).
    pub key_name: Name,
    algorithm: &'a [u8],
    pub time_signed: u64,
    fudge: u16,
    pub mac: &'a [u8],
    original_id: u16,
    pub error: u16,
    other: &'a [u8],
}

impl<'a> Record<'a> {
    /// Reads the TSIG record starting at `start` in `packet`, the last record of the message:
    /// None if it is malformed (a compressed algorithm name, fields past its RDATA).
    pub fn parse(packet: &'a [u8], start: usize) -> Option<Record<'a>> {
        let (key_name, rr) = read_compressed(packet, start).ok()?;
        let head = packet.get(rr..rr + 10)?;
        let u16_at = |b: &[u8], i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        if u16_at(head, 0) != RTYPE_TSIG || u16_at(head, 2) != CLASS_ANY {
            return None;
        }
        let rdata = packet.get(rr + 10..rr + 10 + u16_at(head, 8) as usize)?;
        let alg_len = wire_name_len(rdata)?;
        let algorithm = &rdata[..alg_len];
        let fixed = rdata.get(alg_len..alg_len + 10)?;
        let time_signed = fixed[..6].iter().fold(0u64, |t, &b| (t << 8) | b as u64);
        let fudge = u16_at(fixed, 6);
        let mac_len = u16_at(fixed, 8) as usize;
        let mac_at = alg_len + 10;
        let mac = rdata.get(mac_at..mac_at + mac_len)?;
        let tail = rdata.get(mac_at + mac_len..mac_at + mac_len + 6)?;
        let other_len = u16_at(tail, 4) as usize;
        let other_at = mac_at + mac_len + 6;
        let other = rdata.get(other_at..other_at + other_len)?;
        if other_at + other_len != rdata.len() {
            return None;
        }
        Some(Record {
            start,
            key_name,
            algorithm,
            time_signed,
            fudge,
            mac,
            original_id: u16_at(tail, 0),
            error: u16_at(tail, 2),
            other,
        })
    }
}

/// A signed request that failed verification, and how to answer it (RFC 8945 §5.2): NOTAUTH
/// with this TSIG error, or FORMERR for a MAC of a length no HMAC has.
pub struct Refusal {
    /// The TSIG error; 0 for FORMERR.
    pub error: u16,
    /// For BADTIME and BADTRUNC, the key that verified the MAC: that answer is signed.
    signer: Option<Signer>,
    key_name: Vec<u8>,
    algorithm: Vec<u8>,
    time_signed: u64,
}

impl Refusal {
    /// The key the request named, for logs.
    pub fn key_name(&self) -> String {
        Name::from_wire(&self.key_name).map_or_else(|_| "?".into(), |n| n.to_string())
    }

    /// Why, in a few words, for logs.
    pub fn reason(&self) -> &'static str {
        match self.error {
            BADKEY => "signed with a key whose name and algorithm are not in keys/tsig",
            BADTIME => "signed at a time too far from this server's clock",
            BADTRUNC => "its MAC is truncated; zonectl accepts whole MACs only",
            0 => "its MAC has a length no HMAC of its algorithm has (FORMERR)",
            _ => "its signature does not verify with the key it names",
        }
    }

    /// The RCODE of the answer: NOTAUTH, or FORMERR for a MAC of an impossible length.
    pub fn rcode(&self) -> u16 {
        if self.error == 0 {
            1
        } else {
            9
        }
    }

    /// Completes `msg` (the error response to the request, without TSIG) with the TSIG record
    /// this error calls for: signed for BADTIME (the request's time, ours in other data) and
    /// BADTRUNC, unsigned for BADKEY and BADSIG, none for FORMERR (§5.2).
    pub fn finish(self, msg: &mut Vec<u8>, now: u64) {
        if self.error == 0 {
            return;
        }
        match self.signer {
            Some(mut signer) if self.error == BADTIME => {
                signer.time = self.time_signed;
                signer.sign_with(msg, BADTIME, &now.to_be_bytes()[2..]);
            }
            Some(mut signer) => signer.sign_with(msg, self.error, &[]),
            None => {
                let id = u16::from_be_bytes([msg[0], msg[1]]);
                let fields = Fields {
                    key_name: &self.key_name,
                    algorithm: &self.algorithm,
                    time: now,
                    error: self.error,
                    other: &[],
                };
                append_record(msg, &fields, &[], id);
            }
        }
    }
}

/// Checks the TSIG record `rec` of the request `packet` against `keys` at `now` (seconds since
/// the epoch): the signer for the response if it verifies. The checks come in RFC 8945 §5.2's
/// order: key, MAC, time.
pub fn verify_request(
    packet: &[u8],
    rec: &Record<'_>,
    keys: &Keyring,
    now: u64,
) -> Result<Signer, Refusal> {
    let refuse = |error, signer| Refusal {
        error,
        signer,
        key_name: rec.key_name.as_wire().to_vec(),
        algorithm: rec.algorithm.to_vec(),
        time_signed: rec.time_signed,
    };
    let key = match keys.get(&rec.key_name) {
        Some(k) if Algorithm::from_wire(rec.algorithm) == Some(k.algorithm) => k,
        _ => return Err(refuse(BADKEY, None)),
    };
    // RFC 8945 §5.2.2.1: longer than the hash, or shorter than half of it or 10 bytes, is
    // FORMERR. A truncated MAC that verifies gets BADTRUNC below: whole MACs only here.
    let (full, size) = (key.algorithm.mac_len(), rec.mac.len());
    if size > full || size < (full / 2).max(10) {
        return Err(refuse(0, None));
    }
    let mac = signed_digest(&key.secret, &[], packet, rec);
    if !same_bytes(&mac.as_ref()[..size], rec.mac) {
        return Err(refuse(BADSIG, None));
    }
    let signer = Signer {
        key: key.clone(),
        prior_mac: rec.mac.to_vec(),
        first: true,
        time: now,
    };
    if size < full {
        return Err(refuse(BADTRUNC, Some(signer)));
    }
    if now.abs_diff(rec.time_signed) > rec.fudge as u64 {
        return Err(refuse(BADTIME, Some(signer)));
    }
    Ok(signer)
}

/// The MAC of `packet` as its signer computed it (RFC 8945 §4.3): `prior_mac` (the request's
/// MAC, for a response; with its length), the message as it was before its TSIG record `rec`
/// was added (the original ID, ARCOUNT one less), and the TSIG variables.
fn signed_digest(
    secret: &hmac::Key,
    prior_mac: &[u8],
    packet: &[u8],
    rec: &Record<'_>,
) -> hmac::Tag {
    let mut data = Vec::with_capacity(prior_mac.len() + rec.start + 300);
    if !prior_mac.is_empty() {
        data.extend_from_slice(&(prior_mac.len() as u16).to_be_bytes());
        data.extend_from_slice(prior_mac);
    }
    data.extend_from_slice(&rec.original_id.to_be_bytes());
    data.extend_from_slice(&packet[2..10]);
    let ar = u16::from_be_bytes([packet[10], packet[11]]).saturating_sub(1);
    data.extend_from_slice(&ar.to_be_bytes());
    data.extend_from_slice(&packet[12..rec.start]);
    write_variables(
        &mut data,
        &Fields {
            key_name: rec.key_name.as_wire(),
            algorithm: rec.algorithm,
            time: rec.time_signed,
            error: rec.error,
            other: rec.other,
        },
        rec.fudge,
    );
    hmac::sign(secret, &data)
}

/// Where the last record of `msg` starts (a TSIG record must be last), if it has one.
pub fn last_record_start(msg: &[u8]) -> Option<usize> {
    let count = |i: usize| Some(u16::from_be_bytes([*msg.get(i)?, *msg.get(i + 1)?]) as usize);
    let records = count(6)? + count(8)? + count(10)?;
    let mut pos = 12;
    for _ in 0..count(4)? {
        pos = read_compressed(msg, pos).ok()?.1 + 4;
    }
    for _ in 1..records {
        let rr = read_compressed(msg, pos).ok()?.1;
        pos = rr + 10 + count(rr + 8)?;
    }
    (records > 0 && pos < msg.len()).then_some(pos)
}

/// Whether `a` and `b` are equal, in a time that does not depend on where they differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y))) == 0
}

/// Signs the messages of a response: the first with the request's MAC, each next one with the
/// MAC of the one before (RFC 8945 §5.3.1, every message signed).
pub struct Signer {
    key: Arc<Key>,
    prior_mac: Vec<u8>,
    first: bool,
    /// The time written in the records.
    time: u64,
}

impl Signer {
    /// Signs requests (NOTIFY) with `key` at `now`.
    pub fn request(key: Arc<Key>, now: u64) -> Signer {
        Signer {
            key,
            prior_mac: Vec::new(),
            first: true,
            time: now,
        }
    }

    /// The key signing.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Whether `reply` answers the request this signer signed last with a valid signature of
    /// the same key, made within the fudge of `now` (RFC 8945 §5.3: an unsigned or badly signed
    /// reply to a signed request is to be discarded).
    pub fn verifies_reply(&self, reply: &[u8], now: u64) -> bool {
        let Some(rec) = last_record_start(reply).and_then(|at| Record::parse(reply, at)) else {
            return false;
        };
        rec.key_name.eq_ignore_case(&self.key.name)
            && Algorithm::from_wire(rec.algorithm) == Some(self.key.algorithm)
            && rec.error == 0
            && rec.mac.len() == self.key.algorithm.mac_len()
            && now.abs_diff(rec.time_signed) <= rec.fudge as u64
            && same_bytes(
                signed_digest(&self.key.secret, &self.prior_mac, reply, &rec).as_ref(),
                rec.mac,
            )
    }

    /// Bytes the TSIG record adds to a message: room to keep free when filling one.
    pub fn record_len(&self) -> usize {
        self.key.name.wire_len()
            + 10
            + self.key.algorithm.name().len()
            + 2
            + 16
            + self.key.algorithm.mac_len()
            + 6 // room for BADTIME's other data
    }

    /// Appends to `msg`, a complete message, its TSIG record, and counts it in ARCOUNT.
    pub fn sign(&mut self, msg: &mut Vec<u8>) {
        self.sign_with(msg, 0, &[]);
    }

    fn sign_with(&mut self, msg: &mut Vec<u8>, error: u16, other: &[u8]) {
        let mut ctx = hmac::Context::with_key(&self.key.secret);
        if !self.prior_mac.is_empty() {
            ctx.update(&(self.prior_mac.len() as u16).to_be_bytes());
            ctx.update(&self.prior_mac);
        }
        ctx.update(msg);
        let mut alg = Vec::with_capacity(16);
        self.key.algorithm.write_wire(&mut alg);
        let fields = Fields {
            // Lower-cased when the key was made: its canonical form.
            key_name: self.key.name.as_wire(),
            algorithm: &alg,
            time: self.time,
            error,
            other,
        };
        let mut vars = Vec::with_capacity(64);
        if self.first {
            write_variables(&mut vars, &fields, FUDGE);
        } else {
            // Later messages of a stream sign the timers only (§5.3.1).
            vars.extend_from_slice(&self.time.to_be_bytes()[2..]);
            vars.extend_from_slice(&FUDGE.to_be_bytes());
        }
        ctx.update(&vars);
        let mac = ctx.sign();
        let id = u16::from_be_bytes([msg[0], msg[1]]);
        append_record(msg, &fields, mac.as_ref(), id);
        self.prior_mac = mac.as_ref().to_vec();
        self.first = false;
    }
}

/// The TSIG fields that go both into the digest and into the record.
struct Fields<'a> {
    key_name: &'a [u8],
    algorithm: &'a [u8],
    time: u64,
    error: u16,
    other: &'a [u8],
}

/// The TSIG variables of the digest (RFC 8945 §4.3.3), names in canonical (lower-case) form.
fn write_variables(out: &mut Vec<u8>, f: &Fields<'_>, fudge: u16) {
    let at = out.len();
    out.extend_from_slice(f.key_name);
    lowercase_wire(&mut out[at..]);
    out.extend_from_slice(&CLASS_ANY.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    let at = out.len();
    out.extend_from_slice(f.algorithm);
    lowercase_wire(&mut out[at..]);
    out.extend_from_slice(&f.time.to_be_bytes()[2..]);
    out.extend_from_slice(&fudge.to_be_bytes());
    out.extend_from_slice(&f.error.to_be_bytes());
    out.extend_from_slice(&(f.other.len() as u16).to_be_bytes());
    out.extend_from_slice(f.other);
}

/// Appends the TSIG record and raises ARCOUNT.
fn append_record(msg: &mut Vec<u8>, f: &Fields<'_>, mac: &[u8], original_id: u16) {
    msg.extend_from_slice(f.key_name);
    msg.extend_from_slice(&RTYPE_TSIG.to_be_bytes());
    msg.extend_from_slice(&CLASS_ANY.to_be_bytes());
    msg.extend_from_slice(&0u32.to_be_bytes());
    let rdlen = f.algorithm.len() + 10 + mac.len() + 6 + f.other.len();
    msg.extend_from_slice(&(rdlen as u16).to_be_bytes());
    msg.extend_from_slice(f.algorithm);
    msg.extend_from_slice(&f.time.to_be_bytes()[2..]);
    msg.extend_from_slice(&FUDGE.to_be_bytes());
    msg.extend_from_slice(&(mac.len() as u16).to_be_bytes());
    msg.extend_from_slice(mac);
    msg.extend_from_slice(&original_id.to_be_bytes());
    msg.extend_from_slice(&f.error.to_be_bytes());
    msg.extend_from_slice(&(f.other.len() as u16).to_be_bytes());
    msg.extend_from_slice(f.other);
    let ar = u16::from_be_bytes([msg[10], msg[11]]).wrapping_add(1);
    msg[10..12].copy_from_slice(&ar.to_be_bytes());
}

/// TSIG's clock: the wall clock in the unsigned seconds of the Time Signed field.
pub fn now() -> u64 {
    crate::clock::unix_now().unsigned_abs()
}

#[cfg(test)]
mod tests;
