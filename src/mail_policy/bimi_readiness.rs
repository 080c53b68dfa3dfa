//! Whether receivers would show a domain's BIMI logo (`zonectl bimi check`), as a pure function
//! of facts gathered elsewhere. A receiver shows the logo beside a message only when all of
//! these hold, and says nothing when one does not:
//!
//! - `record`: one valid BIMI record at `SELECTOR._bimi.DOMAIN`, else at the organizational
//!   domain's, that does not decline (BIMI draft §4.3, §7.2);
//! - `dmarc`: the DMARC policy receivers find for the domain (its own, else its organizational
//!   domain's) is at enforcement (§7.1): `p=quarantine` (with `pct` 100) or `p=reject`, no
//!   `sp=none`, and not RFC 9989's test mode (`t=y`);
//! - `logo`: the SVG the record's `l=` points to is SVG Tiny PS ([`super::bimi_logo`]): checked
//!   on a copy of the file (`--logo`), since zonectl fetches nothing over HTTPS;
//! - `evidence`: an `a=` with a mark certificate (VMC or CMC). Gmail and Apple Mail show no logo
//!   without one; other receivers do, so its absence is a warning. Given a copy of the
//!   certificate (`--evidence`), it is read ([`super::bimi_evidence`]): for BIMI, valid now, for
//!   the domain, carrying an SVG Tiny PS logo (a warning if it is not the logo file given).
//!
//! A record that declines needs neither logo nor certificate. A file not given is `unknown`:
//! zonectl fetches nothing over HTTPS. The result is the same [`Readiness`] `dmarc check` and
//! `mta-sts check` print.
//!
//! Pure: imports [`super::bimi`], [`super::bimi_logo`], [`super::bimi_evidence`],
//! [`super::sts_readiness`]'s TXT lookups and the readiness types of
//! [`crate::dmarc::readiness`].

use super::bimi::{self, Assertion};
use super::bimi_evidence;
use super::bimi_logo;
use super::sts_readiness::{records, Records, Txts};
use super::Kind;
use crate::dmarc::readiness::{Item, Readiness, Status};
use crate::dmarc::record::DmarcRecord;

/// What `bimi check` found about one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BimiFacts {
    /// The zone's name, without a final dot (`apple.example`).
    pub domain: String,
    /// The selector (`default` unless the operator names another).
    pub selector: String,
    /// Where the BIMI record was looked for: `SELECTOR._bimi.DOMAIN`, or the organizational
    /// domain's when the domain has none (receivers fall back to it).
    pub record_owner: String,
    /// The TXT values at `record_owner`, or why they could not be asked.
    pub record_txts: Result<Txts, String>,
    /// The DMARC record that applies to the domain, as receivers find it (the domain's own, else
    /// its organizational domain's): None if there is none, or why it could not be asked.
    pub dmarc: Result<Option<DmarcFound>, String>,
    /// The logo file as read (`--logo FILE`): None if not given, or why it cannot be read.
    pub logo: Option<Result<Vec<u8>, String>>,
    /// Where the logo was read from, as the operator named it.
    pub logo_from: String,
    /// The mark certificate's PEM file as read (`--evidence FILE`): None if not given, or why
    /// it cannot be read.
    pub evidence: Option<Result<Vec<u8>, String>>,
    /// Where the certificate was read from, as the operator named it.
    pub evidence_from: String,
    /// Now, in seconds since the epoch (the certificate's validity is judged at it).
    pub now: i64,
}

/// Where receivers found the domain's DMARC policy, and the TXT values there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcFound {
    /// The domain whose `_dmarc` name holds it.
    pub domain: String,
    pub txts: Vec<String>,
}

/// Judges whether receivers would show the logo.
pub fn check(f: &BimiFacts) -> Readiness {
    let (record, assertion) = record(f);
    // A record that declines asks for no logo: there is none to check.
    let declined = assertion.as_ref().is_some_and(Assertion::declines);
    let not_applicable = || {
        (
            Status::Pass,
            "not applicable: the record declines to show a logo".to_owned(),
        )
    };
    let items = vec![
        item("record", record),
        item("dmarc", dmarc(f)),
        item(
            "logo",
            match declined {
                true => not_applicable(),
                false => logo(f, assertion.as_ref()),
            },
        ),
        item(
            "evidence",
            match declined {
                true => not_applicable(),
                false => evidence(f, assertion.as_ref()),
            },
        ),
    ];
    Readiness { items }
}

