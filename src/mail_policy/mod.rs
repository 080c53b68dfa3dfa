//! The TXT records of SPF's and DMARC's neighbours: which TXT records are MTA-STS, TLS-RPT and
//! BIMI records, and what in one makes the senders or receivers that read it ignore it.
//!
//! - [`mta_sts`] — `_mta-sts.DOMAIN`: `v=STSv1; id=…` (RFC 8461 §3.1).
//! - [`sts_policy`] — the MTA-STS policy file (RFC 8461 §3.2) and the MX hosts it allows.
//! - [`sts_readiness`] — readiness for MTA-STS `mode: enforce` (`zonectl mta-sts check`).
//! - [`tls_rpt`] — `_smtp._tls.DOMAIN`: `v=TLSRPTv1; rua=…` (RFC 8460 §3).
//! - [`bimi`] — `SELECTOR._bimi.DOMAIN`: `v=BIMI1; l=…; a=…`
//!   (draft-brand-indicators-for-message-identification-10 §4.3, "the BIMI draft" here), and
//!   whether a DMARC record lets receivers show the logo (§7.1).
//! - [`bimi_logo`] — the logo itself, checked against SVG Tiny PS.
//! - [`bimi_readiness`] — whether receivers would show the logo (`zonectl bimi check`).
//!
//! Each parser takes the record's text (its strings joined without separators, as RFC 8461
//! §3.1, RFC 8460 §3 and the BIMI draft §4 require, like RFC 7208 §3.3 for SPF) and returns the
//! record or every [`Problem`] found. [`Kind`] says what each kind's version is and what a sender or
//! receiver does with a record it cannot use; `zone::check` finds the records by owner name and
//! reports what these return.
//!
//! Pure: imports `std`, `thiserror` and [`crate::dmarc::record`] (BIMI's DMARC requirement).

pub mod bimi;
pub mod bimi_evidence;
pub mod bimi_logo;
pub mod bimi_readiness;
pub mod mta_sts;
pub mod sts_policy;
pub mod sts_readiness;
pub mod tls_rpt;

