//! Plain words: what each tag of a record means, and what a receiver does with mail that fails
//! DMARC, for the two generations of receivers that exist at once:
//!
//! - **RFC 7489** receivers read `p`, `sp`, `pct` (sampling: failing mail not sampled gets the
//!   next lower policy, so `pct=0` means "apply the next lower policy to all of it"), and
//!   ignore `t`, `np` and `psd`.
//! - **RFC 9989** (DMARCbis) receivers read `p`, `sp`, `np` (non-existent subdomains) and `t`
//!   (`t=y`: do not apply the policy, only special handling such as From rewriting by mailing
//!   lists), and ignore `pct`, `rf` and `ri`.
//!
//! Pure: imports only [`super::record`].

use std::fmt;

use super::record::{AlignMode, DmarcRecord, Policy, Psd, Tag, Value};

/// A generation of DMARC receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    Rfc7489,
    Rfc9989,
}

impl Generation {
    pub const BOTH: [Generation; 2] = [Generation::Rfc7489, Generation::Rfc9989];
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Generation::Rfc7489 => "RFC 7489",
            Generation::Rfc9989 => "RFC 9989",
        })
    }
}

/// Which domain failing mail claims in its From header, relative to where the record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Applies {
    /// The domain that publishes the record.
    Domain,
    /// An existing subdomain without its own record.
    Subdomain,
    /// A subdomain that does not exist in the DNS (NXDOMAIN).
    NonExistent,
}

/// What a receiver does with failing mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Action {
    /// The tag whose policy is used (`p`, `sp` or `np`).
    pub tag: Tag,
    /// The policy the tag asks for.
    pub requested: Policy,
    /// What happens to `share` percent of failing mail.
    pub disposition: Policy,
    /// 0–100: the share of failing mail that gets `disposition`; the rest gets `rest`.
    pub share: u8,
    pub rest: Policy,
    /// RFC 9989 `t=y`: the policy is not applied; only special handling (e.g. From rewriting).
    pub testing: bool,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = |p: Policy| match p {
            Policy::None => "deliver",
            Policy::Quarantine => "quarantine (spam folder)",
            Policy::Reject => "reject",
        };
        if self.testing {
            return write!(
                f,
                "deliver; test mode (t=y): {}={} not applied, only special handling such as \
                 From rewriting by mailing lists",
                self.tag, self.requested
            );
        }
        match self.share {
            100 => write!(
                f,
                "{} ({}={})",
                word(self.disposition),
                self.tag,
                self.requested
            ),
            0 => write!(
                f,
                "{} (pct=0: the next lower policy than {}={})",
                word(self.rest),
                self.tag,
                self.requested
            ),
            n => write!(
                f,
                "{} {n}% of it, {} the rest (pct={n})",
                word(self.disposition),
                word(self.rest)
            ),
        }
    }
}

impl Action {
    /// The disposition most failing mail gets.
    pub fn main_disposition(&self) -> Policy {
        if self.testing {
            Policy::None
        } else if self.share >= 50 {
            self.disposition
        } else {
            self.rest
        }
    }
}

/// What a receiver of generation `g` does with failing mail from `applies` under `rec`.
pub fn receiver_action(g: Generation, rec: &DmarcRecord, applies: Applies) -> Action {
    let p = rec.effective_p();
    let (tag, requested) = match (g, applies) {
        (_, Applies::Domain) => (Tag::P, p),
        (Generation::Rfc9989, Applies::NonExistent) => match (rec.np(), rec.sp()) {
            (Some(np), _) => (Tag::Np, np),
            (None, Some(sp)) => (Tag::Sp, sp),
            (None, None) => (Tag::P, p),
        },
        (_, Applies::Subdomain | Applies::NonExistent) => match rec.sp() {
            Some(sp) => (Tag::Sp, sp),
            None => (Tag::P, p),
        },
    };
    match g {
        Generation::Rfc7489 => {
            let share = rec.pct().unwrap_or(100);
            Action {
                tag,
                requested,
                disposition: requested,
                share,
                rest: requested.lower(),
                testing: false,
            }
        }
        Generation::Rfc9989 => Action {
            tag,
            requested,
            disposition: requested,
            share: 100,
            rest: requested,
            testing: rec.testing() && requested != Policy::None,
        },
    }
}

