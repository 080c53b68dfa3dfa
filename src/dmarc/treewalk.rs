//! RFC 9989's DNS Tree Walk: finding the DMARC record that applies to a domain, and the
//! domain's organizational domain, from `_dmarc` TXT records alone (no Public Suffix List).
//!
//! The names asked, for a domain of `x` labels: the domain itself; then, if `x` ≥ 8, its seven
//! rightmost labels; then one label fewer each time, down to the top-level domain. So at most
//! eight queries. The walk stops early at a record with a `psd` tag.
//!
//! - **Policy discovery**: the first DMARC record found (the domain's own, else the closest
//!   ancestor's).
//! - **Organizational domain**: among the records found, from the longest name to the shortest:
//!   one with `psd=n` is the organizational domain; one with `psd=y` (other than the starting
//!   domain's) makes the domain one label below it the organizational domain; otherwise the
//!   domain with the fewest labels that has a record. With no record at all, the domain itself.
//!
//! A TXT set holding several DMARC records counts as none (receivers discard them all). Names the
//! caller cannot ask (outside the zones zonectl serves, no resolver given) count as no record and
//! are reported.
//!
//! Pure: the DNS is the [`DmarcDns`] the caller passes in.

use super::record::{DmarcRecord, Psd};

/// What the DNS said about one name's TXT records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The TXT values (each record's strings joined); empty for NODATA.
    Records(Vec<String>),
    /// The name does not exist.
    NxDomain,
    /// The name could not be asked (the message says why); taken as no record.
    Unavailable(String),
}

/// Where the walk asks its questions.
pub trait DmarcDns {
    /// The TXT records at `name` (lower case, no trailing dot).
    fn txt(&mut self, name: &str) -> TxtAnswer;
}

/// What the walk found at one domain's `_dmarc` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// One DMARC record (parsed leniently, as a receiver does).
    Record(DmarcRecord),
    /// No DMARC record (no name, no TXT, or TXT that is not DMARC).
    Nothing,
    /// Several DMARC records: all discarded.
    Several(usize),
    /// Not asked: see [`TxtAnswer::Unavailable`].
    Unavailable(String),
}

/// One step of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The domain (the name asked is `_dmarc.DOMAIN`).
    pub domain: String,
    pub found: Found,
}

/// The steps of a walk, longest name first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    pub start: String,
    pub steps: Vec<Step>,
}

/// The domains whose `_dmarc` names a walk from `domain` asks, in order.
pub fn walk_targets(domain: &str) -> Vec<String> {
    let domain = normalize(domain);
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let mut out = vec![labels.join(".")];
    let mut n = labels.len().min(8);
    while n > 1 {
        n -= 1;
        out.push(labels[labels.len() - n..].join("."));
    }
    out
}

/// Lower case, without a trailing dot.
pub fn normalize(domain: &str) -> String {
    domain.trim_end_matches('.').to_ascii_lowercase()
}

/// Walks from `domain`.
pub fn tree_walk(dns: &mut dyn DmarcDns, domain: &str) -> Walk {
    let start = normalize(domain);
    let mut steps = Vec::new();
    for target in walk_targets(&start) {
        let found = match dns.txt(&format!("_dmarc.{target}")) {
            TxtAnswer::Records(txts) => {
                let dmarc: Vec<&String> =
                    txts.iter().filter(|t| DmarcRecord::is_dmarc(t)).collect();
                match dmarc.as_slice() {
                    [] => Found::Nothing,
                    [one] => Found::Record(DmarcRecord::parse_lenient(one).0),
                    many => Found::Several(many.len()),
                }
            }
            TxtAnswer::NxDomain => Found::Nothing,
            TxtAnswer::Unavailable(why) => Found::Unavailable(why),
        };
        let stop =
            matches!(&found, Found::Record(r) if matches!(r.psd(), Some(Psd::Yes | Psd::No)));
        steps.push(Step {
            domain: target,
            found,
        });
        if stop {
            break;
        }
    }
    Walk { start, steps }
}

impl Walk {
    /// The records found, longest name first.
    pub fn records(&self) -> impl Iterator<Item = (&str, &DmarcRecord)> {
        self.steps.iter().filter_map(|s| match &s.found {
            Found::Record(r) => Some((s.domain.as_str(), r)),
            _ => None,
        })
    }

    /// The record that applies to mail from the starting domain, and where it was found.
    pub fn policy(&self) -> Option<(&str, &DmarcRecord)> {
        self.records().next()
    }

    /// The starting domain's organizational domain.
    pub fn org_domain(&self) -> String {
        for (domain, rec) in self.records() {
            match rec.psd() {
                Some(Psd::No) => return domain.to_owned(),
                Some(Psd::Yes) if domain != self.start => {
                    let keep = domain.split('.').count() + 1;
                    let labels: Vec<&str> = self.start.split('.').collect();
                    return labels[labels.len() - keep..].join(".");
                }
                _ => {}
            }
        }
        self.records()
            .min_by_key(|(d, _)| d.split('.').count())
            .map_or_else(|| self.start.clone(), |(d, _)| d.to_owned())
    }