fn item(check: &'static str, (status, detail): (Status, String)) -> Item {
    Item {
        check,
        status,
        detail,
    }
}

/// The record item, and the record when it can be used.
pub fn record(f: &BimiFacts) -> ((Status, String), Option<Assertion>) {
    let owner = &f.record_owner;
    let txts = match &f.record_txts {
        Ok(t) => t,
        Err(why) => return ((Status::Unknown, format!("{owner}: {why}")), None),
    };
    let mut at = txts.at(owner);
    let own = format!("{}._bimi.{}", f.selector, f.domain);
    if *owner != own {
        if owner.ends_with(&format!("._bimi.{}", f.domain)) {
            at.push_str(&format!(" (the default selector's: {own} has none)"));
        } else {
            at.push_str(&format!(
                " (the organizational domain's: {} has none)",
                f.domain
            ));
        }
    }
    match records(Kind::Bimi, &txts.values) {
        Records::None => (
            (
                Status::Fail,
                format!(
                    "no BIMI record at {at}: `zonectl bimi set {} l=https://…/logo.svg` \
                     publishes one",
                    f.domain
                ),
            ),
            None,
        ),
        Records::Many(n) => (
            (
                Status::Fail,
                format!(
                    "{at} holds {n} BIMI records: {}; keep one",
                    Kind::Bimi.when_several()
                ),
            ),
            None,
        ),
        Records::One(text, problems) => match bimi::parse(text) {
            Ok(a) if a.declines() => (
                (
                    Status::Fail,
                    format!(
                        "{at} declines (l= and a= empty): receivers show no logo for {}",
                        f.domain
                    ),
                ),
                Some(a),
            ),
            Ok(a) => ((Status::Pass, format!("{at}: {text}")), Some(a)),
            Err(_) => (
                (
                    Status::Fail,
                    format!("{at} {text:?} cannot be used: {}", problems.join("; ")),
                ),
                None,
            ),
        },
    }
}

/// The DMARC item: the policy receivers find for the domain, at enforcement or not.
pub fn dmarc(f: &BimiFacts) -> (Status, String) {
    let found = match &f.dmarc {
        Ok(Some(found)) => found,
        Ok(None) => {
            return (
                Status::Fail,
                format!(
                    "no DMARC record at _dmarc.{} or its organizational domain: receivers show \
                     a logo only for a domain whose DMARC policy is at enforcement",
                    f.domain
                ),
            )
        }
        Err(why) => return (Status::Unknown, format!("_dmarc.{}: {why}", f.domain)),
    };
    let mut owner = format!("_dmarc.{}", found.domain);
    if found.domain != f.domain {
        owner.push_str(&format!(" (the organizational domain's, for {})", f.domain));
    }
    let dmarc: Vec<&String> = found
        .txts
        .iter()
        .filter(|t| DmarcRecord::is_dmarc(t))
        .collect();
    match dmarc.as_slice() {
        [] => (
            Status::Fail,
            format!(
                "no DMARC record at {owner}: receivers show a logo only for a domain whose \
                 DMARC policy is at enforcement"
            ),
        ),
        [one] => {
            let shortfalls = bimi::dmarc_shortfalls(one);
            if shortfalls.is_empty() {
                (Status::Pass, format!("{owner}: {one} (at enforcement)"))
            } else {
                let what: Vec<String> = shortfalls.iter().map(ToString::to_string).collect();
                (
                    Status::Fail,
                    format!(
                        "{owner} {}: receivers show a logo only under p=quarantine (pct=100) or \
                         p=reject, with no sp=none and no t=y; `zonectl dmarc rollout {} next` \
                         moves it on",
                        what.join(", "),
                        found.domain
                    ),
                )
            }
        }
        many => (
            Status::Fail,
            format!(
                "{owner} holds {} DMARC records: receivers ignore them all; keep one",
                many.len()
            ),
        ),
    }
}

