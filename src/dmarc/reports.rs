//! Report destinations and their authorization (RFC 7489 §7.1, kept by RFC 9989's reporting
//! documents): a receiver sends reports for domain FOR to an address at DEST only if DEST's
//! organizational domain is FOR's, or DEST publishes `FOR._report._dmarc.DEST TXT "v=DMARC1…"`
//! (a wildcard `*._report._dmarc.DEST` authorizes every domain).
//!
//! FOR is the domain whose `_dmarc` record names the destination; DEST is the host part of the
//! `mailto:` address. This module says which names to ask and how to read the answer; the
//! caller asks (served zones or a resolver) and passes the organizational domains in.
//!
//! Pure: imports only [`super::record`].

use super::record::{DmarcRecord, ReportUri};

/// Which report a destination receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    Aggregate,
    Failure,
}

impl ReportKind {
    pub fn tag(self) -> &'static str {
        match self {
            ReportKind::Aggregate => "rua",
            ReportKind::Failure => "ruf",
        }
    }
}

/// One report destination of a record, with what it takes to be allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub kind: ReportKind,
    pub uri: ReportUri,
    /// The destination's organizational domain differs from the policy domain's.
    pub external: bool,
    /// The name to query for TXT when `external`: `FOR._report._dmarc.DEST`.
    pub authorization_name: String,
}

/// The name DEST must publish so that it may receive FOR's reports.
pub fn authorization_name(for_domain: &str, dest_domain: &str) -> String {
    format!(
        "{}._report._dmarc.{}",
        for_domain.trim_end_matches('.').to_ascii_lowercase(),
        dest_domain.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// The record `zonectl dmarc authorize` publishes at [`authorization_name`].
pub const AUTHORIZATION_RECORD: &str = "v=DMARC1";

/// Every `rua`/`ruf` destination of `rec`, published at `policy_domain`. `org_of` gives a
/// domain's organizational domain (see [`super::treewalk`]); a destination is external when its
/// organizational domain differs from the policy domain's.
pub fn destinations(
    policy_domain: &str,
    rec: &DmarcRecord,
    mut org_of: impl FnMut(&str) -> String,
) -> Vec<Destination> {
    let policy_domain = policy_domain.trim_end_matches('.').to_ascii_lowercase();
    let own_org = org_of(&policy_domain);
    let mut out = Vec::new();
    for (kind, uris) in [
        (ReportKind::Aggregate, rec.rua()),
        (ReportKind::Failure, rec.ruf()),
    ] {
        for uri in uris {
            let external = uri.domain != policy_domain && org_of(&uri.domain) != own_org;
            out.push(Destination {
                kind,
                uri: uri.clone(),
                external,
                authorization_name: authorization_name(&policy_domain, &uri.domain),
            });
        }
    }
    out
}

/// Do these TXT values at an authorization name authorize the reports? Yes if one of them is a
/// DMARC record (`v=DMARC1…`); it may also carry its own `rua`, which is not followed here.
pub fn authorizes(txts: &[String]) -> bool {
    txts.iter().any(|t| DmarcRecord::is_dmarc(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The organizational domain of the test's names: the last two labels.
    fn two_labels(d: &str) -> String {
        let labels: Vec<&str> = d.split('.').collect();
        labels[labels.len().saturating_sub(2)..].join(".")
    }

    #[test]
    fn external_destinations_and_their_names() {
        let rec = DmarcRecord::parse(
            "v=DMARC1; p=none; rua=mailto:d@apple.example,mailto:r@reports.apple.example,\
             mailto:x@dmarc.vendor.example!10m; ruf=mailto:f@Orange.Example",
        )
        .unwrap();
        let d = destinations("Apple.Example.", &rec, two_labels);
        let summary: Vec<(&str, &str, bool, &str)> = d
            .iter()
            .map(|d| {
                (
                    d.kind.tag(),
                    d.uri.domain.as_str(),
                    d.external,
                    d.authorization_name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "rua",
                    "apple.example",
                    false,
                    "apple.example._report._dmarc.apple.example"
                ),
                (
                    "rua",
                    "reports.apple.example",
                    false,
                    "apple.example._report._dmarc.reports.apple.example"
                ),
                (
                    "rua",
                    "dmarc.vendor.example",
                    true,
                    "apple.example._report._dmarc.dmarc.vendor.example"
                ),
                (
                    "ruf",
                    "orange.example",
                    true,
                    "apple.example._report._dmarc.orange.example"
                ),
            ]
        );
    }

    #[test]
    fn authorization_answers() {
        assert!(authorizes(&["v=DMARC1".to_owned()]));
        assert!(authorizes(&[
            "something else".to_owned(),
            "v=DMARC1; rua=mailto:x@y.example".to_owned()
        ]));
        assert!(!authorizes(&[]));
        assert!(!authorizes(&["v=spf1 -all".to_owned()]));
        assert!(!authorizes(&["v=DMARC2".to_owned()]));
    }
}