/// One tag explained in plain words.
pub fn explain_tag(tag: Tag, value: &Value) -> String {
    let policy_words = |p: &Value| match p {
        Value::Policy(Policy::None) => "take no action (monitor only)",
        Value::Policy(Policy::Quarantine) => "treat as suspicious (usually: the spam folder)",
        Value::Policy(Policy::Reject) => "refuse it during the SMTP session",
        _ => "?",
    };
    match (tag, value) {
        (Tag::V, _) => "this is a DMARC record, version 1".to_owned(),
        (Tag::P, v) => format!(
            "mail from this domain that fails DMARC: receivers should {}",
            policy_words(v)
        ),
        (Tag::Sp, v) => format!(
            "mail from subdomains that have no record of their own: {}",
            policy_words(v)
        ),
        (Tag::Np, v) => format!(
            "mail from subdomains that do not exist in the DNS: {} (RFC 9989 receivers only)",
            policy_words(v)
        ),
        (Tag::T, Value::Flag(true)) => {
            "test mode: RFC 9989 receivers do not apply the policy yet, only special handling \
             such as From rewriting by mailing lists; RFC 7489 receivers ignore this tag"
                .to_owned()
        }
        (Tag::T, _) => "not in test mode: apply the policy as written".to_owned(),
        (Tag::Pct, Value::Percent(n)) => format!(
            "RFC 7489 receivers apply the policy to {n}% of failing mail and the next lower \
             policy to the rest{}; RFC 9989 removed this tag",
            if *n == 0 {
                " (so all of it gets the next lower policy)"
            } else {
                ""
            }
        ),
        (Tag::Adkim, Value::Align(a)) | (Tag::Aspf, Value::Align(a)) => {
            let what = if tag == Tag::Adkim {
                "the DKIM signing domain (d=)"
            } else {
                "the SPF-checked envelope domain (MAIL FROM)"
            };
            match a {
                AlignMode::Relaxed => {
                    format!("{what} may be any domain of the same organization as the From domain")
                }
                AlignMode::Strict => format!("{what} must be exactly the From domain"),
            }
        }
        (Tag::Psd, Value::Psd(p)) => match p {
            Psd::Yes => "this domain is a public suffix (like a TLD); organizations register \
                         domains below it"
                .to_owned(),
            Psd::No => {
                "this domain is an organizational domain: the DNS tree walk stops here".to_owned()
            }
            Psd::Unknown => "whether this is a public suffix is not said (the default)".to_owned(),
        },
        (Tag::Rua, Value::Uris(uris)) => format!(
            "send daily aggregate reports (who sent mail as this domain, and whether it passed) \
             to {}",
            list(uris)
        ),
        (Tag::Ruf, Value::Uris(uris)) => format!(
            "send failure reports (details of single failing messages) to {}",
            list(uris)
        ),
        (Tag::Fo, Value::List(items)) => {
            let words: Vec<&str> = items
                .iter()
                .map(|i| match i.as_str() {
                    "0" => "when both SPF and DKIM fail to give an aligned pass",
                    "1" => "when either SPF or DKIM fails to give an aligned pass",
                    "d" => "when a DKIM signature fails to verify",
                    "s" => "when SPF fails",
                    _ => "?",
                })
                .collect();
            format!("send failure reports {}", words.join("; and "))
        }
        (Tag::Rf, _) => {
            "failure reports in the Authentication Failure Reporting Format (RFC 7489 tag, \
             removed by RFC 9989)"
                .to_owned()
        }
        (Tag::Ri, Value::Seconds(n)) => format!(
            "ask for aggregate reports every {n} seconds{} (RFC 7489 tag, removed by RFC 9989; \
             receivers send daily anyway)",
            if n % 3600 == 0 {
                format!(" ({} hours)", n / 3600)
            } else {
                String::new()
            }
        ),
        (tag, value) => format!("{tag}={value}"),
    }
}

