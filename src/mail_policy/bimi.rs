//! The BIMI Assertion Record at `SELECTOR._bimi.DOMAIN` (usually `default._bimi.DOMAIN`), which
//! tells receivers which logo to show beside the domain's authenticated mail, by
//! draft-brand-indicators-for-message-identification-10 ("the BIMI draft"):
//!
//! ```text
//! bimi-record            = bimi-version (bimi-sep bimi-location)
//!                          [(bimi-sep bimi-evidence-location)] … [bimi-sep]
//!                          ; components other than bimi-version may appear in any order
//! bimi-sep               = *WSP ";" *WSP
//! bimi-version           = "v" *WSP "=" *WSP "BIMI1"
//! bimi-location          = "l" *WSP "=" *WSP [bimi-uri]        ; REQUIRED, HTTPS only
//! bimi-evidence-location = "a" *WSP "=" *WSP [bimi-uri]        ; HTTPS only
//! local-part-selectors   = "lps" *WSP "=" *WSP [local-part-prefix
//!                          *(*WSP "," *WSP local-part-prefix)]     ; draft -14 §4.3.14
//! local-part-prefix      = 1*63(ALPHA / DIGIT / "-")
//! bimi-logo-preference   = "avp" *WSP "=" *WSP %s "personal"/"brand"
//! ```
//!
//! The record follows DKIM's tag-list syntax (§4.3, RFC 6376 §3.2): tag names are
//! case-sensitive, a tag given twice makes the record invalid, unknown tags are ignored, and
//! receivers "MUST NOT attempt to fix syntactical or capitalization errors". `BIMI1` must match
//! exactly. `l=` and `a=` both empty is a declination to publish (§4.3.1); otherwise `l=` is an
//! HTTPS URI of an SVG image (§4.3.2) and `a=` that of the evidence document (a VMC or CMC),
//! whose host must be a fully qualified domain name. `lps=` lists the prefixes of the `From:`
//! local parts that have selectors of their own (later drafts; -14 §4.3.14).
//! Receivers discard the TXT records at the name that do not start with the version; if the
//! number left is not one, they show no logo (§7.2).
//!
//! The logo is shown only for mail of a domain whose DMARC policy is at enforcement (§7.1):
//! [`dmarc_shortfalls`] says what in a DMARC record stops it.

use std::fmt;

use super::{check_https, duplicates, fields, is_wsp, missing, Problem, Spacing};
use crate::dmarc::record::{DmarcRecord, Policy};

/// The version every BIMI record starts with (`BIMI1` exactly; spaces around `=` allowed).
pub const VERSION: &str = "v=BIMI1";

/// Image formats other than SVG, by file suffix: a logo URI ending so is a permanent error
/// (§4.3.2).
const NOT_SVG: [&str; 9] = [
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".tif", ".tiff",
];

/// A valid BIMI Assertion Record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// `l=`: the logo's HTTPS URI; `None` if empty.
    pub location: Option<String>,
    /// `a=`: the evidence document's HTTPS URI; `None` if empty or absent.
    pub evidence: Option<String>,
}

impl Assertion {
    /// Is this a declination to publish (`l=` and `a=` empty, §4.3.1), which asks receivers to
    /// show no logo?
    pub fn declines(&self) -> bool {
        self.location.is_none() && self.evidence.is_none()
    }
}

/// The text after the version, if `text` starts with `v=BIMI1` (spaces allowed around `=` and
/// before `v`) followed by the end, a `;` or whitespace.
fn after_version(text: &str) -> Option<&str> {
    let rest = text
        .trim_start_matches(is_wsp)
        .strip_prefix('v')?
        .trim_start_matches(is_wsp)
        .strip_prefix('=')?
        .trim_start_matches(is_wsp)
        .strip_prefix("BIMI1")?;
    matches!(rest.chars().next(), None | Some(';' | ' ' | '\t')).then_some(rest)
}

/// Does `text` start with `v=BIMI1`, so that receivers count it as a BIMI record?
pub fn is_record(text: &str) -> bool {
    after_version(text).is_some()
}

