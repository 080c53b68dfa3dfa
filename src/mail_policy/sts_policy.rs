//! The MTA-STS policy file (RFC 8461 §3.2), served at
//! `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, and which MX hosts it allows (§4.1):
//!
//! ```text
//! version: STSv1
//! mode: testing
//! mx: mail.example.com
//! mx: *.example.net
//! max_age: 604800
//! ```
//!
//! Lines end in LF or CRLF; a key is followed by `:` and optional spaces. `version`, `mode` and
//! `max_age` appear once each, `mx` once or more (it may be left out under `mode: none`);
//! unknown keys are extensions, which senders ignore. A pattern `*.example.net` allows one
//! label in front of `example.net`: `mx1.example.net`, not `example.net` nor `a.b.example.net`.
//!
//! Pure: imports only `std` and `thiserror`.

use std::fmt;

/// The longest `max_age` (one year, RFC 8461 §3.2).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;

/// The size senders read a policy up to (RFC 8461 §3.3 lets them stop at 64 KiB).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// What senders do with the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Deliver only over TLS with a valid certificate to an allowed MX; otherwise hold the mail.
    Enforce,
    /// Deliver anyway, and report what failed (TLS-RPT).
    Testing,
    /// No policy: how a domain withdraws one.
    None,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        })
    }
}

/// A valid policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// The `mx` patterns, lower-cased, in file order.
    pub mx: Vec<String>,
    pub max_age: u64,
    /// What senders pass over, but the author likely did not mean: a key repeated (the first
    /// applies), or a key spelt otherwise than the four (read as an extension, so ignored).
    pub warnings: Vec<PolicyProblem>,
}

/// Why a policy file is not one senders can use, with the line at fault where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyProblem {
    #[error("the policy is larger than {} KiB, which senders may not read", MAX_POLICY_BYTES / 1024)]
    TooLarge,
    #[error("line {line}: {text:?} is not `key: value`")]
    NotKeyValue { line: usize, text: String },
    #[error("line {line}: {key}: appears again: senders use the first and ignore this one (RFC 8461 §3.2); keep one")]
    Duplicate { line: usize, key: &'static str },
    #[error("line {line}: {found:?} is not the key {key}: (keys are lower-case, with the colon right after them)")]
    Misspelt {
        line: usize,
        found: String,
        key: &'static str,
    },
    #[error("the file starts with a byte-order mark, which senders read as part of its first key: save it without one")]
    ByteOrderMark,
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("line {line}: a carriage return that is not part of a CRLF line end (RFC 8461 §3.2)")]
    StrayCarriageReturn { line: usize },
    #[error("line {line}: {text:?} is not a valid extension (a name of letters, digits, _ - . up to 32, and a printable value): senders refuse the policy")]
    BadExtension { line: usize, text: String },
    #[error("line {line}: {key}: {value:?} is not valid: {expected}")]
    BadValue {
        line: usize,
        key: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{key}: is missing")]
    Missing { key: &'static str },
    #[error("no valid mx: line: under mode {mode} senders would accept no MX at all")]
    NoMx { mode: Mode },
}

/// Parses a policy file: the policy, or every problem found.
pub fn parse(bytes: &[u8]) -> Result<Policy, Vec<PolicyProblem>> {
    if bytes.len() > MAX_POLICY_BYTES {
        return Err(vec![PolicyProblem::TooLarge]);
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        problems.push(PolicyProblem::ByteOrderMark);
    }
    if std::str::from_utf8(bytes).is_err() {
        problems.push(PolicyProblem::NotUtf8);
    }
    let text = String::from_utf8_lossy(bytes);
    // None: not seen; Some(None): seen, but not valid.
    let (mut version, mut mode, mut max_age) = (None, None::<Option<Mode>>, None::<Option<u64>>);
    let mut mx = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let content = raw.strip_suffix('\r').unwrap_or(raw);
        if content.contains('\r') {
            problems.push(PolicyProblem::StrayCarriageReturn { line });
            continue;
        }
        if content.is_empty() {
            continue;
        }
        let Some((key, value)) = content.split_once(':') else {
            problems.push(PolicyProblem::NotKeyValue {
                line,
                text: content.chars().take(60).collect(),
            });
            continue;
        };
        let value = value.trim();
        let bad = |key, expected| PolicyProblem::BadValue {
            line,
            key,
            value: value.chars().take(60).collect(),
            expected,
        };
        // Keys are case-sensitive (`%s` in the ABNF).
        match key {
            "version" => {
                if version.replace(()).is_some() {
                    warnings.push(PolicyProblem::Duplicate {
                        line,
                        key: "version",
                    });
                } else if value != "STSv1" {
                    problems.push(bad("version", "STSv1"));
                }
            }
            "mode" => {
                let parsed = match value {
                    "enforce" => Some(Mode::Enforce),
                    "testing" => Some(Mode::Testing),
                    "none" => Some(Mode::None),
                    _ => None,
                };
                if mode.is_some() {
                    warnings.push(PolicyProblem::Duplicate { line, key: "mode" });
                } else {
                    if parsed.is_none() {
                        problems.push(bad("mode", "enforce, testing or none"));
                    }
                    mode = Some(parsed);
                }
            }
            "max_age" => {
                // 1*10DIGIT (RFC 8461 §3.2), at most a year.
                let n = (!value.is_empty()
                    && value.len() <= 10
                    && value.bytes().all(|b| b.is_ascii_digit()))
                .then(|| value.parse::<u64>().ok())
                .flatten()
                .filter(|n| *n <= MAX_AGE_LIMIT);
                if max_age.is_some() {
                    warnings.push(PolicyProblem::Duplicate {
                        line,
                        key: "max_age",
                    });
                } else {
                    if n.is_none() {
                        problems.push(bad("max_age", "seconds, 0 to 31557600 (a year)"));
                    }
                    max_age = Some(n);
                }
            }
            "mx" => match pattern(value) {
                Some(p) => mx.push(p),
                None if value.ends_with('.') => problems.push(bad(
                    "mx",
                    "a host name without a final dot (senders compare patterns as written)",
                )),
                None => problems.push(bad("mx", "a host name, or *. and a domain")),
            },
            other => {
                // A key meant as one of the four, but not as senders match it.
                let near = other.trim().to_ascii_lowercase();
                let near = near.trim_start_matches('\u{FEFF}');
                let meant = ["version", "mode", "max_age", "mx"]
                    .into_iter()
                    .find(|k| *k == near)
                    .map(|key| PolicyProblem::Misspelt {
                        line,
                        found: other.chars().take(20).collect(),
                        key,
                    });
                // Otherwise an extension, which senders ignore if it is a valid one.
                // A value is any text but the ASCII controls (RFC 8461's sts-policy-vchar).
                let valid = is_extension_name(other)
                    && !value.is_empty()
                    && !value.chars().any(|c| c < ' ' || c == '\x7f');
                match (meant, valid) {
                    (Some(misspelt), true) => warnings.push(misspelt),
                    (Some(misspelt), false) => problems.push(misspelt),
                    (None, true) => {}
                    (None, false) => problems.push(PolicyProblem::BadExtension {
                        line,
                        text: content.chars().take(40).collect(),
                    }),
                }
            }
        }
    }
    if version.is_none() {
        problems.push(PolicyProblem::Missing { key: "version" });
    }
    if mode.is_none() {
        problems.push(PolicyProblem::Missing { key: "mode" });
    }
    if max_age.is_none() {
        problems.push(PolicyProblem::Missing { key: "max_age" });
    }
    match mode {
        Some(Some(mode)) if mx.is_empty() && mode != Mode::None => {
            problems.push(PolicyProblem::NoMx { mode })
        }
        _ => {}
    }
    match (mode, max_age) {
        (Some(Some(mode)), Some(Some(max_age))) if problems.is_empty() => Ok(Policy {
            mode,
            mx,
            max_age,
            warnings,
        }),
        // What would have been a warning may say why: `Mode:` where `mode:` is missing.
        _ => Err(problems.into_iter().chain(warnings).collect()),
    }
}

