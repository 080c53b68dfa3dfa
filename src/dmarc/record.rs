//! The DMARC policy record: parsing and validation by RFC 9989 (DMARCbis), with RFC 7489's `pct`,
//! `rf` and `ri` accepted and warned about; the canonical text; and the tag merge of
//! `zonectl dmarc set` (`TAG=VALUE` sets a tag, `TAG=` removes it).
//!
//! A record is `v=DMARC1` followed by `tag=value` pairs separated by `;` (whitespace around
//! either is allowed, a trailing `;` too). Tag names and keyword values are case-insensitive and
//! written in lower case; `DMARC1` is exactly that. The canonical text puts `v` first, then `p`,
//! then the order of [`Tag::ALL`], joined with `; `.
//!
//! Pure: imports `std`, `thiserror` and [`crate::zone::Name`] (to check report domains).

use std::collections::BTreeMap;
use std::fmt;

use crate::zone::Name;

/// A tag this module knows. The order of the variants is the canonical output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tag {
    V,
    P,
    Sp,
    Np,
    T,
    Pct,
    Adkim,
    Aspf,
    Psd,
    Rua,
    Ruf,
    Fo,
    Rf,
    Ri,
}

impl Tag {
    /// Every tag, in canonical order.
    pub const ALL: [Tag; 14] = [
        Tag::V,
        Tag::P,
        Tag::Sp,
        Tag::Np,
        Tag::T,
        Tag::Pct,
        Tag::Adkim,
        Tag::Aspf,
        Tag::Psd,
        Tag::Rua,
        Tag::Ruf,
        Tag::Fo,
        Tag::Rf,
        Tag::Ri,
    ];