/// Why a record is not one its readers use as written. Each names the tag or text at fault,
/// where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("it does not start with {version}")]
    NoVersion { version: &'static str },
    #[error("{tag}= is missing")]
    Missing { tag: &'static str },
    #[error("{tag}= is missing ({found}= is another tag: tag names are case-sensitive)")]
    Miscased { tag: &'static str, found: String },
    #[error("{tag}= appears more than once")]
    Duplicate { tag: String },
    #[error("{tag}={value} is not valid: {tag} takes {expected}")]
    BadValue {
        tag: String,
        value: String,
        expected: &'static str,
    },
    #[error("{tag}= {uri:?} is not usable: {why}")]
    BadUri {
        tag: &'static str,
        uri: String,
        why: &'static str,
    },
    #[error("{field:?} is not TAG=VALUE")]
    NotTagValue { field: String },
    #[error("{field:?} has spaces around its =, which the grammar does not allow")]
    SpacedEquals { field: String },
    #[error("{field:?} is not a valid field: {why}")]
    BadField { field: String, why: &'static str },
    #[error("{after:?} follows the version without a ; between them")]
    NoSeparator { after: String },
    #[error("an empty field (two ; with nothing between them)")]
    EmptyField,
    #[error("spaces after the last field, which the grammar allows only before or after a ;")]
    TrailingSpace,
}

/// A kind of policy record this module knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MtaSts,
    TlsRpt,
    Bimi,
}

impl Kind {
    /// The kind's name, as in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::MtaSts => "MTA-STS",
            Kind::TlsRpt => "TLS-RPT",
            Kind::Bimi => "BIMI",
        }
    }

    /// The version every record of this kind starts with.
    pub fn version(self) -> &'static str {
        match self {
            Kind::MtaSts => mta_sts::VERSION,
            Kind::TlsRpt => tls_rpt::VERSION,
            Kind::Bimi => bimi::VERSION,
        }
    }

    /// Does `text` start with this kind's version as its readers recognise it? Only those
    /// records are counted and parsed; readers discard every other TXT record at the name.
    pub fn is_record(self, text: &str) -> bool {
        match self {
            Kind::MtaSts => mta_sts::is_record(text),
            Kind::TlsRpt => tls_rpt::is_record(text),
            Kind::Bimi => bimi::is_record(text),
        }
    }

    /// Does `text`, which is not a record of this kind, look like an attempt at one (a misspelt
    /// version, or a required tag without the version first)?
    pub fn looks_like_record(self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        let (version, tag) = match self {
            Kind::MtaSts => ("stsv1", "id"),
            Kind::TlsRpt => ("tlsrpt", "rua"),
            Kind::Bimi => ("bimi", "l"),
        };
        // The tag as a whole tag name, not inside another (`uid=`, `url=`).
        lower.contains(version)
            || lower
                .split(';')
                .filter_map(|spec| spec.split_once('='))
                .any(|(name, _)| name.trim() == tag)
    }

    /// The problems of a record of this kind (empty: its readers use it).
    pub fn problems(self, text: &str) -> Vec<Problem> {
        match self {
            Kind::MtaSts => mta_sts::parse(text).err(),
            Kind::TlsRpt => tls_rpt::parse(text).err(),
            Kind::Bimi => bimi::parse(text).err(),
        }
        .unwrap_or_default()
    }

    /// Who reads records of this kind.
    pub fn readers(self) -> &'static str {
        match self {
            Kind::MtaSts | Kind::TlsRpt => "senders",
            Kind::Bimi => "receivers",
        }
    }

    /// The rule by which readers discard the TXT records at the name that do not start with the
    /// version.
    pub fn discard_rule(self) -> &'static str {
        match self {
            Kind::MtaSts => "RFC 8461 §3.1",
            Kind::TlsRpt => "RFC 8460 §3",
            Kind::Bimi => "BIMI draft §7.2",
        }
    }

    /// What the readers do when the name holds no usable record of this kind (one that
    /// [`Kind::problems`] finds fault with, or one that does not start with the version).
    pub fn when_unusable(self) -> &'static str {
        match self {
            Kind::MtaSts => {
                "senders then assume the domain has no MTA-STS policy and deliver to it \
                 without requiring TLS (RFC 8461 §3.1)"
            }
            Kind::TlsRpt => {
                "senders then assume the domain wants no TLS reports and send none (RFC 8460 §3)"
            }
            Kind::Bimi => "receivers then show no logo for the domain (BIMI draft §4.3, §7.3)",
        }
    }

    /// What the readers do when the name holds more than one record of this kind.
    pub fn when_several(self) -> &'static str {
        match self {
            Kind::MtaSts => self.when_unusable(),
            Kind::TlsRpt => {
                "senders then assume the domain does not implement TLS-RPT and send no \
                 reports (RFC 8460 §3)"
            }
            Kind::Bimi => "receivers then show no logo for the domain (BIMI draft §7.2)",
        }
    }
}

/// Space or tab (RFC 5234's WSP).
fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// How a grammar treats whitespace inside a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spacing {
    /// RFC 8460 and RFC 8461: whitespace only around a `;` (`*WSP ";" *WSP`), none around `=`
    /// and none after the last field unless a `;` follows it.
    AroundSeparators,
    /// RFC 6376 §3.2's tag-list, which BIMI uses: whitespace also around `=` and after the
    /// last field.
    TagList,
}

/// One `NAME=VALUE` field of a record, without the whitespace its grammar allows around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field<'t> {
    name: &'t str,
    value: &'t str,
    /// The field as written between its separators.
    text: &'t str,
}