/// Parses a BIMI Assertion Record: every problem found, or the record.
pub fn parse(text: &str) -> Result<Assertion, Vec<Problem>> {
    let Some(rest) = after_version(text) else {
        return Err(vec![Problem::NoVersion { version: VERSION }]);
    };
    let mut problems = Vec::new();
    let fields = fields(rest, Spacing::TagList, &mut problems);
    // The version is a `v` tag too: any later `v` repeats it.
    if fields.iter().any(|f| f.name == "v") {
        problems.push(Problem::Duplicate { tag: "v".into() });
    }
    duplicates(&fields, |name| name != "v", &mut problems);
    let mut location: Option<Option<String>> = None;
    let mut evidence: Option<String> = None;
    for f in &fields {
        let name_ok = f
            .name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && f.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let value_ok = f
            .value
            .bytes()
            .all(|b| matches!(b, 0x21..=0x3a | 0x3c..=0x7e | b' ' | b'\t'));
        if !name_ok || !value_ok {
            problems.push(Problem::BadField {
                field: f.text.to_owned(),
                why: "a tag is a letter then letters, digits or _, and its value printable ASCII",
            });
            continue;
        }
        let keyword = |allowed: [&str; 2], expected| {
            (!allowed.contains(&f.value)).then(|| Problem::BadValue {
                tag: f.name.to_owned(),
                value: f.value.to_owned(),
                expected,
            })
        };
        let uri = |tag: &'static str| {
            check_uri(f.value, tag == "l").map_err(|why| Problem::BadUri {
                tag,
                uri: f.value.to_owned(),
                why,
            })
        };
        let problem = match f.name {
            "l" => uri("l").map(|u| location = Some(u)).err(),
            "a" => uri("a").map(|u| evidence = u).err(),
            "lps" => (!is_prefix_list(f.value)).then(|| Problem::BadValue {
                tag: f.name.to_owned(),
                value: f.value.to_owned(),
                expected: "local-part prefixes (letters, digits and -, up to 63 each) separated \
                           by commas",
            }),
            "avp" => keyword(["personal", "brand"], "personal or brand"),
            // Unknown tags are ignored (§4.3).
            _ => None,
        };
        problems.extend(problem);
    }
    if !fields.iter().any(|f| f.name == "l") {
        problems.push(missing("l", &fields));
    }
    match location {
        Some(location) if problems.is_empty() => Ok(Assertion { location, evidence }),
        _ => Err(problems),
    }
}

/// Is `value` an `lps=` list: empty, or prefixes separated by commas (spaces around them
/// allowed)?
fn is_prefix_list(value: &str) -> bool {
    value.is_empty()
        || value.split(',').all(|p| {
            let p = p.trim_matches(is_wsp);
            (1..=63).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Checks the value of `l=` (`logo`) or `a=`: empty, or one HTTPS URI; `a=`'s host is a
/// domain name.
fn check_uri(value: &str, logo: bool) -> Result<Option<String>, &'static str> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.contains(',') {
        return Err("the value is a single URI (a comma in it must be written %2C)");
    }
    check_https(value, !logo)?;
    let path = value
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if logo && NOT_SVG.iter().any(|suffix| path.ends_with(suffix)) {
        return Err("the logo must be an SVG image (§4.3.2)");
    }
    Ok(Some(value.to_owned()))
}

/// What in a DMARC record keeps receivers from showing a BIMI logo for its domain (§7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcShortfall {
    /// No valid `p=`, which receivers read as `p=none`.
    NoPolicy,
    /// `p=none`.
    Monitoring,
    /// `sp=none`.
    SubdomainsMonitoring,
    /// `p=quarantine` with a `pct` below 100.
    PartialQuarantine(u8),
    /// `t=y` with `p=quarantine` or `p=reject`: RFC 9989's test mode, under which its receivers
    /// do not apply the policy.
    Testing,
}

impl fmt::Display for DmarcShortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DmarcShortfall::NoPolicy => f.write_str("has no valid p= (read as p=none)"),
            DmarcShortfall::Monitoring => f.write_str("has p=none"),
            DmarcShortfall::SubdomainsMonitoring => f.write_str("has sp=none"),
            DmarcShortfall::PartialQuarantine(n) => write!(f, "has p=quarantine with pct={n}"),
            DmarcShortfall::Testing => {
                f.write_str("has t=y (RFC 9989's test mode: its receivers do not apply the policy)")
            }
        }
    }
}

