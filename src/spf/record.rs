//! The SPF record (RFC 7208 §4.5, §4.6, §5, §6, §12): which TXT records are SPF records, and
//! the syntax of every mechanism and modifier.
//!
//! ```text
//! record    = "v=spf1" *( 1*SP ( directive / modifier ) ) *SP
//! directive = [ "+" / "-" / "?" / "~" ] mechanism
//! mechanism = all / include / a / mx / ptr / ip4 / ip6 / exists
//! modifier  = redirect / explanation / unknown-modifier       (name "=" macro-string)
//! domain-spec = macro-string ( ( "." toplabel [ "." ] ) / macro-expand )
//! ```
//!
//! The whole record is parsed before anything is evaluated, so a syntax error anywhere is a
//! permerror even after a matching term (§4.6). Pure: no DNS here.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::macros::{MacroError, MacroPlace, MacroString, Piece};

/// The version tag every SPF record starts with (case-insensitive).
pub const VERSION: &str = "v=spf1";

/// The qualifier of a directive: the result when its mechanism matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    /// The qualifier character (`+` is implicit and printed only when written).
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }

    /// The result name.
    pub fn result_name(self) -> &'static str {
        match self {
            Qualifier::Pass => "pass",
            Qualifier::Fail => "fail",
            Qualifier::SoftFail => "softfail",
            Qualifier::Neutral => "neutral",
        }
    }
}

/// A CIDR prefix length as written, with its address family's default.
pub type Cidr = Option<u8>;

/// A mechanism (§5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mechanism", rename_all = "lowercase")]
pub enum Mechanism {
    All,
    Include {
        domain: DomainSpec,
    },
    A {
        domain: Option<DomainSpec>,
        cidr4: Cidr,
        cidr6: Cidr,
    },
    Mx {
        domain: Option<DomainSpec>,
        cidr4: Cidr,
        cidr6: Cidr,
    },
    Ptr {
        domain: Option<DomainSpec>,
    },
    Ip4 {
        network: Ipv4Addr,
        cidr: Cidr,
    },
    Ip6 {
        network: Ipv6Addr,
        cidr: Cidr,
    },
    Exists {
        domain: DomainSpec,
    },
}

impl Mechanism {
    /// Does evaluating this mechanism query DNS, and so count toward the limit of 10 (§4.6.4)?
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include { .. }
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr { .. }
                | Mechanism::Exists { .. }
        )
    }

    /// The mechanism's name.
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include { .. } => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr { .. } => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists { .. } => "exists",
        }
    }
}

/// A domain-spec: a macro string that ends in `.toplabel` or in a macro.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainSpec(pub MacroString);