    /// The names that could not be asked, with why.
    pub fn unavailable(&self) -> Vec<(String, String)> {
        self.steps
            .iter()
            .filter_map(|s| match &s.found {
                Found::Unavailable(why) => Some((format!("_dmarc.{}", s.domain), why.clone())),
                _ => None,
            })
            .collect()
    }
}

/// The organizational domain of `domain` by a tree walk.
pub fn org_domain(dns: &mut dyn DmarcDns, domain: &str) -> String {
    tree_walk(dns, domain).org_domain()
}

/// A [`DmarcDns`] over a fixed map, for tests and for callers that collected answers already.
#[derive(Debug, Clone, Default)]
pub struct StaticDns {
    pub txt: std::collections::HashMap<String, Vec<String>>,
    /// Every name asked, in order.
    pub asked: Vec<String>,
}

impl StaticDns {
    /// A DNS with `_dmarc.DOMAIN` → record for each pair.
    pub fn with_records(records: &[(&str, &str)]) -> StaticDns {
        let mut dns = StaticDns::default();
        for (domain, rec) in records {
            dns.txt
                .entry(format!("_dmarc.{}", normalize(domain)))
                .or_default()
                .push((*rec).to_owned());
        }
        dns
    }
}

impl DmarcDns for StaticDns {
    fn txt(&mut self, name: &str) -> TxtAnswer {
        self.asked.push(name.to_owned());
        match self.txt.get(name) {
            Some(v) => TxtAnswer::Records(v.clone()),
            None => TxtAnswer::NxDomain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_shorten_long_names_to_seven_labels() {
        assert_eq!(
            walk_targets("A.Mail.Example.COM."),
            [
                "a.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
        assert_eq!(walk_targets("com"), ["com"]);
        let long = "a.b.c.d.e.f.g.h.i.example";
        let t = walk_targets(long);
        assert_eq!(t[0], long);
        assert_eq!(t[1], "d.e.f.g.h.i.example");
        assert_eq!(t.last().unwrap(), "example");
        assert_eq!(t.len(), 8, "at most eight queries: {t:?}");
        assert_eq!(walk_targets("b.c.d.e.f.g.h.example").len(), 8);
    }

    #[test]
    fn policy_is_the_closest_record_org_domain_the_farthest() {
        let mut dns = StaticDns::with_records(&[
            ("apple.example", "v=DMARC1; p=reject"),
            ("mail.apple.example", "v=DMARC1; p=none"),
        ]);
        let w = tree_walk(&mut dns, "x.mail.apple.example");
        assert_eq!(w.policy().unwrap().0, "mail.apple.example");
        assert_eq!(w.org_domain(), "apple.example");
        assert_eq!(
            dns.asked,
            [
                "_dmarc.x.mail.apple.example",
                "_dmarc.mail.apple.example",
                "_dmarc.apple.example",
                "_dmarc.example"
            ]
        );
        // No record anywhere: no policy, the domain is its own organizational domain.
        let mut none = StaticDns::default();
        let w = tree_walk(&mut none, "mail.pear.example");
        assert_eq!(w.policy(), None);
        assert_eq!(w.org_domain(), "mail.pear.example");
    }

    #[test]
    fn psd_tags_end_the_walk() {
        // psd=n: that domain is the organizational domain, even with a record above it.
        let mut dns = StaticDns::with_records(&[
            ("dept.big.example", "v=DMARC1; p=none; psd=n"),
            ("big.example", "v=DMARC1; p=reject"),
        ]);
        let w = tree_walk(&mut dns, "host.dept.big.example");
        assert_eq!(w.org_domain(), "dept.big.example");
        assert_eq!(w.steps.len(), 2, "stopped at psd=n");
        // psd=y: the organizational domain is one label below the public suffix domain.
        let mut dns = StaticDns::with_records(&[("example", "v=DMARC1; p=reject; psd=y")]);
        let w = tree_walk(&mut dns, "a.b.shop.example");
        assert_eq!(w.org_domain(), "shop.example");
        assert_eq!(w.policy().unwrap().0, "example", "the PSD's policy applies");
        // psd=y at the starting domain: it is its own organizational domain.
        let w = tree_walk(&mut dns, "example");
        assert_eq!(w.org_domain(), "example");
    }

    #[test]
    fn several_records_or_non_dmarc_txt_count_as_none() {
        let mut dns = StaticDns::with_records(&[
            ("sub.apple.example", "v=DMARC1; p=none"),
            ("sub.apple.example", "v=DMARC1; p=reject"),
            ("apple.example", "v=spf1 -all"),
        ]);
        let w = tree_walk(&mut dns, "sub.apple.example");
        assert_eq!(w.steps[0].found, Found::Several(2));
        assert_eq!(w.policy(), None);
        assert_eq!(w.org_domain(), "sub.apple.example");
    }
}
