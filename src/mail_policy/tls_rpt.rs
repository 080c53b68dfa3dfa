//! The TLS-RPT TXT record at `_smtp._tls.DOMAIN` (RFC 8460 §3), which tells senders where to
//! report their failures to set up TLS (or to apply MTA-STS or DANE) with the domain's servers:
//!
//! ```text
//! tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//! field-delim      = *WSP ";" *WSP
//! tlsrpt-field     = tlsrpt-rua / tlsrpt-extension   ; rua is required
//! tlsrpt-version   = %s"v=TLSRPTv1"
//! tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//! tlsrpt-uri       = URI   ; commas and exclamation points must be %-encoded
//! tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value
//! ```
//!
//! The version and `rua=` are case-sensitive (`%s`, RFC 7405). Reports go to `mailto:` and
//! `https:` URIs only. Senders discard the TXT records at the name that do not start with the
//! version; if the number left is not one, they send no reports.

use super::{
    after_version, check_extension, check_https, duplicates, fields, is_wsp, missing, Problem,
    Spacing,
};

/// The version every TLS-RPT record starts with (case-sensitive).
pub const VERSION: &str = "v=TLSRPTv1";

/// A valid TLS-RPT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRptRecord {
    /// Where reports go: `mailto:` and `https:` URIs, as written.
    pub rua: Vec<String>,
}

/// Does `text` start with `v=TLSRPTv1` (then a `;`, whitespace or the end), so that senders
/// count it as a TLS-RPT record?
pub fn is_record(text: &str) -> bool {
    after_version(text, VERSION).is_some()
}

/// Parses a TLS-RPT record: every problem found, or the record.
pub fn parse(text: &str) -> Result<TlsRptRecord, Vec<Problem>> {
    let Some(rest) = after_version(text, VERSION) else {
        return Err(vec![Problem::NoVersion { version: VERSION }]);
    };
    let mut problems = Vec::new();
    let fields = fields(rest, Spacing::AroundSeparators, &mut problems);
    duplicates(&fields, |name| name == "rua", &mut problems);
    let mut rua: Option<Vec<String>> = None;
    for f in &fields {
        if f.name != "rua" {
            check_extension(f, &mut problems);
            continue;
        }
        let mut uris = Vec::new();
        for uri in f.value.split(',').map(|u| u.trim_matches(is_wsp)) {
            match check_uri(uri) {
                Ok(()) => uris.push(uri.to_owned()),
                Err(why) => problems.push(Problem::BadUri {
                    tag: "rua",
                    uri: uri.to_owned(),
                    why,
                }),
            }
        }
        rua.get_or_insert(uris);
    }
    if rua.is_none() {
        problems.push(missing("rua", &fields));
    }
    match rua {
        Some(rua) if problems.is_empty() => Ok(TlsRptRecord { rua }),
        _ => Err(problems),
    }
}