fn logo(f: &BimiFacts, assertion: Option<&Assertion>) -> (Status, String) {
    let location = assertion.and_then(|a| a.location.as_deref());
    let Some(read) = &f.logo else {
        return match (assertion, location) {
            (Some(a), None) if !a.declines() => (
                Status::Pass,
                "l= is empty: receivers show the logo in the certificate at a=".to_owned(),
            ),
            (_, Some(uri)) => (
                Status::Unknown,
                format!(
                    "not checked: give --logo FILE, a copy of what {uri} serves (zonectl \
                     fetches nothing)"
                ),
            ),
            _ => (
                Status::Unknown,
                "not checked: give --logo FILE, the SVG the record's l= will point to".to_owned(),
            ),
        };
    };
    let file = &f.logo_from;
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(why) => return (Status::Unknown, format!("{file}: {why}")),
    };
    let logo = bimi_logo::check(bytes);
    if !logo.valid() {
        return (
            Status::Fail,
            format!(
                "{file} is not SVG Tiny PS, so receivers show no logo: {}",
                joined(&logo.problems)
            ),
        );
    }
    let what = logo.summary();
    if logo.warnings.is_empty() {
        (Status::Pass, format!("{file}: {what}"))
    } else {
        (
            Status::Warn,
            format!("{file}: {what}; {}", joined(&logo.warnings)),
        )
    }
}

fn evidence(f: &BimiFacts, assertion: Option<&Assertion>) -> (Status, String) {
    let uri = assertion.and_then(|a| a.evidence.as_deref());
    let Some(read) = &f.evidence else {
        return match uri {
            Some(uri) => (
                Status::Unknown,
                format!(
                    "not checked: give --evidence FILE, a copy of what {uri} serves (zonectl \
                     fetches nothing)"
                ),
            ),
            None => (Status::Warn, NO_EVIDENCE.to_owned()),
        };
    };
    let file = &f.evidence_from;
    let pem = match read {
        Ok(pem) => pem,
        Err(why) => return (Status::Unknown, format!("{file}: {why}")),
    };
    let logo = f.logo.as_ref().and_then(|l| l.as_ref().ok());
    let e = match bimi_evidence::check(pem, &f.domain, f.now, logo.map(Vec::as_slice)) {
        Ok(e) => e,
        Err(why) => return (Status::Fail, format!("{file}: {why}")),
    };
    if !e.valid() {
        return (
            Status::Fail,
            format!(
                "{file}: receivers refuse this certificate: {}",
                joined(&e.problems)
            ),
        );
    }
    let mut what = format!("{file}: {}", bimi_evidence::describe(&e));
    if logo.is_some() {
        what.push_str(", carrying the logo file");
    }
    match (uri, e.warnings.is_empty()) {
        (None, _) => (
            Status::Warn,
            format!("{what}; but the record has no a= pointing to it: {NO_EVIDENCE}"),
        ),
        (Some(_), false) => (Status::Warn, format!("{what}; {}", joined(&e.warnings))),
        (Some(_), true) => (Status::Pass, what),
    }
}