fn list(uris: &[super::record::ReportUri]) -> String {
    let v: Vec<String> = uris
        .iter()
        .map(|u| match &u.size {
            Some(s) => format!("{} (reports up to {s})", u.address),
            None => u.address.clone(),
        })
        .collect();
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(g: Generation, text: &str, applies: Applies) -> Action {
        receiver_action(g, &DmarcRecord::parse(text).unwrap(), applies)
    }

    #[test]
    fn pct_zero_is_next_lower_for_7489_and_ignored_by_9989() {
        let a = act(
            Generation::Rfc7489,
            "v=DMARC1; p=reject; t=y; pct=0",
            Applies::Domain,
        );
        assert_eq!(a.main_disposition(), Policy::Quarantine);
        assert!(
            a.to_string().starts_with("quarantine (spam folder) (pct=0"),
            "{a}"
        );
        let b = act(
            Generation::Rfc9989,
            "v=DMARC1; p=reject; t=y; pct=0",
            Applies::Domain,
        );
        assert!(b.testing);
        assert_eq!(b.main_disposition(), Policy::None);
        let c = act(
            Generation::Rfc9989,
            "v=DMARC1; p=reject; pct=0",
            Applies::Domain,
        );
        assert_eq!(c.main_disposition(), Policy::Reject);
        let d = act(
            Generation::Rfc7489,
            "v=DMARC1; p=quarantine; pct=0",
            Applies::Domain,
        );
        assert_eq!(d.main_disposition(), Policy::None);
        let e = act(
            Generation::Rfc7489,
            "v=DMARC1; p=reject; pct=30",
            Applies::Domain,
        );
        assert_eq!(
            e.to_string(),
            "reject 30% of it, quarantine (spam folder) the rest (pct=30)"
        );
    }

    #[test]
    fn subdomain_and_nonexistent_policies() {
        let rec = "v=DMARC1; p=reject; sp=quarantine; np=none";
        for (g, applies, tag, disp) in [
            (Generation::Rfc7489, Applies::Domain, Tag::P, Policy::Reject),
            (
                Generation::Rfc7489,
                Applies::Subdomain,
                Tag::Sp,
                Policy::Quarantine,
            ),
            (
                Generation::Rfc7489,
                Applies::NonExistent,
                Tag::Sp,
                Policy::Quarantine,
            ),
            (
                Generation::Rfc9989,
                Applies::Subdomain,
                Tag::Sp,
                Policy::Quarantine,
            ),
            (
                Generation::Rfc9989,
                Applies::NonExistent,
                Tag::Np,
                Policy::None,
            ),
        ] {
            let a = act(g, rec, applies);
            assert_eq!(
                (a.tag, a.main_disposition()),
                (tag, disp),
                "{g} {applies:?}"
            );
        }
        // np falls back to sp, then p.
        let a = act(
            Generation::Rfc9989,
            "v=DMARC1; p=reject; sp=none",
            Applies::NonExistent,
        );
        assert_eq!((a.tag, a.requested), (Tag::Sp, Policy::None));
        let a = act(
            Generation::Rfc9989,
            "v=DMARC1; p=reject",
            Applies::NonExistent,
        );
        assert_eq!((a.tag, a.requested), (Tag::P, Policy::Reject));
    }

    #[test]
    fn every_tag_has_words() {
        let rec = DmarcRecord::parse(
            "v=DMARC1; p=reject; sp=none; np=quarantine; t=y; pct=0; adkim=s; aspf=r; psd=n; \
             rua=mailto:a@example.com!10m; ruf=mailto:f@example.com; fo=0:1:d:s; rf=afrf; ri=86400",
        )
        .unwrap();
        let mut seen = 0;
        for (tag, value) in rec.tags() {
            let words = explain_tag(tag, value);
            assert!(!words.contains('?') && words.len() > 20, "{tag}: {words}");
            seen += 1;
        }
        assert_eq!(seen, Tag::ALL.len());
    }
}