impl DomainSpec {
    /// Parses and checks a domain-spec (§7.1, `domain-end`).
    pub fn parse(text: &str) -> Result<DomainSpec, String> {
        if text.is_empty() {
            return Err("the domain is empty".into());
        }
        let ms = MacroString::parse(text, MacroPlace::Term).map_err(|e| macro_reason(&e))?;
        let ends_in_macro = !matches!(ms.pieces.last(), Some(Piece::Literal { .. }));
        if !ends_in_macro {
            let Some(Piece::Literal { text: tail }) = ms.pieces.last() else {
                unreachable!("checked just above");
            };
            let tail = tail.strip_suffix('.').unwrap_or(tail);
            let (_, top) = tail.rsplit_once('.').ok_or_else(|| {
                format!("'{text}' is not a domain: it needs a dot and a top-level label")
            })?;
            if !is_toplabel(top) {
                return Err(format!(
                    "'{text}' does not end in a valid top-level label ('{top}': letters, digits \
                     and inner hyphens, not all digits)"
                ));
            }
        }
        Ok(DomainSpec(ms))
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// Does it hold macros (so its target depends on the message)?
    pub fn has_macros(&self) -> bool {
        self.0.has_macros()
    }
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
fn is_toplabel(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

fn macro_reason(e: &MacroError) -> String {
    e.to_string()
}

/// A modifier (§6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "modifier", rename_all = "lowercase")]
pub enum Modifier {
    Redirect {
        domain: DomainSpec,
    },
    Exp {
        domain: DomainSpec,
    },
    /// Unknown modifiers are allowed and ignored (§6), but their value must be a macro string.
    Unknown {
        name: String,
        value: MacroString,
    },
}

/// One term of a record, with the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    pub text: String,
    pub kind: TermKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TermKind {
    Directive {
        qualifier: Qualifier,
        mechanism: Mechanism,
    },
    Modifier(Modifier),
}

impl Term {
    /// Does evaluating this term query DNS (`include a mx ptr exists redirect`)?
    pub fn queries_dns(&self) -> bool {
        match &self.kind {
            TermKind::Directive { mechanism, .. } => mechanism.queries_dns(),
            TermKind::Modifier(Modifier::Redirect { .. }) => true,
            TermKind::Modifier(_) => false,
        }
    }

    /// Is this the `all` mechanism (with any qualifier)?
    pub fn is_all(&self) -> bool {
        matches!(
            self.kind,
            TermKind::Directive {
                mechanism: Mechanism::All,
                ..
            }
        )
    }

    /// Is this the `redirect=` modifier?
    pub fn is_redirect(&self) -> bool {
        matches!(self.kind, TermKind::Modifier(Modifier::Redirect { .. }))
    }

    /// Parses one term (no spaces inside).
    pub fn parse(text: &str) -> Result<Term, String> {
        // A modifier is `name=…` with a valid name; anything else must be a directive.
        if let Some((name, value)) = text.split_once('=') {
            if is_modifier_name(name) {
                let modifier = match name.to_ascii_lowercase().as_str() {
                    "redirect" => Modifier::Redirect {
                        domain: DomainSpec::parse(value).map_err(|e| format!("redirect=: {e}"))?,
                    },
                    "exp" => Modifier::Exp {
                        domain: DomainSpec::parse(value).map_err(|e| format!("exp=: {e}"))?,
                    },
                    _ => Modifier::Unknown {
                        name: name.to_string(),
                        value: MacroString::parse(value, MacroPlace::Term)
                            .map_err(|e| format!("modifier {name}=: {e}"))?,
                    },
                };
                return Ok(Term {
                    text: text.to_string(),
                    kind: TermKind::Modifier(modifier),
                });
            }
        }
        let (qualifier, rest) = match text.as_bytes().first() {
            Some(b'+') => (Qualifier::Pass, &text[1..]),
            Some(b'-') => (Qualifier::Fail, &text[1..]),
            Some(b'~') => (Qualifier::SoftFail, &text[1..]),
            Some(b'?') => (Qualifier::Neutral, &text[1..]),
            _ => (Qualifier::Pass, text),
        };
        let name_end = rest.find([':', '/']).unwrap_or(rest.len());
        let (name, args) = rest.split_at(name_end);
        let mechanism = parse_mechanism(&name.to_ascii_lowercase(), args)?;
        Ok(Term {
            text: text.to_string(),
            kind: TermKind::Directive {
                qualifier,
                mechanism,
            },
        })
    }
}

/// `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`
fn is_modifier_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

/// A mechanism from its lower-cased name and what follows the name (`:…` and/or `/…`).
fn parse_mechanism(name: &str, args: &str) -> Result<Mechanism, String> {
    let need_domain = |args: &str| -> Result<DomainSpec, String> {
        let spec = args
            .strip_prefix(':')
            .ok_or_else(|| format!("{name} needs a domain: write {name}:domain"))?;
        DomainSpec::parse(spec)
    };
    match name {
        "all" => {
            if args.is_empty() {
                Ok(Mechanism::All)
            } else {
                Err(format!("all takes no argument, found '{args}'"))
            }
        }
        "include" => Ok(Mechanism::Include {
            domain: need_domain(args)?,
        }),
        "exists" => Ok(Mechanism::Exists {
            domain: need_domain(args)?,
        }),
        "a" | "mx" => {
            let (rest, cidr4, cidr6) = split_dual_cidr(args)?;
            let domain = match rest {
                "" => None,
                _ => Some(need_domain(rest)?),
            };
            Ok(if name == "a" {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            })
        }
        "ptr" => {
            let domain = match args {
                "" => None,
                _ => Some(need_domain(args)?),
            };
            Ok(Mechanism::Ptr { domain })
        }
        "ip4" => {
            let spec = args
                .strip_prefix(':')
                .ok_or("ip4 needs an address: write ip4:192.0.2.0/24")?;
            let (addr, cidr) = match spec.split_once('/') {
                Some((a, c)) => (a, Some(parse_cidr(c, 32)?)),
                None => (spec, None),
            };
            let network = parse_ipv4(addr)
                .ok_or_else(|| format!("'{addr}' is not an IPv4 address (four decimal octets)"))?;
            Ok(Mechanism::Ip4 { network, cidr })
        }
        "ip6" => {
            let spec = args
                .strip_prefix(':')
                .ok_or("ip6 needs an address: write ip6:2001:db8::/32")?;
            let (addr, cidr) = match spec.split_once('/') {
                Some((a, c)) => (a, Some(parse_cidr(c, 128)?)),
                None => (spec, None),
            };
            let network: Ipv6Addr = addr
                .parse()
                .map_err(|_| format!("'{addr}' is not an IPv6 address"))?;
            Ok(Mechanism::Ip6 { network, cidr })
        }
        "redirect" | "exp" => Err(format!(
            "{name} is a modifier: write {name}=domain, not {name}{args}"
        )),
        "" => Err("a term needs a mechanism name after its qualifier".into()),
        other => Err(format!(
            "unknown mechanism '{other}' (mechanisms: all include a mx ptr ip4 ip6 exists)"
        )),
    }
}

/// Splits `[":" domain] [ "/" cidr4 ] [ "//" cidr6 ]` into the rest and the two lengths.
fn split_dual_cidr(args: &str) -> Result<(&str, Cidr, Cidr), String> {
    let mut rest = args;
    let mut cidr6 = None;
    let mut cidr4 = None;
    if let Some((head, digits)) = trailing_number(rest) {
        if let Some(h) = head.strip_suffix("//") {
            cidr6 = Some(parse_cidr(digits, 128)?);
            rest = h;
        }
    }
    if let Some((head, digits)) = trailing_number(rest) {
        if let Some(h) = head.strip_suffix('/') {
            if !h.ends_with('/') {
                cidr4 = Some(parse_cidr(digits, 32)?);
                rest = h;
            }
        }
    }
    if !rest.is_empty() && !rest.starts_with(':') {
        return Err(format!(
            "'{args}' is not a valid prefix length: write /N for IPv4 and //N for IPv6 \
             (e.g. a/24//64)"
        ));
    }
    Ok((rest, cidr4, cidr6))
}

/// `s` split before its trailing run of digits, if it ends in one.
fn trailing_number(s: &str) -> Option<(&str, &str)> {
    let start = s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    (start < s.len()).then(|| s.split_at(start))
}

/// A prefix length: decimal, no leading zero, at most `max`.
fn parse_cidr(digits: &str, max: u8) -> Result<u8, String> {
    let ok = !digits.is_empty()
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && digits.len() <= 3;
    let n: u16 = if ok {
        digits.parse().unwrap_or(999)
    } else {
        999
    };
    if n > u16::from(max) {
        return Err(format!(
            "'/{digits}' is not a prefix length from 0 to {max} (decimal, no leading zero)"
        ));
    }
    Ok(n as u8)
}

/// Four decimal octets, no leading zeros (RFC 7208 §5.6 ip4-network).
fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if p.len() > 1 && p.starts_with('0') {
            return None;
        }
        *o = p.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// A parsed SPF record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfRecord {
    pub terms: Vec<Term>,
}

/// Why a record is not valid SPF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpfSyntaxError {
    #[error("the record does not start with v=spf1 followed by a space or its end")]
    NotSpf,
    #[error(
        "the record holds a byte outside ASCII at offset {offset}: SPF records are 7-bit ASCII"
    )]
    NonAscii { offset: usize },
    #[error("the record holds a control character at offset {offset}: terms are separated by spaces only")]
    ControlChar { offset: usize },
    #[error("term {index} '{term}': {reason}")]
    Term {
        index: usize,
        term: String,
        reason: String,
    },
    #[error("{name}= appears more than once (at most one redirect= and one exp=)")]
    DuplicateModifier { name: &'static str },
}