/// The fields after a record's version, `rest` being the text after it:
/// `*(*WSP ";" *WSP field) [*WSP ";" *WSP]`. What breaks that shape is added to `problems`; a
/// field that is not `NAME=VALUE` is left out.
fn fields<'t>(rest: &'t str, spacing: Spacing, problems: &mut Vec<Problem>) -> Vec<Field<'t>> {
    let mut pieces = rest.split(';');
    let head = pieces.next().unwrap_or("");
    let pieces: Vec<&str> = pieces.collect();
    let head_field = head.trim_matches(is_wsp);
    if !head_field.is_empty() {
        problems.push(Problem::NoSeparator {
            after: head_field.to_owned(),
        });
    } else if pieces.is_empty() && !head.is_empty() && spacing == Spacing::AroundSeparators {
        problems.push(Problem::TrailingSpace);
    }
    let mut out = Vec::new();
    for (k, piece) in pieces.iter().enumerate() {
        let last = k + 1 == pieces.len();
        let text = piece.trim_matches(is_wsp);
        if text.is_empty() {
            if !last {
                problems.push(Problem::EmptyField);
            }
            continue;
        }
        if last && spacing == Spacing::AroundSeparators && piece.ends_with(is_wsp) {
            problems.push(Problem::TrailingSpace);
        }
        let Some((name, value)) = text.split_once('=') else {
            problems.push(Problem::NotTagValue {
                field: text.to_owned(),
            });
            continue;
        };
        let (trimmed_name, trimmed_value) = (
            name.trim_end_matches(is_wsp),
            value.trim_start_matches(is_wsp),
        );
        if spacing == Spacing::AroundSeparators
            && (trimmed_name.len() != name.len() || trimmed_value.len() != value.len())
        {
            problems.push(Problem::SpacedEquals {
                field: text.to_owned(),
            });
        }
        out.push(Field {
            name: trimmed_name,
            value: trimmed_value,
            text,
        });
    }
    out
}

/// The problem for a missing required tag `tag`: [`Problem::Miscased`] if a field's name is
/// `tag` in another case, else [`Problem::Missing`].
fn missing(tag: &'static str, fields: &[Field]) -> Problem {
    match fields
        .iter()
        .find(|f| f.name != tag && f.name.eq_ignore_ascii_case(tag))
    {
        Some(f) => Problem::Miscased {
            tag,
            found: f.name.to_owned(),
        },
        None => Problem::Missing { tag },
    }
}

/// Reports a field named like an earlier one (once per name), for the names `check` selects.
fn duplicates(fields: &[Field], check: impl Fn(&str) -> bool, problems: &mut Vec<Problem>) {
    for (k, f) in fields.iter().enumerate() {
        if check(f.name) && fields[..k].iter().filter(|e| e.name == f.name).count() == 1 {
            problems.push(Problem::Duplicate {
                tag: f.name.to_owned(),
            });
        }
    }
}

/// The text after `version` if `text` starts with it, followed by the end, a `;` or whitespace.
fn after_version<'t>(text: &'t str, version: &str) -> Option<&'t str> {
    let rest = text.strip_prefix(version)?;
    matches!(rest.chars().next(), None | Some(';' | ' ' | '\t')).then_some(rest)
}

/// Checks an extension field of RFC 8460 and RFC 8461, which share its grammar:
///
/// ```text
/// ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
/// ext-value = 1*(%x21-3A / %x3C / %x3E-7E)   ; no "=", ";", space or control characters
/// ```
fn check_extension(f: &Field, problems: &mut Vec<Problem>) {
    let name_ok = f.name.len() <= 32
        && f.name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && f.name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    let why = if !name_ok {
        "a name is 1 to 32 letters, digits, _, - and . starting with a letter or digit"
    } else if f.value.is_empty() {
        "its value is empty"
    } else if !f
        .value
        .bytes()
        .all(|b| matches!(b, 0x21..=0x3a | 0x3c | 0x3e..=0x7e))
    {
        "a value is printable ASCII without spaces, = or ;"
    } else {
        return;
    };
    problems.push(Problem::BadField {
        field: f.text.to_owned(),
        why,
    });
}