/// An extension's name (RFC 8461 §3.2): a letter or digit, then up to 31 letters, digits, `_`,
/// `-` or `.`.
fn is_extension_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

/// An `mx` value as a pattern (RFC 8461 §3.2: `["*."] Domain`, RFC 5321's Domain: labels of
/// letters, digits and inner hyphens, no final dot), lower-cased.
fn pattern(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    let name = lower.strip_prefix("*.").unwrap_or(&lower);
    let valid = name.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    valid.then_some(lower)
}

/// `mode testing, max_age 86400, mx mail.example.com, *.example.net`.
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mode {}, max_age {}, mx ", self.mode, self.max_age)?;
        if self.mx.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&self.mx.join(", "))
        }
    }
}

impl Policy {
    /// The pattern that allows MX host `host` (RFC 8461 §4.1), if one does.
    pub fn allows(&self, host: &str) -> Option<&str> {
        self.mx
            .iter()
            .find(|p| pattern_allows(p, host))
            .map(String::as_str)
    }
}

/// Does `pattern` (as [`Policy::mx`] holds it: lower-cased) allow MX host `host`? A wildcard
/// stands for exactly one label.
pub fn pattern_allows(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == domain),
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_examples_parse() {
        let p = parse(b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n").unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.max_age, 604_800);
        assert_eq!(
            p.mx,
            ["mail.example.com", "*.example.net", "backupmx.example.com"]
        );
        // LF only, any order, spaces after the colon optional, an extension ignored.
        let p = parse(
            b"mx:Mail.Example.COM\nmax_age:86400\nmode: testing\nversion: STSv1\nx-note: hi\n",
        )
        .unwrap();
        assert_eq!(
            (p.mode, p.mx.as_slice()),
            (Mode::Testing, &["mail.example.com".to_string()][..])
        );
        // mode none needs no mx.
        assert_eq!(
            parse(b"version: STSv1\nmode: none\nmax_age: 86400")
                .unwrap()
                .mode,
            Mode::None
        );
    }

    #[test]
    fn repeated_and_misspelt_keys_are_warnings_and_the_first_value_applies() {
        let p = parse(
            b"version: STSv1\nmode: testing\nmode: enforce\nMax_Age: 5\nmax_age: 86400\n\
              max_age: bad\nmx: mail.example.com\nx-note: kept out\n",
        )
        .unwrap();
        assert_eq!((p.mode, p.max_age), (Mode::Testing, 86_400));
        let warnings: Vec<String> = p.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            [
                "line 3: mode: appears again: senders use the first and ignore this one (RFC \
                 8461 §3.2); keep one",
                "line 4: \"Max_Age\" is not the key max_age: (keys are lower-case, with the colon \
                 right after them)",
                "line 6: max_age: appears again: senders use the first and ignore this one (RFC \
                 8461 §3.2); keep one",
            ]
        );
    }

    #[test]
    fn wildcards_stand_for_one_label() {
        let p = parse(
            b"version: STSv1\nmode: enforce\nmx: *.example.net\nmx: mail.example.com\nmax_age: 1",
        )
        .unwrap();
        assert_eq!(p.allows("mx1.example.net."), Some("*.example.net"));
        assert_eq!(p.allows("MX1.Example.Net"), Some("*.example.net"));
        assert_eq!(p.allows("example.net"), None);
        assert_eq!(p.allows("a.b.example.net"), None);
        assert_eq!(p.allows("mail.example.com"), Some("mail.example.com"));
        assert_eq!(p.allows("mail2.example.com"), None);
    }

    #[test]
    fn problems_name_the_line_and_what_is_valid() {
        let err = parse(b"version: STSv2\nmode: Enforce\nmode: testing\nmx: mail_1.example\nmax_age: 99999999\nnonsense\nmx: mail.example.\nMax_Age: 1\nmax_age: 00000000001\n")
            .unwrap_err();
        let text: Vec<String> = err.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "line 1: version: \"STSv2\" is not valid: STSv1",
                "line 2: mode: \"Enforce\" is not valid: enforce, testing or none",
                "line 4: mx: \"mail_1.example\" is not valid: a host name, or *. and a domain",
                "line 5: max_age: \"99999999\" is not valid: seconds, 0 to 31557600 (a year)",
                "line 6: \"nonsense\" is not `key: value`",
                "line 7: mx: \"mail.example.\" is not valid: a host name without a final dot \
                 (senders compare patterns as written)",
                // What would have been warnings, after the problems.
                "line 3: mode: appears again: senders use the first and ignore this one (RFC \
                 8461 §3.2); keep one",
                "line 8: \"Max_Age\" is not the key max_age: (keys are lower-case, with the colon \
                 right after them)",
                "line 9: max_age: appears again: senders use the first and ignore this one (RFC \
                 8461 §3.2); keep one",
            ]
        );
        // A C1 control is text in an extension's value; bytes that are not UTF-8 are not.
        assert!(
            parse("version: STSv1\nmode: none\nmax_age: 1\nx-c1: a\u{85}b\n".as_bytes()).is_ok()
        );
        assert_eq!(
            parse(b"version: STSv1\nmode: none\nmax_age: 1\nx-bad: \xff\n").unwrap_err(),
            [PolicyProblem::NotUtf8]
        );
        let bom = parse(b"\xEF\xBB\xBFversion: STSv1\nmode: none\nmax_age: 1\n").unwrap_err();
        assert_eq!(
            bom,
            [
                PolicyProblem::ByteOrderMark,
                PolicyProblem::Misspelt {
                    line: 1,
                    found: "\u{FEFF}version".into(),
                    key: "version"
                },
                PolicyProblem::Missing { key: "version" },
            ]
        );
        // A stray CR, and an extension senders refuse.
        let err = parse(b"version: STSv1\r\r\nmode: none\nmax_age: 1\nx note: 1\n").unwrap_err();
        assert_eq!(
            err,
            [
                PolicyProblem::StrayCarriageReturn { line: 1 },
                PolicyProblem::BadExtension {
                    line: 4,
                    text: "x note: 1".into()
                },
                PolicyProblem::Missing { key: "version" },
            ]
        );
        // A wildcard over one label is grammatical.
        assert!(parse(b"version: STSv1\nmode: testing\nmx: *.example\nmax_age: 1\n").is_ok());
        let missing = parse(b"mx: a.example\n").unwrap_err();
        assert_eq!(
            missing,
            [
                PolicyProblem::Missing { key: "version" },
                PolicyProblem::Missing { key: "mode" },
                PolicyProblem::Missing { key: "max_age" },
            ]
        );
        assert_eq!(
            parse(b"version: STSv1\nmode: testing\nmax_age: 86400\n").unwrap_err(),
            [PolicyProblem::NoMx {
                mode: Mode::Testing
            }]
        );
        assert_eq!(
            parse(&vec![b'#'; MAX_POLICY_BYTES + 1]).unwrap_err(),
            [PolicyProblem::TooLarge]
        );
    }
}