/// Checks one `rua` URI: `Err` says why senders cannot report to it.
fn check_uri(uri: &str) -> Result<(), &'static str> {
    if uri.is_empty() {
        return Err("an empty URI (a , with nothing after it, or rua= with no value)");
    }
    if uri.contains(is_wsp) {
        return Err("a URI has no spaces: separate URIs with ,");
    }
    if uri.contains('!') {
        return Err("a ! in a URI must be written %21: TLS-RPT has no DMARC-style size limit");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err("it is not a URI (write mailto:ADDRESS or https://HOST/PATH)");
    };
    if scheme.eq_ignore_ascii_case("mailto") {
        match rest.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(()),
            _ => Err("mailto: is followed by an address, LOCAL@DOMAIN"),
        }
    } else if scheme.eq_ignore_ascii_case("https") {
        check_https(uri, false)
    } else {
        Err("senders send reports only to mailto: and https: URIs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_told_by_their_exact_version() {
        for (text, is) in [
            ("v=TLSRPTv1; rua=mailto:r@example.com", true),
            ("v=TLSRPTv1;rua=mailto:r@example.com", true),
            ("v=TLSRPTv1 ; rua=mailto:r@example.com", true),
            ("v=TLSRPTv1", true),
            ("v=TLSRPTv10; rua=mailto:r@example.com", false),
            ("v=tlsrptv1; rua=mailto:r@example.com", false),
            ("v = TLSRPTv1; rua=mailto:r@example.com", false),
            ("rua=mailto:r@example.com; v=TLSRPTv1", false),
        ] {
            assert_eq!(is_record(text), is, "{text:?}");
        }
    }

    #[test]
    fn valid_records() {
        for (text, rua) in [
            (
                "v=TLSRPTv1; rua=mailto:reports@example.com",
                &["mailto:reports@example.com"][..],
            ),
            (
                "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt;",
                &["https://reporting.example.com/v1/tlsrpt"],
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example/x?a=b ; ext=1",
                &["mailto:a@example.com", "https://r.example/x?a=b"],
            ),
            (
                "v=TLSRPTv1; rua=MAILTO:a@example.com,HTTPS://r.example",
                &["MAILTO:a@example.com", "HTTPS://r.example"],
            ),
        ] {
            let want = TlsRptRecord {
                rua: rua.iter().map(|s| s.to_string()).collect(),
            };
            assert_eq!(parse(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn each_problem_is_named() {
        let bad = |uri: &str, why| Problem::BadUri {
            tag: "rua",
            uri: uri.into(),
            why,
        };
        let cases: &[(&str, &[Problem])] = &[
            ("v=TLSRPTv1", &[Problem::Missing { tag: "rua" }]),
            (
                "v=TLSRPTv1; RUA=mailto:a@example.com",
                &[Problem::Miscased {
                    tag: "rua",
                    found: "RUA".into(),
                }],
            ),
            (
                "v=TLSRPTv1; rua=",
                &[bad(
                    "",
                    "an empty URI (a , with nothing after it, or rua= with no value)",
                )],
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com,",
                &[bad(
                    "",
                    "an empty URI (a , with nothing after it, or rua= with no value)",
                )],
            ),
            (
                "v=TLSRPTv1; rua=reports@example.com",
                &[bad(
                    "reports@example.com",
                    "it is not a URI (write mailto:ADDRESS or https://HOST/PATH)",
                )],
            ),
            (
                "v=TLSRPTv1; rua=mailto:tlsrpt",
                &[bad(
                    "mailto:tlsrpt",
                    "mailto: is followed by an address, LOCAL@DOMAIN",
                )],
            ),
            (
                "v=TLSRPTv1; rua=http://r.example/x",
                &[bad(
                    "http://r.example/x",
                    "senders send reports only to mailto: and https: URIs",
                )],
            ),
            (
                "v=TLSRPTv1; rua=https:/r.example",
                &[bad(
                    "https:/r.example",
                    "https: is followed by // and a host",
                )],
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com!10m",
                &[bad(
                    "mailto:a@example.com!10m",
                    "a ! in a URI must be written %21: TLS-RPT has no DMARC-style size limit",
                )],
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com",
                &[bad(
                    "mailto:a@example.com mailto:b@example.com",
                    "a URI has no spaces: separate URIs with ,",
                )],
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
                &[Problem::Duplicate { tag: "rua".into() }],
            ),
            (
                "v=TLSRPTv1; rua = mailto:a@example.com",
                &[Problem::SpacedEquals {
                    field: "rua = mailto:a@example.com".into(),
                }],
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com ",
                &[Problem::TrailingSpace],
            ),
            (
                "v=TLSRPTv1;; rua=mailto:a@example.com",
                &[Problem::EmptyField],
            ),
            (
                "v=TLSRPTv2; rua=mailto:a@example.com",
                &[Problem::NoVersion { version: VERSION }],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Err(want.to_vec()), "{text:?}");
        }
    }
}
