//! What a receiver decides for one message: SPF and DKIM alignment with the header From domain,
//! the DMARC result, the policy that applies (`p`, `sp` or `np`, and `t`) and the disposition
//! under RFC 7489 and RFC 9989 receivers.
//!
//! The SPF result (RFC 7208 `check_host()` on the MAIL FROM domain, or the HELO name when MAIL
//! FROM is empty) and the DKIM results are inputs: [`SpfResult`] maps one to one from RFC 7208's
//! results, so the SPF evaluator plugs in as it is. The policy comes from a [`Walk`] from the
//! From domain, and organizational domains from `org_of` (also tree walks, in the CLI).
//!
//! Pure: imports only the other `dmarc` modules.

use std::fmt;
use std::str::FromStr;

use super::explain::{receiver_action, Action, Applies, Generation};
use super::record::{AlignMode, DmarcRecord};
use super::treewalk::{normalize, Walk};

/// An SPF result, exactly RFC 7208 §2.6's seven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    PermError,
    TempError,
}

impl SpfResult {
    pub const ALL: [SpfResult; 7] = [
        SpfResult::Pass,
        SpfResult::Fail,
        SpfResult::SoftFail,
        SpfResult::Neutral,
        SpfResult::None,
        SpfResult::PermError,
        SpfResult::TempError,
    ];

    /// The result's name as RFC 7208 writes it in `Received-SPF`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::PermError => "permerror",
            SpfResult::TempError => "temperror",
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SpfResult {
    type Err = String;
    fn from_str(s: &str) -> Result<SpfResult, String> {
        SpfResult::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("{s:?} is not an SPF result (pass fail softfail neutral none permerror temperror)")
            })
    }
}

/// The SPF check the receiver made: its result and the domain it authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutcome {
    pub result: SpfResult,
    /// The MAIL FROM domain, or the HELO name when MAIL FROM was empty.
    pub domain: String,
}

/// One DKIM signature's outcome: the signing domain (`d=`) and whether it verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimOutcome {
    pub domain: String,
    pub pass: bool,
}

/// The message as the receiver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header From domain (RFC5322.From).
    pub from_domain: String,
    /// Does the From domain exist in the DNS? (`np` is for those that do not.)
    pub from_exists: bool,
    pub spf: SpfOutcome,
    pub dkim: Vec<DkimOutcome>,
}

/// How one authenticated domain compares with the From domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alignment {
    pub domain: String,
    pub org_domain: String,
    /// The same organizational domain as the From domain.
    pub relaxed: bool,
    /// Exactly the From domain.
    pub strict: bool,
    /// The mode the record asks for (`aspf`/`adkim`).
    pub mode: AlignMode,
    /// Authenticated (SPF pass, DKIM pass) and aligned in `mode`.
    pub aligned_pass: bool,
}

/// The DMARC result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DmarcResult {
    Pass,
    Fail,
    /// No DMARC record applies: DMARC says nothing.
    None,
    /// SPF had a temporary error and nothing else passed: receivers typically defer (4xx).
    TempError,
}

impl fmt::Display for DmarcResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::None => "none",
            DmarcResult::TempError => "temperror",
        })
    }
}

/// The decision for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub from_domain: String,
    pub from_org_domain: String,
    /// Where the applicable record was found, and the record.
    pub policy: Option<(String, DmarcRecord)>,
    pub spf_result: SpfResult,
    pub spf: Alignment,
    pub dkim: Vec<(bool, Alignment)>,
    pub result: DmarcResult,
    /// Whether the record is the From domain's own, a parent's for an existing subdomain, or a
    /// parent's for a non-existent one.
    pub applies: Option<Applies>,
    /// What each generation of receivers does with this message (failing or not).
    pub dispositions: Vec<(Generation, Disposition)>,
}