/// What in the DMARC record `dmarc` (its text) keeps receivers from showing the logo of a BIMI
/// record of the same domain: `p=none` (or no valid `p`), `sp=none`, or `p=quarantine` with
/// `pct` below 100 (§7.1 steps 7 to 9), or `t=y`, RFC 9989's test mode, under which its
/// receivers do not apply the policy at all. Empty: the policy is at enforcement.
pub fn dmarc_shortfalls(dmarc: &str) -> Vec<DmarcShortfall> {
    let (record, _) = DmarcRecord::parse_lenient(dmarc);
    let mut out = Vec::new();
    match record.p() {
        None => out.push(DmarcShortfall::NoPolicy),
        Some(Policy::None) => out.push(DmarcShortfall::Monitoring),
        Some(Policy::Quarantine) => {
            if let Some(pct) = record.pct().filter(|&pct| pct < 100) {
                out.push(DmarcShortfall::PartialQuarantine(pct));
            }
        }
        Some(Policy::Reject) => {}
    }
    if record.sp() == Some(Policy::None) {
        out.push(DmarcShortfall::SubdomainsMonitoring);
    }
    // RFC 9989's test mode: its receivers do not apply the policy (it has no "next lower
    // policy", unlike RFC 7489's pct; see the README's rollout table).
    if record.testing() && record.p().is_some_and(|p| p != Policy::None) {
        out.push(DmarcShortfall::Testing);
    }
    out
}

/// The tags of a BIMI record after its version, as written (whitespace around names and values
/// taken off, as the tag-list grammar allows); none if `text` is not one.
pub fn tags(text: &str) -> Vec<(String, String)> {
    after_version(text)
        .map(|rest| fields(rest, Spacing::TagList, &mut Vec::new()))
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.name != "v")
        .map(|f| (f.name.to_owned(), f.value.to_owned()))
        .collect()
}

/// The tags `zonectl bimi set` writes, in the order it writes them.
pub const TAGS: [&str; 4] = ["l", "a", "lps", "avp"];