/// Findings as one line: `first; second`.
fn joined<T: std::fmt::Display>(found: &[T]) -> String {
    found
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

const NO_EVIDENCE: &str = "no a=: Gmail and Apple Mail show a logo only with a mark certificate \
                           (VMC or CMC) at a=; other receivers, such as Yahoo and Fastmail, show \
                           it without one";

#[cfg(test)]
mod tests {
    use super::*;

    const LOGO_URI: &str = "https://apple.example/logo.svg";
    const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" \
                       baseProfile=\"tiny-ps\" viewBox=\"0 0 64 64\"><title>Apple</title></svg>";

    fn facts(record: &str, dmarc: &str, logo: Option<&str>) -> BimiFacts {
        BimiFacts {
            domain: "apple.example".into(),
            selector: "default".into(),
            record_owner: "default._bimi.apple.example".into(),
            record_txts: Ok(Txts {
                values: [record, "some other text"]
                    .iter()
                    .filter(|t| !t.is_empty())
                    .map(|t| t.to_string())
                    .collect(),
                via: None,
            }),
            dmarc: Ok(Some(DmarcFound {
                domain: "apple.example".into(),
                txts: vec![dmarc.to_owned()],
            })),
            logo: logo.map(|l| Ok(l.as_bytes().to_vec())),
            logo_from: "logo.svg".into(),
            evidence: None,
            evidence_from: String::new(),
            now: 1_796_000_000,
        }
    }

    fn statuses(r: &Readiness) -> Vec<(&'static str, Status)> {
        r.items.iter().map(|i| (i.check, i.status)).collect()
    }

    #[test]
    fn ready_when_every_piece_is_in_place() {
        let record = format!("v=BIMI1; l={LOGO_URI}; a=https://apple.example/vmc.pem");
        let r = check(&facts(&record, "v=DMARC1; p=reject", Some(SVG)));
        assert_eq!(
            statuses(&r),
            [
                ("record", Status::Pass),
                ("dmarc", Status::Pass),
                ("logo", Status::Pass),
                ("evidence", Status::Unknown),
            ]
        );
        assert_eq!(
            r.items[2].detail,
            "logo.svg: SVG Tiny PS, \"Apple\", 64 by 64, 122 bytes"
        );
        // The certificate a= names was not given: not checked, so not ready.
        assert_eq!(
            r.items[3].detail,
            "not checked: give --evidence FILE, a copy of what https://apple.example/vmc.pem \
             serves (zonectl fetches nothing)"
        );
        assert_eq!(r.unmet(), ["evidence unknown"]);
        // No certificate: a warning, still ready.
        let r = check(&facts(
            &format!("v=BIMI1; l={LOGO_URI}"),
            "v=DMARC1; p=quarantine",
            Some(SVG),
        ));
        assert_eq!(r.items[3].status, Status::Warn);
        assert!(r.ready());
    }

    #[test]
    fn each_missing_piece_is_named() {
        let record = format!("v=BIMI1; l={LOGO_URI}");
        // DMARC short of enforcement, in each way.
        for dmarc in [
            "v=DMARC1; p=none",
            "v=DMARC1; p=quarantine; pct=50",
            "v=DMARC1; p=reject; sp=none",
            "v=DMARC1; p=quarantine; t=y",
            "v=DMARC1; p=reject; t=y; pct=0",
            "",
        ] {
            let r = check(&facts(&record, dmarc, Some(SVG)));
            assert_eq!(r.items[1].status, Status::Fail, "{dmarc}");
            assert_eq!(r.unmet(), ["dmarc FAIL"], "{dmarc}");
        }
        // No record, two records, a declination, a record receivers cannot read.
        let mut two = facts(&record, "v=DMARC1; p=reject", Some(SVG));
        two.record_txts
            .as_mut()
            .unwrap()
            .values
            .push(record.clone());
        for (f, says) in [
            (
                facts("", "v=DMARC1; p=reject", Some(SVG)),
                "no BIMI record at default._bimi.apple.example",
            ),
            (two, "holds 2 BIMI records"),
            (
                facts("v=BIMI1; l=; a=", "v=DMARC1; p=reject", Some(SVG)),
                "declines (l= and a= empty)",
            ),
            (
                facts(
                    "v=BIMI1; l=http://apple.example/l.svg",
                    "v=DMARC1; p=reject",
                    Some(SVG),
                ),
                "only https: URIs are fetched",
            ),
        ] {
            let r = check(&f);
            assert_eq!(r.items[0].status, Status::Fail, "{says}");
            assert!(r.items[0].detail.contains(says), "{}", r.items[0].detail);
        }
        // A logo outside the profile fails; none given is unknown; one with warnings warns.
        let bad = SVG.replace("tiny-ps", "tiny");
        let r = check(&facts(&record, "v=DMARC1; p=reject", Some(&bad)));
        assert_eq!(r.unmet(), ["logo FAIL"]);
        assert!(r.items[2].detail.contains("baseProfile=\"tiny\""));
        let r = check(&facts(&record, "v=DMARC1; p=reject", None));
        assert_eq!(r.unmet(), ["logo unknown"]);
        assert!(r.items[2].detail.contains(LOGO_URI));
        let wide = SVG.replace("0 0 64 64", "0 0 64 32");
        let r = check(&facts(&record, "v=DMARC1; p=reject", Some(&wide)));
        assert_eq!(r.items[2].status, Status::Warn);
        assert!(r.ready());
    }

    #[test]
    fn a_record_that_declines_needs_no_logo_or_certificate() {
        let r = check(&facts("v=BIMI1; l=; a=", "v=DMARC1; p=reject", None));
        assert_eq!(r.unmet(), ["record FAIL"]);
        for item in &r.items[2..] {
            assert_eq!(
                (item.status, item.detail.as_str()),
                (
                    Status::Pass,
                    "not applicable: the record declines to show a logo"
                )
            );
        }
        // The organizational domain's record and policy, named as such.
        let mut f = facts("", "", Some(SVG));
        f.domain = "mail.apple.example".into();
        f.record_txts = Ok(Txts {
            values: vec![format!("v=BIMI1; l={LOGO_URI}")],
            via: None,
        });
        f.dmarc = Ok(Some(DmarcFound {
            domain: "apple.example".into(),
            txts: vec!["v=DMARC1; p=reject; sp=quarantine".into()],
        }));
        let r = check(&f);
        assert_eq!(
            r.items[0].detail,
            format!(
                "default._bimi.apple.example (the organizational domain's: mail.apple.example \
                 has none): v=BIMI1; l={LOGO_URI}"
            )
        );
        assert_eq!(
            r.items[1].detail,
            "_dmarc.apple.example (the organizational domain's, for mail.apple.example): \
             v=DMARC1; p=reject; sp=quarantine (at enforcement)"
        );
        f.dmarc = Ok(None);
        assert_eq!(
            check(&f).items[1].detail,
            "no DMARC record at _dmarc.mail.apple.example or its organizational domain: \
             receivers show a logo only for a domain whose DMARC policy is at enforcement"
        );
    }

    #[test]
    fn what_cannot_be_asked_or_read_is_unknown() {
        let mut f = facts("", "", None);
        f.record_txts = Err("not in a zone zonectl serves".into());
        f.dmarc = Err("timed out".into());
        f.logo = Some(Err("No such file or directory".into()));
        let r = check(&f);
        assert_eq!(
            r.unmet(),
            ["record unknown", "dmarc unknown", "logo unknown"]
        );
        assert_eq!(r.items[2].detail, "logo.svg: No such file or directory");
        // The logo in the certificate alone: nothing to check here.
        let r = check(&facts(
            "v=BIMI1; l=; a=https://apple.example/vmc.pem",
            "v=DMARC1; p=reject",
            None,
        ));
        assert_eq!(r.items[2].status, Status::Pass);
    }

    #[test]
    fn a_certificate_given_is_read() {
        const VMC: &[u8] = include_bytes!("../../tests/bimi/apple.example.vmc.pem");
        const SHIPPED: &[u8] = include_bytes!("../../logos/apple.example.svg");
        let record = format!("v=BIMI1; l={LOGO_URI}; a=https://apple.example/vmc.pem");
        let mut f = facts(&record, "v=DMARC1; p=reject", None);
        f.logo = Some(Ok(SHIPPED.to_vec()));
        f.evidence = Some(Ok(VMC.to_vec()));
        f.evidence_from = "vmc.pem".into();
        let r = check(&f);
        assert_eq!(r.items[3].status, Status::Pass, "{:?}", r.items[3]);
        assert_eq!(
            r.items[3].detail,
            "vmc.pem: a mark certificate (Registered Mark) for apple.example, valid until \
             2099-01-01 00:00:00 UTC, issued by CN=Test Mark Authority (not an MVA) (its chain \
             to a mark verifying authority is not checked here), carrying the logo file"
        );
        assert!(r.ready());
        // Another logo file: the certificate's is not it, which receivers that read the
        // certificate show instead.
        f.logo = Some(Ok(SVG.as_bytes().to_vec()));
        let r = check(&f);
        assert_eq!(r.items[3].status, Status::Warn);
        assert!(r.items[3].detail.contains("the logo file differs"));
        assert!(r.ready());
        // For another domain, or past its end.
        f.logo = None;
        f.domain = "orange.example".into();
        let r = check(&f);
        assert!(r.items[3]
            .detail
            .contains("orange.example is not among its names"));
        // Not a certificate at all.
        f.evidence = Some(Ok(b"hello".to_vec()));
        let r = check(&f);
        assert_eq!(r.items[3].status, Status::Fail);
        assert_eq!(
            r.items[3].detail,
            "vmc.pem: not a PEM certificate file: it holds no certificate"
        );
        // A good certificate the record does not point to: a warning.
        let mut f = facts(
            &format!("v=BIMI1; l={LOGO_URI}"),
            "v=DMARC1; p=reject",
            None,
        );
        f.evidence = Some(Ok(VMC.to_vec()));
        f.evidence_from = "vmc.pem".into();
        let r = check(&f);
        assert_eq!(r.items[3].status, Status::Warn);
        assert!(r.items[3].detail.contains("but the record has no a="));
    }
}