/// Is this TXT value an SPF record, i.e. does it start with `v=spf1` (any case) followed by a
/// space or its end (§4.5)? Records that start like one but are malformed are still selected,
/// and then fail to parse.
pub fn is_spf(value: &[u8]) -> bool {
    value.len() >= VERSION.len()
        && value[..VERSION.len()].eq_ignore_ascii_case(VERSION.as_bytes())
        && value.get(VERSION.len()).is_none_or(|c| *c == b' ')
}

impl SpfRecord {
    /// Parses a whole record (the TXT strings already joined without separators, §3.3).
    pub fn parse(value: &[u8]) -> Result<SpfRecord, SpfSyntaxError> {
        if !is_spf(value) {
            return Err(SpfSyntaxError::NotSpf);
        }
        if let Some(offset) = value.iter().position(|c| !c.is_ascii()) {
            return Err(SpfSyntaxError::NonAscii { offset });
        }
        // ASCII checked: the conversion cannot fail.
        let text = std::str::from_utf8(value).expect("ASCII is UTF-8");
        let mut terms = Vec::new();
        for (index, word) in text[VERSION.len()..]
            .split(' ')
            .filter(|w| !w.is_empty())
            .enumerate()
        {
            if let Some(k) = word.bytes().position(|c| c.is_ascii_control()) {
                let offset = word.as_ptr() as usize - text.as_ptr() as usize + k;
                return Err(SpfSyntaxError::ControlChar { offset });
            }
            let term = Term::parse(word).map_err(|reason| SpfSyntaxError::Term {
                index: index + 1,
                term: word.to_string(),
                reason,
            })?;
            terms.push(term);
        }
        let count = |f: fn(&Term) -> bool| terms.iter().filter(|t| f(t)).count();
        if count(Term::is_redirect) > 1 {
            return Err(SpfSyntaxError::DuplicateModifier { name: "redirect" });
        }
        if count(|t| matches!(t.kind, TermKind::Modifier(Modifier::Exp { .. }))) > 1 {
            return Err(SpfSyntaxError::DuplicateModifier { name: "exp" });
        }
        Ok(SpfRecord { terms })
    }