/// The BIMI record `current` (its text, if there is one) with `assignments` applied: `TAG=VALUE`
/// sets a tag, `TAG=` removes it, but for `l=` and `a=`, which are written empty (a record with
/// both empty declines to publish a logo, §4.3.1). Tags of `current` that are not assigned are
/// kept, in their order after `l` and `a`. `Err`: a tag that is not one of [`TAGS`], or what
/// makes the result invalid.
pub fn merged(current: Option<&str>, assignments: &[(&str, &str)]) -> Result<String, Vec<String>> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for (name, value) in current.map(self::tags).unwrap_or_default() {
        if !tags.iter().any(|(n, _)| *n == name) {
            tags.push((name, value));
        }
    }
    let with_separator: Vec<String> = assignments
        .iter()
        .filter(|(_, value)| value.contains(';'))
        .map(|(name, value)| {
            format!("{name}={value}: a value has no `;` (give each tag as an argument of its own)")
        })
        .collect();
    if !with_separator.is_empty() {
        return Err(with_separator);
    }
    let unknown: Vec<String> = assignments
        .iter()
        .filter(|(name, _)| !TAGS.contains(name))
        .map(|(name, _)| {
            format!(
                "{name}= is not a BIMI tag this command writes ({})",
                TAGS.map(|t| format!("{t}=")).join(", ")
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    for &(name, value) in assignments {
        tags.retain(|(n, _)| n != name);
        if !value.is_empty() || matches!(name, "l" | "a") {
            tags.push((name.to_owned(), value.to_owned()));
        }
    }
    // l and a first, as records are usually written; the rest as they came.
    tags.sort_by_key(|(n, _)| match n.as_str() {
        "l" => 0,
        "a" => 1,
        _ => 2,
    });
    let mut text = VERSION.to_owned();
    for (name, value) in &tags {
        text.push_str(&format!("; {name}={value}"));
    }
    match parse(&text) {
        Ok(_) => Ok(text),
        Err(problems) => Err(problems.iter().map(ToString::to_string).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGO: &str = "https://brand.example.com/logo.svg";
    const VMC: &str = "https://brand.example.com/vmc.pem";

    #[test]
    fn records_are_told_by_their_exact_version() {
        for (text, is) in [
            ("v=BIMI1; l=https://e.example/l.svg", true),
            ("v = BIMI1 ;l=", true),
            (" v=BIMI1;", true),
            ("v=BIMI1", true),
            ("v=BIMI1 l=", true),
            ("v=bimi1; l=", false),
            ("V=BIMI1; l=", false),
            ("v=BIMI10; l=", false),
            ("v=BIMI2; l=", false),
            ("l=; v=BIMI1", false),
        ] {
            assert_eq!(is_record(text), is, "{text:?}");
        }
    }

    #[test]
    fn valid_records() {
        let some = |s: &str| Some(s.to_owned());
        for (text, location, evidence) in [
            (format!("v=BIMI1; l={LOGO}"), some(LOGO), None),
            (
                format!("v=BIMI1; l={LOGO}; a={VMC};"),
                some(LOGO),
                some(VMC),
            ),
            (
                format!("v = BIMI1 ; a = {VMC} ; l = {LOGO} "),
                some(LOGO),
                some(VMC),
            ),
            (format!("v=BIMI1;l={LOGO};a="), some(LOGO), None),
            ("v=BIMI1; l=; a=;".into(), None, None),
            ("v=BIMI1; l=; a=; lps=;".into(), None, None),
            (
                format!("v=BIMI1; l={LOGO}; lps=noreply , support,mkt-2"),
                some(LOGO),
                None,
            ),
            (
                "v=BIMI1; l=https://192.0.2.1/l.svg".into(),
                some("https://192.0.2.1/l.svg"),
                None,
            ),
            (
                format!("v=BIMI1; l={LOGO}; avp=personal; x_future=1"),
                some(LOGO),
                None,
            ),
            (
                format!("v=BIMI1; l={LOGO}?v=2"),
                some(&format!("{LOGO}?v=2")),
                None,
            ),
            (
                "v=BIMI1; l=; a=https://e.example/vmc.pem".into(),
                None,
                some("https://e.example/vmc.pem"),
            ),
        ] {
            assert_eq!(
                parse(&text),
                Ok(Assertion { location, evidence }),
                "{text:?}"
            );
        }
        assert!(parse("v=BIMI1; l=; a=").unwrap().declines());
        assert!(!parse(&format!("v=BIMI1; l=; a={VMC}")).unwrap().declines());
    }

    #[test]
    fn each_problem_is_named() {
        let bad = |tag, uri: &str, why| Problem::BadUri {
            tag,
            uri: uri.into(),
            why,
        };
        let cases: Vec<(String, Vec<Problem>)> = vec![
            ("v=BIMI1".into(), vec![Problem::Missing { tag: "l" }]),
            (
                format!("v=BIMI1; a={VMC}"),
                vec![Problem::Missing { tag: "l" }],
            ),
            (
                format!("v=BIMI1; L={LOGO}"),
                vec![Problem::Miscased {
                    tag: "l",
                    found: "L".into(),
                }],
            ),
            (
                "v=BIMI1; l=http://e.example/l.svg".into(),
                vec![bad(
                    "l",
                    "http://e.example/l.svg",
                    "only https: URIs are fetched",
                )],
            ),
            (
                "v=BIMI1; l=https://e.example/logo.png".into(),
                vec![bad(
                    "l",
                    "https://e.example/logo.png",
                    "the logo must be an SVG image (§4.3.2)",
                )],
            ),
            (
                format!("v=BIMI1; l={LOGO}; a=https://localhost/vmc.pem"),
                vec![bad(
                    "a",
                    "https://localhost/vmc.pem",
                    "the host must be a fully qualified domain name",
                )],
            ),
            (
                format!("v=BIMI1; l={LOGO},https://e.example/2.svg"),
                vec![bad(
                    "l",
                    &format!("{LOGO},https://e.example/2.svg"),
                    "the value is a single URI (a comma in it must be written %2C)",
                )],
            ),
            (
                format!("v=BIMI1; l={LOGO}; a=http://e.example/vmc.pem"),
                vec![bad(
                    "a",
                    "http://e.example/vmc.pem",
                    "only https: URIs are fetched",
                )],
            ),
            (
                format!("v=BIMI1; l={LOGO}; l="),
                vec![Problem::Duplicate { tag: "l".into() }],
            ),
            (
                format!("v=BIMI1; l={LOGO}; x=1; x=2"),
                vec![Problem::Duplicate { tag: "x".into() }],
            ),
            (
                format!("v=BIMI1; v=BIMI1; l={LOGO}"),
                vec![Problem::Duplicate { tag: "v".into() }],
            ),
            (
                format!("v=BIMI1; l={LOGO}; lps=no.reply"),
                vec![Problem::BadValue {
                    tag: "lps".into(),
                    value: "no.reply".into(),
                    expected: "local-part prefixes (letters, digits and -, up to 63 each) \
                               separated by commas",
                }],
            ),
            (
                format!("v=BIMI1; l={LOGO}; avp=logo"),
                vec![Problem::BadValue {
                    tag: "avp".into(),
                    value: "logo".into(),
                    expected: "personal or brand",
                }],
            ),
            (
                format!("v=BIMI1; l={LOGO}; 1x=y"),
                vec![Problem::BadField {
                    field: "1x=y".into(),
                    why:
                        "a tag is a letter then letters, digits or _, and its value printable ASCII",
                }],
            ),
            (format!("v=BIMI1;; l={LOGO}"), vec![Problem::EmptyField]),
            (
                format!("v=BIMI1 l={LOGO}"),
                vec![
                    Problem::NoSeparator {
                        after: format!("l={LOGO}"),
                    },
                    Problem::Missing { tag: "l" },
                ],
            ),
            (
                "v=BIMI2; l=".into(),
                vec![Problem::NoVersion { version: VERSION }],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(&text), Err(want), "{text:?}");
        }
    }

    #[test]
    fn dmarc_at_enforcement_or_not() {
        use DmarcShortfall::*;
        for (dmarc, want) in [
            ("v=DMARC1; p=reject", &[][..]),
            ("v=DMARC1; p=quarantine", &[]),
            ("v=DMARC1; p=quarantine; pct=100", &[]),
            ("v=DMARC1; p=reject; pct=50", &[]),
            ("v=DMARC1; p=reject; sp=quarantine", &[]),
            ("v=DMARC1; p=none", &[Monitoring]),
            ("v=DMARC1; p=quarantine; pct=50", &[PartialQuarantine(50)]),
            ("v=DMARC1; p=reject; sp=none", &[SubdomainsMonitoring]),
            (
                "v=DMARC1; p=none; sp=none",
                &[Monitoring, SubdomainsMonitoring],
            ),
            ("v=DMARC1; rua=mailto:d@example.com", &[NoPolicy]),
            ("v=DMARC1; p=block", &[NoPolicy]),
            ("v=DMARC1 p=reject", &[NoPolicy]),
            ("v=DMARC1; p=reject; t=y", &[Testing]),
            ("v=DMARC1; p=quarantine; t=y", &[Testing]),
            ("v=DMARC1; p=reject; t=n", &[]),
            ("v=DMARC1; p=none; t=y", &[Monitoring]),
        ] {
            assert_eq!(dmarc_shortfalls(dmarc), want, "{dmarc:?}");
        }
        assert_eq!(
            PartialQuarantine(50).to_string(),
            "has p=quarantine with pct=50"
        );
    }

    #[test]
    fn merging_tags_into_a_record() {
        let merge = |current: Option<&str>, a: &[(&str, &str)]| merged(current, a);
        assert_eq!(
            merge(None, &[("l", LOGO)]),
            Ok(format!("v=BIMI1; l={LOGO}"))
        );
        // Set, replace in place, keep what is not named (an unknown tag too), remove.
        let current = format!("v=BIMI1; avp=brand; x_future=1; l={LOGO}");
        assert_eq!(
            merge(Some(&current), &[("a", VMC)]),
            Ok(format!("v=BIMI1; l={LOGO}; a={VMC}; avp=brand; x_future=1"))
        );
        assert_eq!(
            merge(Some(&current), &[("avp", ""), ("lps", "noreply,news")]),
            Ok(format!("v=BIMI1; l={LOGO}; x_future=1; lps=noreply,news"))
        );
        // l= and a= empty: the declination.
        assert_eq!(
            merge(Some(&current), &[("l", ""), ("a", ""), ("avp", "")]),
            Ok("v=BIMI1; l=; a=; x_future=1".into())
        );
        // A record receivers cannot read is rebuilt from its fields.
        assert_eq!(
            merge(
                Some("v=BIMI1; l=http://e.example/l.svg; l=x"),
                &[("l", LOGO)]
            ),
            Ok(format!("v=BIMI1; l={LOGO}"))
        );
        // Refusals name what is wrong.
        assert_eq!(
            merge(None, &[("logo", LOGO)]),
            Err(vec![
                "logo= is not a BIMI tag this command writes (l=, a=, lps=, avp=)".into()
            ])
        );
        assert_eq!(
            merge(None, &[("a", VMC)]),
            Err(vec!["l= is missing".into()])
        );
        // Two tags in one argument would be written as one value, then refused the next time.
        assert_eq!(
            merge(None, &[("l", &format!("{LOGO}; a={VMC}"))]),
            Err(vec![format!(
                "l={LOGO}; a={VMC}: a value has no `;` (give each tag as an argument of its own)"
            )])
        );
        assert_eq!(
            tags(&format!("v=BIMI1 ; l = {LOGO} ;a=;")),
            [("l".into(), LOGO.into()), ("a".into(), String::new())]
        );
        assert_eq!(
            merge(None, &[("l", "https://e.example/logo.png")]),
            Err(vec![Problem::BadUri {
                tag: "l",
                uri: "https://e.example/logo.png".into(),
                why: "the logo must be an SVG image (§4.3.2)",
            }
            .to_string()])
        );
    }
}