/// What happens to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Delivered: DMARC passed, or no policy applies.
    Deliver(&'static str),
    /// DMARC failed: the action of the policy.
    Policy(Action),
    /// A temporary error: defer.
    Defer,
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disposition::Deliver(why) => write!(f, "deliver ({why})"),
            Disposition::Policy(a) => write!(f, "{a}"),
            Disposition::Defer => f.write_str("defer (4xx) and retry: SPF temperror"),
        }
    }
}

fn align(
    domain: &str,
    from: &str,
    from_org: &str,
    mode: AlignMode,
    authenticated: bool,
    org_of: &mut dyn FnMut(&str) -> String,
) -> Alignment {
    let domain = normalize(domain);
    let org_domain = if domain.is_empty() {
        String::new()
    } else {
        org_of(&domain)
    };
    let strict = !domain.is_empty() && domain == from;
    let relaxed = strict || (!domain.is_empty() && org_domain == from_org);
    let aligned = match mode {
        AlignMode::Relaxed => relaxed,
        AlignMode::Strict => strict,
    };
    Alignment {
        domain,
        org_domain,
        relaxed,
        strict,
        mode,
        aligned_pass: authenticated && aligned,
    }
}

/// Decides for `msg`: `walk` is the tree walk from its From domain; `org_of` gives the
/// organizational domain of the SPF and DKIM domains.
pub fn evaluate(msg: &Message, walk: &Walk, mut org_of: impl FnMut(&str) -> String) -> Verdict {
    let from = normalize(&msg.from_domain);
    let from_org = walk.org_domain();
    let policy = walk.policy().map(|(d, r)| (d.to_owned(), r.clone()));
    let (aspf, adkim) = policy
        .as_ref()
        .map_or((AlignMode::Relaxed, AlignMode::Relaxed), |(_, r)| {
            (r.aspf(), r.adkim())
        });
    let spf = align(
        &msg.spf.domain,
        &from,
        &from_org,
        aspf,
        msg.spf.result == SpfResult::Pass,
        &mut org_of,
    );
    let dkim: Vec<(bool, Alignment)> = msg
        .dkim
        .iter()
        .map(|d| {
            (
                d.pass,
                align(&d.domain, &from, &from_org, adkim, d.pass, &mut org_of),
            )
        })
        .collect();
    let passed = spf.aligned_pass || dkim.iter().any(|(_, a)| a.aligned_pass);
    let result = match (&policy, passed) {
        (None, _) => DmarcResult::None,
        (Some(_), true) => DmarcResult::Pass,
        (Some(_), false) if msg.spf.result == SpfResult::TempError => DmarcResult::TempError,
        (Some(_), false) => DmarcResult::Fail,
    };
    let applies = policy.as_ref().map(|(d, _)| {
        if *d == from {
            Applies::Domain
        } else if msg.from_exists {
            Applies::Subdomain
        } else {
            Applies::NonExistent
        }
    });
    let dispositions = Generation::BOTH
        .into_iter()
        .map(|g| {
            let d = match (result, &policy, applies) {
                (DmarcResult::Pass, _, _) => Disposition::Deliver("DMARC pass"),
                (DmarcResult::None, _, _) => Disposition::Deliver("no DMARC policy"),
                (DmarcResult::TempError, _, _) => Disposition::Defer,
                (DmarcResult::Fail, Some((_, rec)), Some(applies)) => {
                    Disposition::Policy(receiver_action(g, rec, applies))
                }
                (DmarcResult::Fail, _, _) => Disposition::Deliver("no DMARC policy"),
            };
            (g, d)
        })
        .collect();
    Verdict {
        from_domain: from,
        from_org_domain: from_org,
        policy,
        spf_result: msg.spf.result,
        spf,
        dkim,
        result,
        applies,
        dispositions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmarc::record::{Policy, Tag};
    use crate::dmarc::treewalk::{org_domain, tree_walk, StaticDns};

    fn dns() -> StaticDns {
        StaticDns::with_records(&[
            (
                "apple.example",
                "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@apple.example",
            ),
            ("strict.example", "v=DMARC1; p=reject; aspf=s; adkim=s"),
            ("testing.example", "v=DMARC1; p=reject; t=y; pct=0"),
            ("orange.example", "v=DMARC1; p=none"),
        ])
    }

    /// Evaluates with SPF `spf` for `mail_from_domain` and DKIM passes/fails.
    fn run(from: &str, exists: bool, spf: (SpfResult, &str), dkim: &[(&str, bool)]) -> Verdict {
        let mut d = dns();
        let walk = tree_walk(&mut d, from);
        let msg = Message {
            from_domain: from.to_owned(),
            from_exists: exists,
            spf: SpfOutcome {
                result: spf.0,
                domain: spf.1.to_owned(),
            },
            dkim: dkim
                .iter()
                .map(|(d, p)| DkimOutcome {
                    domain: (*d).to_owned(),
                    pass: *p,
                })
                .collect(),
        };
        let mut d2 = dns();
        evaluate(&msg, &walk, |x| org_domain(&mut d2, x))
    }

    fn disposition(v: &Verdict, g: Generation) -> Policy {
        match &v.dispositions.iter().find(|(x, _)| *x == g).unwrap().1 {
            Disposition::Policy(a) => a.main_disposition(),
            Disposition::Deliver(_) => Policy::None,
            Disposition::Defer => panic!("deferred"),
        }
    }

    /// (name, From domain, From exists, SPF (result, domain), DKIM (d=, pass), DMARC result,
    /// RFC 7489 disposition, RFC 9989 disposition)
    type Case<'a> = (
        &'a str,
        &'a str,
        bool,
        (SpfResult, &'a str),
        Vec<(&'a str, bool)>,
        DmarcResult,
        Policy,
        Policy,
    );

    #[test]
    fn evaluation_table() {
        use DmarcResult::*;
        use SpfResult as S;
        let both = |v: &Verdict| {
            (
                disposition(v, Generation::Rfc7489),
                disposition(v, Generation::Rfc9989),
            )
        };
        let cases: Vec<Case> = vec![
            (
                "envelope = header From, IP in SPF",
                "apple.example",
                true,
                (S::Pass, "apple.example"),
                vec![],
                Pass,
                Policy::None,
                Policy::None,
            ),
            (
                "IP outside SPF",
                "apple.example",
                true,
                (S::Fail, "apple.example"),
                vec![],
                Fail,
                Policy::Reject,
                Policy::Reject,
            ),
            (
                "softfail is not a pass",
                "apple.example",
                true,
                (S::SoftFail, "apple.example"),
                vec![],
                Fail,
                Policy::Reject,
                Policy::Reject,
            ),
            (
                "SPF pass in another organization",
                "apple.example",
                true,
                (S::Pass, "orange.example"),
                vec![],
                Fail,
                Policy::Reject,
                Policy::Reject,
            ),
            (
                "aligned DKIM pass with SPF fail",
                "apple.example",
                true,
                (S::Fail, "apple.example"),
                vec![("apple.example", true)],
                Pass,
                Policy::None,
                Policy::None,
            ),
            (
                "DKIM pass, other organization",
                "apple.example",
                true,
                (S::Fail, "apple.example"),
                vec![("orange.example", true)],
                Fail,
                Policy::Reject,
                Policy::Reject,
            ),
            (
                "aligned DKIM that failed",
                "apple.example",
                true,
                (S::None, ""),
                vec![("apple.example", false)],
                Fail,
                Policy::Reject,
                Policy::Reject,
            ),
            (
                "relaxed: SPF pass for a subdomain",
                "apple.example",
                true,
                (S::Pass, "bounce.apple.example"),
                vec![],
                Pass,
                Policy::None,
                Policy::None,
            ),
            (
                "relaxed: DKIM d= parent of From",
                "news.apple.example",
                true,
                (S::None, ""),
                vec![("apple.example", true)],
                Pass,
                Policy::None,
                Policy::None,
            ),
            (
                "strict: SPF pass for a subdomain",
                "strict.example",
                true,
                (S::Pass, "bounce.strict.example"),
                vec![],
                Fail,
                Policy::Reject,
                Policy::Reject,
            ),
            (
                "strict: DKIM d= subdomain",
                "strict.example",
                true,
                (S::Fail, "strict.example"),
                vec![("mail.strict.example", true)],
                Fail,
                Policy::Reject,
                Policy::Reject,
            ),
            (
                "strict: exact match",
                "strict.example",
                true,
                (S::Pass, "strict.example"),
                vec![],
                Pass,
                Policy::None,
                Policy::None,
            ),
            (
                "subdomain policy sp",
                "news.apple.example",
                true,
                (S::Fail, "news.apple.example"),
                vec![],
                Fail,
                Policy::Quarantine,
                Policy::Quarantine,
            ),
            (
                "np for a non-existent subdomain",
                "nope.apple.example",
                false,
                (S::None, "nope.apple.example"),
                vec![],
                Fail,
                Policy::Quarantine,
                Policy::Reject,
            ),
            (
                "t=y with pct=0",
                "testing.example",
                true,
                (S::Fail, "testing.example"),
                vec![],
                Fail,
                Policy::Quarantine,
                Policy::None,
            ),
            (
                "no DMARC record",
                "pear.example",
                true,
                (S::Fail, "pear.example"),
                vec![],
                None,
                Policy::None,
                Policy::None,
            ),
            (
                "p=none",
                "orange.example",
                true,
                (S::Fail, "orange.example"),
                vec![],
                Fail,
                Policy::None,
                Policy::None,
            ),
        ];
        for (name, from, exists, spf, dkim, result, d7489, d9989) in cases {
            let v = run(from, exists, spf, &dkim);
            assert_eq!(v.result, result, "{name}: {v:#?}");
            assert_eq!(both(&v), (d7489, d9989), "{name}: {v:#?}");
        }
    }

    #[test]
    fn temperror_defers_unless_dkim_passes() {
        let v = run(
            "apple.example",
            true,
            (SpfResult::TempError, "apple.example"),
            &[],
        );
        assert_eq!(v.result, DmarcResult::TempError);
        assert!(v.dispositions.iter().all(|(_, d)| *d == Disposition::Defer));
        let v = run(
            "apple.example",
            true,
            (SpfResult::TempError, "apple.example"),
            &[("apple.example", true)],
        );
        assert_eq!(v.result, DmarcResult::Pass);
    }

    #[test]
    fn policy_tag_and_alignment_details() {
        let v = run(
            "news.apple.example",
            true,
            (SpfResult::Pass, "apple.example"),
            &[],
        );
        assert_eq!(v.applies, Some(Applies::Subdomain));
        assert_eq!(v.from_org_domain, "apple.example");
        assert!(v.spf.relaxed && !v.spf.strict && v.spf.aligned_pass);
        let v = run(
            "nope.apple.example",
            false,
            (SpfResult::Fail, "x.example"),
            &[],
        );
        match &v.dispositions[1].1 {
            Disposition::Policy(a) => assert_eq!(a.tag, Tag::Np),
            d => panic!("{d:?}"),
        }
        match &v.dispositions[0].1 {
            Disposition::Policy(a) => assert_eq!(a.tag, Tag::Sp, "RFC 7489 has no np"),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn spf_results_are_rfc_7208s() {
        let names: Vec<&str> = SpfResult::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "pass",
                "fail",
                "softfail",
                "neutral",
                "none",
                "permerror",
                "temperror"
            ]
        );
        for r in SpfResult::ALL {
            assert_eq!(r.as_str().to_uppercase().parse::<SpfResult>(), Ok(r));
        }
        assert!("hardfail".parse::<SpfResult>().is_err());
    }
}