    /// The `redirect=` target, if any.
    pub fn redirect(&self) -> Option<&DomainSpec> {
        self.terms.iter().find_map(|t| match &t.kind {
            TermKind::Modifier(Modifier::Redirect { domain }) => Some(domain),
            _ => None,
        })
    }

    /// The `exp=` target, if any.
    pub fn exp(&self) -> Option<&DomainSpec> {
        self.terms.iter().find_map(|t| match &t.kind {
            TermKind::Modifier(Modifier::Exp { domain }) => Some(domain),
            _ => None,
        })
    }

    /// Does the record hold an `all` mechanism (which makes `redirect=` ignored, §6.1)?
    pub fn has_all(&self) -> bool {
        self.terms.iter().any(Term::is_all)
    }
}

impl fmt::Display for SpfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(VERSION)?;
        for t in &self.terms {
            write!(f, " {}", t.text)?;
        }
        Ok(())
    }
}

/// One sentence saying what a term does, for `spf show`.
pub fn explain(term: &Term) -> String {
    let domain_or = |d: &Option<DomainSpec>, what: &str| match d {
        Some(d) => d.text().to_string(),
        None => what.to_string(),
    };
    let cidrs = |c4: Cidr, c6: Cidr| match (c4, c6) {
        (None, None) => String::new(),
        (Some(a), None) => format!(" (IPv4 as /{a})"),
        (None, Some(b)) => format!(" (IPv6 as /{b})"),
        (Some(a), Some(b)) => format!(" (IPv4 as /{a}, IPv6 as /{b})"),
    };
    match &term.kind {
        TermKind::Directive {
            qualifier,
            mechanism,
        } => {
            let r = qualifier.result_name();
            match mechanism {
                Mechanism::All => format!("{r} for every other client"),
                Mechanism::Include { domain } => {
                    format!("{r} if {}'s SPF record passes the client", domain.text())
                }
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                } => format!(
                    "{r} if the client is an address of {}{}",
                    domain_or(domain, "this domain"),
                    cidrs(*cidr4, *cidr6)
                ),
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                } => format!(
                    "{r} if the client is an address of an MX host of {}{}",
                    domain_or(domain, "this domain"),
                    cidrs(*cidr4, *cidr6)
                ),
                Mechanism::Ptr { domain } => format!(
                    "{r} if the client's validated reverse name ends in {} (discouraged, RFC 7208 §5.5)",
                    domain_or(domain, "this domain")
                ),
                Mechanism::Ip4 { network, cidr } => {
                    format!("{r} if the client is in {network}/{}", cidr.unwrap_or(32))
                }
                Mechanism::Ip6 { network, cidr } => {
                    format!("{r} if the client is in {network}/{}", cidr.unwrap_or(128))
                }
                Mechanism::Exists { domain } => {
                    format!("{r} if {} has an A record", domain.text())
                }
            }
        }
        TermKind::Modifier(Modifier::Redirect { domain }) => format!(
            "if nothing matched, the result is {}'s SPF result",
            domain.text()
        ),
        TermKind::Modifier(Modifier::Exp { domain }) => format!(
            "on fail, the explanation is the TXT record at {}",
            domain.text()
        ),
        TermKind::Modifier(Modifier::Unknown { name, .. }) => {
            format!("unknown modifier {name}=, ignored by receivers")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SpfRecord, SpfSyntaxError> {
        SpfRecord::parse(s.as_bytes())
    }

    #[test]
    fn selects_spf_records() {
        for yes in ["v=spf1", "v=spf1 -all", "V=SpF1 ~all", "v=spf1 "] {
            assert!(is_spf(yes.as_bytes()), "{yes}");
        }
        for no in [
            "v=spf10",
            "v=spf1mx",
            "v=spf",
            "spf1",
            "",
            "v=DMARC1; p=none",
        ] {
            assert!(!is_spf(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn good_records() {
        let good = [
            "v=spf1",
            "v=spf1 -all",
            "v=spf1 a  -all ",
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.net ~all",
            "v=spf1 a mx/24 a:mail.example.com/24//64 mx//64 ptr ptr:example.com ?all",
            "v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d2} -all",
            "v=spf1 redirect=_spf.example.com",
            "v=spf1 -all exp=explain._spf.%{d}",
            "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
            "v=spf1 a:foo:bar/baz.example.com",
            "v=spf1 a:foo.example.xn--zckzah -all",
            "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
            "v=spf1 default=+",
            "v=spf1 ip6:::1.1.1.1/0 ip6:Cafe:Babe:8000::/33 ip4:1.1.1.1/0",
            "v=spf1 a:mail.example...com",
            "v=spf1 include:example.com. -all",
        ];
        for g in good {
            let r = parse(g).unwrap_or_else(|e| panic!("{g}: {e}"));
            assert_eq!(
                r.to_string().split(' ').count(),
                g.split_whitespace().count()
            );
        }
        let r = parse("v=spf1 a:mail.example.com/24//64 -ip4:10.0.0.1").unwrap();
        assert_eq!(
            r.terms[0].kind,
            TermKind::Directive {
                qualifier: Qualifier::Pass,
                mechanism: Mechanism::A {
                    domain: Some(DomainSpec::parse("mail.example.com").unwrap()),
                    cidr4: Some(24),
                    cidr6: Some(64)
                }
            }
        );
        assert!(matches!(
            r.terms[1].kind,
            TermKind::Directive {
                qualifier: Qualifier::Fail,
                mechanism: Mechanism::Ip4 { cidr: None, .. }
            }
        ));
    }

    #[test]
    fn bad_records() {
        let bad = [
            "v=spf1 ip4:1.2.3.4 -all moo",
            "v=spf1 moo.cow/far_out=man:dog/cat",
            "v=spf1 moo.cow:far_out=man:dog/cat",
            "v=spf1 redirect:t2.example.com",
            "v=spf1 a:foo-bar -all",
            "v=spf1 -all.",
            "v=spf1 -all:foobar",
            "v=spf1 -all/8",
            "v=spf1 ptr/0 -all",
            "v=spf1 ptr:",
            "v=spf1 a/33",
            "v=spf1 a//129",
            "v=spf1 a/24/64",
            "v=spf1 a:example.com:8080",
            "v=spf1 a:foo.example.com\0",
            "v=spf1 a:111.222.33.44",
            "v=spf1 a:abc.123",
            "v=spf1 a:example.-com",
            "v=spf1 a:museum",
            "v=spf1 a:museum.",
            "v=spf1 a:",
            "v=spf1 include",
            "v=spf1 include:",
            "v=spf1 include:ip5.example.com/24",
            "v=spf1 mx: -all",
            "v=spf1 exists",
            "v=spf1 exists:",
            "v=spf1 exists:mail.example.com/24",
            "v=spf1 ip4:1.2.3.4/33",
            "v=spf1 ip4:1.2.3.4/032",
            "v=spf1 ip4",
            "v=spf1 ip4:1.2.3.4//32",
            "v=spf1 ip4:1.2.3.4:8080",
            "v=spf1 ip4:1.2.3",
            "v=spf1 ip4:01.2.3.4",
            "v=spf1 -all ip6",
            "v=spf1 ip6:::1.1.1.1/129",
            "v=spf1 ip6:::1.1.1.1//33",
            "v=spf1 ip6::CAFE::BABE",
            "v=spf1 1up=foo",
            "v=spf1 =all",
            "v=spf1 foo=%abc",
            "v=spf1 exp= -all",
            "v=spf1 exp=-all",
            "v=spf1 redirect=-all ?all",
            "v=spf1 ?all redirect=",
            "v=spf1 exp=a.example.com exp=b.example.com",
            "v=spf1 redirect=a.example.com redirect=a.example.com",
            "v=spf1 -all exp=%{r}.example.com",
            "v=spf1 a:%{a}.example.com",
            "v=spf1 a:ctrl.example.com\rptr -all",
            "v=spf1 ip4:192.0.2.5\n include:x.example.com",
            "v=spf1 +",
            "v=spf1 -",
        ];
        for b in bad {
            assert!(parse(b).is_err(), "{b:?} parsed");
        }
        assert_eq!(
            SpfRecord::parse("v=spf1 \u{80}a".as_bytes()),
            Err(SpfSyntaxError::NonAscii { offset: 7 })
        );
        assert_eq!(parse("v=spf1mx"), Err(SpfSyntaxError::NotSpf));
        let e = parse("v=spf1 include:_spf.example.com inclde:x.example.com").unwrap_err();
        assert_eq!(
            e.to_string(),
            "term 2 'inclde:x.example.com': unknown mechanism 'inclde' (mechanisms: all include \
             a mx ptr ip4 ip6 exists)"
        );
    }

    #[test]
    fn dns_terms_and_modifiers() {
        let r = parse("v=spf1 a mx ptr exists:x.example.com include:y.example.com ip4:1.2.3.4 ip6:::1 -all redirect=z.example.com exp=e.example.com foo=bar").unwrap();
        let n = r.terms.iter().filter(|t| t.queries_dns()).count();
        assert_eq!(n, 6);
        assert!(r.has_all());
        assert_eq!(r.redirect().unwrap().text(), "z.example.com");
        assert_eq!(r.exp().unwrap().text(), "e.example.com");
    }
}