    /// The tag's name as written in records.
    pub fn name(self) -> &'static str {
        match self {
            Tag::V => "v",
            Tag::P => "p",
            Tag::Sp => "sp",
            Tag::Np => "np",
            Tag::T => "t",
            Tag::Pct => "pct",
            Tag::Adkim => "adkim",
            Tag::Aspf => "aspf",
            Tag::Psd => "psd",
            Tag::Rua => "rua",
            Tag::Ruf => "ruf",
            Tag::Fo => "fo",
            Tag::Rf => "rf",
            Tag::Ri => "ri",
        }
    }

    /// The tag named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Tag> {
        Tag::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// Tags RFC 7489 defined and RFC 9989 removed: accepted, with a warning.
    pub fn is_legacy(self) -> bool {
        matches!(self, Tag::Pct | Tag::Rf | Tag::Ri)
    }

    /// What a valid value looks like, for error messages.
    pub fn expected(self) -> &'static str {
        match self {
            Tag::V => "DMARC1",
            Tag::P | Tag::Sp | Tag::Np => "none, quarantine or reject",
            Tag::T => "y or n",
            Tag::Pct => "an integer from 0 to 100",
            Tag::Adkim | Tag::Aspf => "r (relaxed) or s (strict)",
            Tag::Psd => "y, n or u",
            Tag::Rua | Tag::Ruf => {
                "a comma-separated list of mailto: URIs, each with an optional !SIZE \
                 (e.g. mailto:dmarc@example.com!10m)"
            }
            Tag::Fo => "a colon-separated list of 0, 1, d and s",
            Tag::Rf => "a colon-separated list of report formats (afrf)",
            Tag::Ri => "a number of seconds (0 to 4294967295)",
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A requested handling policy (`p`, `sp`, `np`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Policy> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// The next lower policy: what RFC 7489 applies to failing mail that `pct` did not sample.
    pub fn lower(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An identifier alignment mode (`adkim`, `aspf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlignMode {
    Relaxed,
    Strict,
}

impl AlignMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AlignMode::Relaxed => "r",
            AlignMode::Strict => "s",
        }
    }
}

/// The `psd` tag: is this domain a public suffix domain?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Psd {
    Yes,
    No,
    Unknown,
}

impl Psd {
    pub fn as_str(self) -> &'static str {
        match self {
            Psd::Yes => "y",
            Psd::No => "n",
            Psd::Unknown => "u",
        }
    }
}

/// One `rua`/`ruf` destination: `mailto:ADDRESS` with an optional `!SIZE` limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportUri {
    /// The address as written (percent-escapes kept).
    pub address: String,
    /// The address's domain, lower-cased, percent-escapes decoded, without a trailing dot.
    pub domain: String,
    /// The size limit as written after `!` (digits and an optional unit k, m, g or t).
    pub size: Option<String>,
}

impl ReportUri {
    /// Parses one URI of a `rua`/`ruf` list; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<ReportUri, String> {
        let text = text.trim();
        let (uri, size) = match text.rsplit_once('!') {
            Some((uri, size)) => (uri, Some(size)),
            None => (text, None),
        };
        if let Some(size) = size {
            let digits = size.trim_end_matches(|c: char| "kmgtKMGT".contains(c));
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || size.len() - digits.len() > 1
            {
                return Err(format!(
                    "{text:?}: the size after ! must be digits with an optional unit k, m, g or t"
                ));
            }
        }
        let Some((scheme, address)) = uri.split_once(':') else {
            return Err(format!("{text:?} is not a URI (write mailto:ADDRESS)"));
        };
        if !scheme.eq_ignore_ascii_case("mailto") {
            return Err(format!(
                "{text:?}: only mailto: URIs are defined for DMARC reports"
            ));
        }
        if address.contains('?') {
            return Err(format!(
                "{text:?}: a report address takes no ?header fields"
            ));
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(format!("{text:?}: the address has no @domain"));
        };
        if local.is_empty() {
            return Err(format!("{text:?}: the address has no local part"));
        }
        let domain = percent_decode(domain)
            .ok_or_else(|| format!("{text:?}: bad %-escape in the domain"))?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if domain.is_empty()
            || !domain.contains('.')
            || domain
                .bytes()
                .any(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'))
            || Name::parse(&format!("{domain}."), None).is_err()
        {
            return Err(format!("{text:?}: {domain:?} is not a valid mail domain"));
        }
        Ok(ReportUri {
            address: address.to_owned(),
            domain,
            size: size.map(|s| s.to_ascii_lowercase()),
        })
    }
}

impl fmt::Display for ReportUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mailto:{}", self.address)?;
        if let Some(size) = &self.size {
            write!(f, "!{size}")?;
        }
        Ok(())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One tag's value, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Version,
    Policy(Policy),
    Flag(bool),
    Percent(u8),
    Align(AlignMode),
    Psd(Psd),
    Uris(Vec<ReportUri>),
    /// `fo` options (each of `0 1 d s`) or `rf` formats, in the order written, lower-cased.
    List(Vec<String>),
    Seconds(u32),
}

impl Value {
    /// Parses `text` as the value of `tag`.
    pub fn parse(tag: Tag, text: &str) -> Result<Value, DmarcError> {
        let text = text.trim();
        let bad = |reason: Option<String>| DmarcError::BadValue {
            tag,
            value: text.to_owned(),
            expected: reason.unwrap_or_else(|| tag.expected().to_owned()),
        };
        let word = text.to_ascii_lowercase();
        Ok(match tag {
            Tag::V if text == "DMARC1" => Value::Version,
            Tag::V => return Err(bad(None)),
            Tag::P | Tag::Sp | Tag::Np => Value::Policy(Policy::parse(text).ok_or(bad(None))?),
            Tag::T => match word.as_str() {
                "y" => Value::Flag(true),
                "n" => Value::Flag(false),
                _ => return Err(bad(None)),
            },
            Tag::Pct => match text.parse::<u8>() {
                Ok(n) if n <= 100 && text.bytes().all(|b| b.is_ascii_digit()) => Value::Percent(n),
                _ => return Err(bad(None)),
            },
            Tag::Adkim | Tag::Aspf => match word.as_str() {
                "r" => Value::Align(AlignMode::Relaxed),
                "s" => Value::Align(AlignMode::Strict),
                _ => return Err(bad(None)),
            },
            Tag::Psd => match word.as_str() {
                "y" => Value::Psd(Psd::Yes),
                "n" => Value::Psd(Psd::No),
                "u" => Value::Psd(Psd::Unknown),
                _ => return Err(bad(None)),
            },
            Tag::Rua | Tag::Ruf => {
                let mut uris = Vec::new();
                for part in text.split(',') {
                    let uri = ReportUri::parse(part).map_err(|r| bad(Some(r)))?;
                    if !uris.contains(&uri) {
                        uris.push(uri);
                    }
                }
                Value::Uris(uris)
            }
            Tag::Fo | Tag::Rf => {
                let allowed: &[&str] = if tag == Tag::Fo {
                    &["0", "1", "d", "s"]
                } else {
                    &["afrf"]
                };
                let mut items: Vec<String> = Vec::new();
                for part in word.split(':') {
                    let part = part.trim();
                    if !allowed.contains(&part) {
                        return Err(bad(None));
                    }
                    if !items.iter().any(|i| i == part) {
                        items.push(part.to_owned());
                    }
                }
                Value::List(items)
            }
            Tag::Ri => match text.parse::<u32>() {
                Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Value::Seconds(n),
                _ => return Err(bad(None)),
            },
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Version => f.write_str("DMARC1"),
            Value::Policy(p) => f.write_str(p.as_str()),
            Value::Flag(b) => f.write_str(if *b { "y" } else { "n" }),
            Value::Percent(n) => write!(f, "{n}"),
            Value::Align(a) => f.write_str(a.as_str()),
            Value::Psd(p) => f.write_str(p.as_str()),
            Value::Uris(uris) => {
                let list: Vec<String> = uris.iter().map(ReportUri::to_string).collect();
                f.write_str(&list.join(","))
            }
            Value::List(items) => f.write_str(&items.join(":")),
            Value::Seconds(n) => write!(f, "{n}"),
        }
    }
}

/// Why a record, a tag or a `TAG=VALUE` is not valid. Each names the tag at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DmarcError {
    #[error("a DMARC record starts with v=DMARC1 (found {found:?})")]
    NotDmarc { found: String },
    #[error("{tag}={value:?} is not valid: {tag} takes {expected}")]
    BadValue {
        tag: Tag,
        value: String,
        expected: String,
    },
    #[error("{tag}: the tag appears more than once")]
    Duplicate { tag: Tag },
    #[error("unknown tag {name:?}: DMARC tags are v p sp np adkim aspf fo rua ruf psd t (and RFC 7489's pct rf ri)")]
    UnknownTag { name: String },
    #[error("{part:?} is not TAG=VALUE")]
    Syntax { part: String },
    #[error("p is required: a record without p is ignored by receivers (write p=none to start)")]
    MissingPolicy,
    #[error("v=DMARC1 is the record's version and cannot be changed or removed")]
    Version,
}

/// Is `item` (of a `rua` or `ruf` list, spaces around it allowed) a URI: a scheme (RFC 3986
/// §3.1) and something after its `:`? Receivers keep such an item even where zonectl would not
/// write it ([`ReportUri`] takes `mailto:` only): `https:`, or a `mailto:` with a query.
pub fn is_uri(item: &str) -> bool {
    let Some((scheme, rest)) = item.trim().split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
}

/// Does the record `text` have "a rua tag ... [with] at least one syntactically valid reporting
/// URI" (RFC 7489 §6.6.3), whatever [`DmarcRecord::parse_lenient`] makes of its other items?
pub fn rua_has_uri(text: &str) -> bool {
    text.split(';')
        .filter_map(|spec| spec.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("rua"))
        .is_some_and(|(_, value)| value.split(',').any(is_uri))
}

/// A parsed DMARC record: the tags it sets (typed) and any unknown tags, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DmarcRecord {
    tags: BTreeMap<Tag, Value>,
    /// Tags this module does not know: `(name, value)` as written. Receivers ignore them.
    unknown: Vec<(String, String)>,
}

impl DmarcRecord {
    /// An empty record: `v=DMARC1` only.
    pub fn new() -> DmarcRecord {
        let mut tags = BTreeMap::new();
        tags.insert(Tag::V, Value::Version);
        DmarcRecord {
            tags,
            unknown: Vec::new(),
        }
    }

    /// Is this TXT value a DMARC record as receivers read one: its first tag `v` (in either
    /// case, as RFC 7489's ABNF has it) with the value `DMARC1`, then `;` or the end? Receivers
    /// discard every other TXT record at `_dmarc` (RFC 7489 §6.6.3, RFC 9989).
    pub fn is_dmarc(text: &str) -> bool {
        let Some(first) = text.split(';').next() else {
            return false;
        };
        match first.split_once('=') {
            Some((t, v)) => t.trim().eq_ignore_ascii_case("v") && v.trim() == "DMARC1",
            None => false,
        }
    }

    /// Does this TXT value start like a DMARC record (`v=DMARC1`, not followed by another digit
    /// of a later version), however it goes on? One that does and is not
    /// [`DmarcRecord::is_dmarc`] (`v=DMARC1 p=none`, or `"v=DMARC1" "p=none"`, whose strings
    /// join into `v=DMARC1p=none`) was meant as one, and receivers read it as none at all.
    pub fn looks_like_dmarc(text: &str) -> bool {
        let rest = text.trim_start();
        let Some(rest) = rest.strip_prefix('v').or_else(|| rest.strip_prefix('V')) else {
            return false;
        };
        rest.trim_start()
            .strip_prefix('=')
            .and_then(|r| r.trim_start().strip_prefix("DMARC1"))
            .is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_digit()))
    }

    /// Parses a record strictly: every error found, or the record. A missing `p` is not an error
    /// here (see [`DmarcRecord::check_writable`]); unknown tags are kept and warned about.
    pub fn parse(text: &str) -> Result<DmarcRecord, Vec<DmarcError>> {
        let (rec, errors) = DmarcRecord::parse_lenient(text);
        if errors.is_empty() {
            Ok(rec)
        } else {
            Err(errors)
        }
    }

    /// Parses a record as a receiver would: tags with bad values are dropped (and reported), the
    /// rest kept. Fails (the whole record is discarded) only if it does not start with
    /// `v=DMARC1`; that error is then the only one.
    pub fn parse_lenient(text: &str) -> (DmarcRecord, Vec<DmarcError>) {
        let mut rec = DmarcRecord::default();
        let mut errors = Vec::new();
        let parts: Vec<&str> = text.split(';').collect();
        if !DmarcRecord::is_dmarc(text) {
            errors.push(DmarcError::NotDmarc {
                found: parts.first().map_or("", |p| p.trim()).to_owned(),
            });
            return (rec, errors);
        }
        rec.tags.insert(Tag::V, Value::Version);
        for part in &parts[1..] {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let Some((name, value)) = part.split_once('=') else {
                errors.push(DmarcError::Syntax {
                    part: part.to_owned(),
                });
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            let Some(tag) = Tag::from_name(name) else {
                rec.unknown.push((name.to_owned(), value.to_owned()));
                continue;
            };
            if rec.tags.contains_key(&tag) {
                errors.push(DmarcError::Duplicate { tag });
                continue;
            }
            match Value::parse(tag, value) {
                Ok(v) => {
                    rec.tags.insert(tag, v);
                }
                Err(e) => errors.push(e),
            }
        }
        (rec, errors)
    }

    /// Refuses a record zonectl would not write: one without `p`.
    pub fn check_writable(&self) -> Result<(), DmarcError> {
        if self.tags.contains_key(&Tag::P) {
            Ok(())
        } else {
            Err(DmarcError::MissingPolicy)
        }
    }

    /// Applies `TAG=VALUE` (set) or `TAG=` (remove) to the record. Unknown tags are refused by
    /// name (a typo must not silently do nothing); `v` can only be restated as `v=DMARC1`.
    pub fn apply(&mut self, assignment: &str) -> Result<(), DmarcError> {
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(DmarcError::Syntax {
                part: assignment.to_owned(),
            });
        };
        let (name, value) = (name.trim(), value.trim());
        let tag = Tag::from_name(name).ok_or_else(|| DmarcError::UnknownTag {
            name: name.to_owned(),
        })?;
        if tag == Tag::V {
            return if value == "DMARC1" {
                Ok(())
            } else {
                Err(DmarcError::Version)
            };
        }
        if value.is_empty() {
            self.tags.remove(&tag);
        } else {
            self.tags.insert(tag, Value::parse(tag, value)?);
        }
        Ok(())
    }

    /// Sets a tag to an already typed value.
    pub fn set(&mut self, tag: Tag, value: Value) {
        self.tags.insert(tag, value);
    }

    /// Removes a tag (not `v`).
    pub fn remove(&mut self, tag: Tag) {
        if tag != Tag::V {
            self.tags.remove(&tag);
        }
    }

    /// The value of `tag`, if the record sets it.
    pub fn get(&self, tag: Tag) -> Option<&Value> {
        self.tags.get(&tag)
    }

    /// The tags set, in canonical order.
    pub fn tags(&self) -> impl Iterator<Item = (Tag, &Value)> {
        self.tags.iter().map(|(t, v)| (*t, v))
    }

    /// Unknown tags as written.
    pub fn unknown(&self) -> &[(String, String)] {
        &self.unknown
    }

    fn policy_of(&self, tag: Tag) -> Option<Policy> {
        match self.tags.get(&tag) {
            Some(Value::Policy(p)) => Some(*p),
            _ => None,
        }
    }

    /// `p`, if set.
    pub fn p(&self) -> Option<Policy> {
        self.policy_of(Tag::P)
    }

    /// `sp`, if set.
    pub fn sp(&self) -> Option<Policy> {
        self.policy_of(Tag::Sp)
    }

    /// `np`, if set.
    pub fn np(&self) -> Option<Policy> {
        self.policy_of(Tag::Np)
    }

    /// `t=y`?
    pub fn testing(&self) -> bool {
        matches!(self.tags.get(&Tag::T), Some(Value::Flag(true)))
    }

    /// `pct`, if set.
    pub fn pct(&self) -> Option<u8> {
        match self.tags.get(&Tag::Pct) {
            Some(Value::Percent(n)) => Some(*n),
            _ => None,
        }
    }

    /// `psd`, if set.
    pub fn psd(&self) -> Option<Psd> {
        match self.tags.get(&Tag::Psd) {
            Some(Value::Psd(p)) => Some(*p),
            _ => None,
        }
    }

    /// `adkim` (default relaxed).
    pub fn adkim(&self) -> AlignMode {
        match self.tags.get(&Tag::Adkim) {
            Some(Value::Align(a)) => *a,
            _ => AlignMode::Relaxed,
        }
    }

    /// `aspf` (default relaxed).
    pub fn aspf(&self) -> AlignMode {
        match self.tags.get(&Tag::Aspf) {
            Some(Value::Align(a)) => *a,
            _ => AlignMode::Relaxed,
        }
    }

    /// The `rua` destinations (empty if unset).
    pub fn rua(&self) -> &[ReportUri] {
        match self.tags.get(&Tag::Rua) {
            Some(Value::Uris(u)) => u,
            _ => &[],
        }
    }

    /// The `ruf` destinations (empty if unset).
    pub fn ruf(&self) -> &[ReportUri] {
        match self.tags.get(&Tag::Ruf) {
            Some(Value::Uris(u)) => u,
            _ => &[],
        }
    }

    /// The policy receivers apply when `p` is missing or invalid: none (RFC 7489 §6.6.3).
    pub fn effective_p(&self) -> Policy {
        self.p().unwrap_or(Policy::None)
    }

    /// Things that are valid but probably not what the domain owner wants, in plain words.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for (tag, _) in self.tags() {
            if tag.is_legacy() {
                w.push(format!(
                    "{tag}: RFC 9989 removed this RFC 7489 tag; RFC 9989 receivers ignore it, \
                     RFC 7489 receivers still read it"
                ));
            }
        }
        for (name, _) in &self.unknown {
            w.push(format!(
                "{name}: unknown tag; receivers ignore it (a typo of a real tag?)"
            ));
        }
        if self.p().is_none() {
            w.push("p is missing: receivers treat the record as p=none".to_owned());
        }
        if self.rua().is_empty() {
            w.push(
                "rua is not set: no aggregate reports will arrive, so there is no evidence of \
                 which mail would fail"
                    .to_owned(),
            );
        }
        match (self.testing(), self.pct()) {
            (true, Some(0)) => {}
            (true, _) if self.effective_p() != Policy::None => w.push(
                "t=y without pct=0: RFC 7489 receivers ignore t and apply the policy to all \
                 failing mail; add pct=0 to make them apply the next lower policy"
                    .to_owned(),
            ),
            (false, Some(0)) if self.effective_p() != Policy::None => w.push(
                "pct=0 without t=y: RFC 9989 receivers ignore pct and apply the policy to all \
                 failing mail; add t=y to make them hold back"
                    .to_owned(),
            ),
            (_, Some(n)) if n != 0 && n != 100 => w.push(format!(
                "pct={n}: RFC 9989 receivers ignore pct and apply the policy to all failing \
                 mail; RFC 7489 receivers sample {n}%"
            )),
            _ => {}
        }
        for (tag, uris) in [("rua", self.rua()), ("ruf", self.ruf())] {
            for uri in uris.iter().filter(|u| u.size.is_some()) {
                w.push(format!(
                    "{tag}: the size limit in {uri} is RFC 7489 syntax that RFC 9989 dropped; \
                     RFC 9989 reporters ignore it, RFC 7489 reporters may leave out of a report \
                     what does not fit"
                ));
            }
        }
        if self.get(Tag::Fo).is_some() && self.ruf().is_empty() {
            w.push("fo has no effect without ruf".to_owned());
        }
        if !self.ruf().is_empty() {
            w.push(
                "ruf: few receivers send failure reports, and those that do may include \
                 message content (personal data)"
                    .to_owned(),
            );
        }
        if self.psd() == Some(Psd::Yes) {
            w.push(
                "psd=y declares this domain a public suffix (like a TLD): receivers take the \
                 domain one label below as the organizational domain"
                    .to_owned(),
            );
        }
        w
    }
}

impl fmt::Display for DmarcRecord {
    /// The canonical text: `v=DMARC1; p=…; …` in [`Tag::ALL`] order, then unknown tags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.tags.iter().map(|(t, v)| format!("{t}={v}")).collect();
        if !self.tags.contains_key(&Tag::V) {
            parts.insert(0, "v=DMARC1".to_owned());
        }
        parts.extend(self.unknown.iter().map(|(n, v)| format!("{n}={v}")));
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tag with good values (and their canonical form) and bad values.
    #[test]
    fn tag_values_good_and_bad() {
        let good: &[(&str, &str, &str)] = &[
            ("v", "DMARC1", "DMARC1"),
            ("p", "none", "none"),
            ("p", "Quarantine", "quarantine"),
            ("p", "REJECT", "reject"),
            ("sp", "reject", "reject"),
            ("np", "quarantine", "quarantine"),
            ("t", "y", "y"),
            ("t", "N", "n"),
            ("pct", "0", "0"),
            ("pct", "100", "100"),
            ("pct", "37", "37"),
            ("adkim", "r", "r"),
            ("adkim", "S", "s"),
            ("aspf", "s", "s"),
            ("psd", "y", "y"),
            ("psd", "n", "n"),
            ("psd", "u", "u"),
            ("rua", "mailto:d@example.com", "mailto:d@example.com"),
            (
                "rua",
                "mailto:d@example.com!10m, MAILTO:x@Reports.Example.NET",
                "mailto:d@example.com!10m,mailto:x@Reports.Example.NET",
            ),
            (
                "ruf",
                "mailto:f@example.com!512",
                "mailto:f@example.com!512",
            ),
            ("fo", "0", "0"),
            ("fo", "1:d:s", "1:d:s"),
            ("fo", "D:s", "d:s"),
            ("rf", "afrf", "afrf"),
            ("ri", "86400", "86400"),
        ];
        for (tag, value, canonical) in good {
            let t = Tag::from_name(tag).unwrap();
            let v = Value::parse(t, value).unwrap_or_else(|e| panic!("{tag}={value}: {e}"));
            assert_eq!(v.to_string(), *canonical, "{tag}={value}");
        }
        let bad: &[(&str, &str)] = &[
            ("v", "DMARC2"),
            ("v", "dmarc1"),
            ("p", "block"),
            ("p", ""),
            ("sp", "yes"),
            ("np", "nxdomain"),
            ("t", "yes"),
            ("t", "1"),
            ("pct", "101"),
            ("pct", "-1"),
            ("pct", "50%"),
            ("pct", "+5"),
            ("adkim", "relaxed"),
            ("aspf", "x"),
            ("psd", "maybe"),
            ("rua", "d@example.com"),
            ("rua", "https://example.com/report"),
            ("rua", "mailto:example.com"),
            ("rua", "mailto:d@example.com!10x"),
            ("rua", "mailto:d@example.com!"),
            ("rua", "mailto:d@example.com!m"),
            ("rua", "mailto:d@exa mple.com"),
            ("rua", "mailto:d@localhost"),
            ("rua", "mailto:d@example.com,"),
            ("ruf", "mailto:@example.com"),
            ("fo", "2"),
            ("fo", "0,1"),
            ("fo", ""),
            ("rf", "iodef"),
            ("ri", "-5"),
            ("ri", "4294967296"),
            ("ri", "1d"),
        ];
        for (tag, value) in bad {
            let t = Tag::from_name(tag).unwrap();
            match Value::parse(t, value) {
                Err(DmarcError::BadValue { tag: at, .. }) => assert_eq!(at, t, "{tag}={value}"),
                other => panic!("{tag}={value}: expected BadValue, got {other:?}"),
            }
        }
    }

    #[test]
    fn canonical_order_and_form() {
        let rec = DmarcRecord::parse(
            " v=DMARC1 ;rua=mailto:a@example.com; ADKIM=s; sp=none;p=Reject; t=y;pct=0; fo=1; x=9;",
        )
        .unwrap();
        assert_eq!(
            rec.to_string(),
            "v=DMARC1; p=reject; sp=none; t=y; pct=0; adkim=s; rua=mailto:a@example.com; fo=1; x=9"
        );
        // The canonical text parses to the same record.
        assert_eq!(DmarcRecord::parse(&rec.to_string()).unwrap(), rec);
    }

    #[test]
    fn whole_record_errors() {
        for (text, want) in [
            ("p=none; v=DMARC1", "starts with v=DMARC1"),
            ("v=DMARC2; p=none", "starts with v=DMARC1"),
            ("", "starts with v=DMARC1"),
            ("v=DMARC1; p=none; p=reject", "more than once"),
            ("v=DMARC1; p", "is not TAG=VALUE"),
            ("v=DMARC1; p=nope", "p=\"nope\" is not valid"),
        ] {
            let errs = DmarcRecord::parse(text).unwrap_err();
            assert!(
                errs.iter().any(|e| e.to_string().contains(want)),
                "{text:?}: {errs:?}"
            );
        }
        // Lenient parsing keeps the good tags, as a receiver does.
        let (rec, errs) = DmarcRecord::parse_lenient("v=DMARC1; p=nope; rua=mailto:a@b.example");
        assert_eq!(errs.len(), 1);
        assert_eq!(rec.p(), None);
        assert_eq!(rec.effective_p(), Policy::None);
        assert_eq!(rec.rua().len(), 1);
        assert!(DmarcRecord::is_dmarc("v=DMARC1"));
        assert!(DmarcRecord::is_dmarc("v = DMARC1 ; p=none"));
        assert!(DmarcRecord::is_dmarc("V=DMARC1; p=none"));
        assert!(!DmarcRecord::is_dmarc("v=spf1 -all"));
        assert!(!DmarcRecord::is_dmarc("v=DMARC10; p=none"));
        assert!(!DmarcRecord::is_dmarc("v=dmarc1; p=none"));
        // Meant as DMARC, read as none: no `;` after the version, or a longer version.
        for text in ["v=DMARC1 p=none", "v=DMARC1, p=none", "v=DMARC1p=none"] {
            assert!(!DmarcRecord::is_dmarc(text), "{text}");
            assert!(DmarcRecord::looks_like_dmarc(text), "{text}");
        }
        // Another version, or not DMARC at all.
        for text in [
            "v=DMARC10; p=none",
            "v=spf1 -all",
            "p=none; v=DMARC1",
            "v=dmarc1; p=none",
        ] {
            assert!(!DmarcRecord::looks_like_dmarc(text), "{text}");
        }
        for text in ["v=DMARC1", " v = DMARC1 ; p=none", "V=DMARC1;p=reject"] {
            assert!(DmarcRecord::is_dmarc(text), "{text}");
            assert!(DmarcRecord::looks_like_dmarc(text), "{text}");
        }
    }

    #[test]
    fn merge_sets_removes_and_refuses() {
        let mut rec = DmarcRecord::parse("v=DMARC1; p=none; rua=mailto:a@example.com").unwrap();
        rec.apply("p=quarantine").unwrap();
        rec.apply("adkim=s").unwrap();
        rec.apply("rua=").unwrap();
        rec.apply("v=DMARC1").unwrap();
        assert_eq!(rec.to_string(), "v=DMARC1; p=quarantine; adkim=s");
        // Removing a tag that is not there changes nothing.
        let before = rec.clone();
        rec.apply("ruf=").unwrap();
        assert_eq!(rec, before);
        // Refusals name the tag and leave the record as it was.
        for (arg, want) in [
            ("p=blocked", "p=\"blocked\" is not valid"),
            ("pct=200", "pct=\"200\""),
            ("polcy=reject", "unknown tag \"polcy\""),
            ("v=DMARC2", "cannot be changed"),
            ("v=", "cannot be changed"),
            ("p", "is not TAG=VALUE"),
        ] {
            let err = rec.apply(arg).unwrap_err();
            assert!(err.to_string().contains(want), "{arg}: {err}");
            assert_eq!(rec, before, "{arg}");
        }
        let mut empty = DmarcRecord::new();
        assert_eq!(empty.check_writable(), Err(DmarcError::MissingPolicy));
        empty.apply("p=none").unwrap();
        assert_eq!(empty.check_writable(), Ok(()));
        assert_eq!(empty.to_string(), "v=DMARC1; p=none");
    }

    #[test]
    fn report_uris() {
        let u = ReportUri::parse("mailto:dmarc%2Breports@Reports.Example.COM.!50k").unwrap();
        assert_eq!(u.domain, "reports.example.com");
        assert_eq!(u.size.as_deref(), Some("50k"));
        assert_eq!(
            u.to_string(),
            "mailto:dmarc%2Breports@Reports.Example.COM.!50k"
        );
        let u = ReportUri::parse("mailto:a@example.com").unwrap();
        assert_eq!(u.size, None);
    }

    #[test]
    fn warnings_say_what_each_generation_does() {
        let has = |text: &str, want: &str| {
            let rec = DmarcRecord::parse(text).unwrap();
            rec.warnings().iter().any(|w| w.contains(want))
        };
        assert!(has("v=DMARC1; p=none; pct=50", "RFC 9989 removed"));
        assert!(has("v=DMARC1; p=none; ri=3600", "ri: RFC 9989 removed"));
        assert!(has("v=DMARC1; p=none; rf=afrf", "rf: RFC 9989 removed"));
        assert!(has("v=DMARC1; p=none", "rua is not set"));
        assert!(has("v=DMARC1; p=reject; t=y", "t=y without pct=0"));
        assert!(has("v=DMARC1; p=reject; pct=0", "pct=0 without t=y"));
        assert!(has("v=DMARC1; p=reject; pct=30", "sample 30%"));
        assert!(has("v=DMARC1; p=none; fo=1", "fo has no effect"));
        assert!(has(
            "v=DMARC1; p=none; rua=mailto:a@b.example!10m",
            "rua: the size limit in mailto:a@b.example!10m is RFC 7489 syntax"
        ));
        assert!(has("v=DMARC1; p=none; psd=y", "public suffix"));
        assert!(has("v=DMARC1; p=none; foo=bar", "foo: unknown tag"));
        assert!(has("v=DMARC1; rua=mailto:a@b.example", "p is missing"));
        let clean =
            DmarcRecord::parse("v=DMARC1; p=quarantine; t=y; pct=0; rua=mailto:a@example.com")
                .unwrap();
        assert_eq!(clean.warnings(), vec!["pct: RFC 9989 removed this RFC 7489 tag; RFC 9989 receivers ignore it, RFC 7489 receivers still read it".to_owned()]);
    }
}