/// Checks an `https:` URI with a host: `Err` says what is wrong. With `fqdn`, the host must be
/// a domain name with at least two labels (not an address literal or a single label).
fn check_https(uri: &str, fqdn: bool) -> Result<(), &'static str> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err("it is not a URI (write https://HOST/PATH)");
    };
    if !scheme.eq_ignore_ascii_case("https") {
        return Err("only https: URIs are fetched");
    }
    let Some(rest) = rest.strip_prefix("//") else {
        return Err("https: is followed by // and a host");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty() {
        return Err("the URI has no host");
    }
    if uri.contains(is_wsp) {
        return Err("a URI has no spaces");
    }
    if fqdn {
        let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
        let name_like = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            && !labels
                .last()
                .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
        if !name_like {
            return Err("the host must be a fully qualified domain name");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields' names and values, and the problems, as `fields` finds them.
    type Split = (Vec<(String, String)>, Vec<Problem>);

    fn split(rest: &str, spacing: Spacing) -> Split {
        let mut problems = Vec::new();
        let got = fields(rest, spacing, &mut problems)
            .iter()
            .map(|f| (f.name.to_owned(), f.value.to_owned()))
            .collect();
        (got, problems)
    }

    fn want(list: &[(&str, &str)], problems: &[Problem]) -> Split {
        let pairs = list
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        (pairs, problems.to_vec())
    }

    #[test]
    fn look_alikes_need_the_version_or_a_whole_tag_name() {
        for (kind, text) in [
            (Kind::MtaSts, "V=STSv1; id=1"),
            (Kind::MtaSts, "id=20240601"),
            (Kind::TlsRpt, "v=TLSRPTv2; rua=mailto:a@b.example"),
            (Kind::TlsRpt, " RUA = mailto:a@b.example"),
            (Kind::Bimi, "l=https://brand.example/logo.svg"),
        ] {
            assert!(kind.looks_like_record(text), "{kind:?}: {text}");
        }
        for (kind, text) in [
            (Kind::MtaSts, "google-site-verification=abc; uid=5"),
            (Kind::TlsRpt, "v=spf1 -all"),
            (Kind::Bimi, "url=https://brand.example/"),
        ] {
            assert!(!kind.looks_like_record(text), "{kind:?}: {text}");
        }
    }

    #[test]
    fn fields_follow_each_grammars_spacing() {
        use Spacing::{AroundSeparators as Strict, TagList};
        let ab = [("a", "1"), ("b", "2")];
        let cases: &[(&str, Spacing, Split)] = &[
            ("", Strict, want(&[], &[])),
            ("; a=1;b=2", Strict, want(&ab, &[])),
            (" ;\ta=1 ; b=2 ;  ", Strict, want(&ab, &[])),
            ("; a=1; b=2;", Strict, want(&ab, &[])),
            ("; a=1; b=2 ", Strict, want(&ab, &[Problem::TrailingSpace])),
            ("; a=1; b=2 ", TagList, want(&ab, &[])),
            (" ", Strict, want(&[], &[Problem::TrailingSpace])),
            (" ", TagList, want(&[], &[])),
            (
                "; a = 1; b=2",
                Strict,
                want(
                    &ab,
                    &[Problem::SpacedEquals {
                        field: "a = 1".into(),
                    }],
                ),
            ),
            ("; a = 1; b=2", TagList, want(&ab, &[])),
            ("; a=1;; b=2", Strict, want(&ab, &[Problem::EmptyField])),
            (
                " a=1; b=2",
                Strict,
                want(
                    &[("b", "2")],
                    &[Problem::NoSeparator {
                        after: "a=1".into(),
                    }],
                ),
            ),
            (
                "; a; b=2",
                Strict,
                want(&[("b", "2")], &[Problem::NotTagValue { field: "a".into() }]),
            ),
            ("; a=x=y", Strict, want(&[("a", "x=y")], &[])),
        ];
        for (rest, spacing, want) in cases {
            assert_eq!(&split(rest, *spacing), want, "{rest:?} {spacing:?}");
        }
    }

    #[test]
    fn a_duplicate_is_reported_once() {
        let mut problems = Vec::new();
        let f = fields("; a=1; a=2; a=3; b=1", Spacing::TagList, &mut problems);
        duplicates(&f, |_| true, &mut problems);
        assert_eq!(problems, [Problem::Duplicate { tag: "a".into() }]);
        let mut problems = Vec::new();
        duplicates(&f, |n| n == "b", &mut problems);
        assert!(problems.is_empty());
    }

    #[test]
    fn https_uris() {
        for (uri, fqdn, ok) in [
            ("https://example.com/logo.svg", true, true),
            ("HTTPS://example.com", true, true),
            ("https://user@example.com:8443/x?y=z", true, true),
            ("https://reports.example/tlsrpt", false, true),
            ("https://localhost/x", false, true),
            ("https://localhost/x", true, false),
            ("https://192.0.2.1/logo.svg", true, false),
            ("https:///logo.svg", false, false),
            ("https:example.com/logo.svg", false, false),
            ("http://example.com/logo.svg", false, false),
            ("example.com/logo.svg", false, false),
            ("https://example.com/a logo.svg", false, false),
        ] {
            assert_eq!(check_https(uri, fqdn).is_ok(), ok, "{uri} fqdn={fqdn}");
        }
    }
}
