//! The check of a published SPF record before any mail arrives: its syntax, one record per
//! name, and the lookup budget of RFC 7208 §4.6.4 counted as a tree through every `include:`
//! and `redirect=` (the worst case: every term evaluated), with the void lookups the data
//! shows and the MX limit. Errors make receivers return permerror; warnings are weak or
//! discouraged policy.
//!
//! Pure: DNS through the [`Resolver`] trait (zonectl's own zones first, see
//! [`super::resolve::ZoneResolver`]).

use serde::Serialize;

use super::eval::{
    fetch_record, name_from_text, name_text, txt_value, DnsAnswer, RecordLookup, Resolver,
    MAX_DNS_TERMS, MAX_MX_NAMES, MAX_VOID_LOOKUPS,
};
use super::record::{
    explain, DomainSpec, Mechanism, Modifier, Qualifier, SpfRecord, Term, TermKind,
};
use crate::zone::{Name, RType};

/// Deepest include/redirect nesting followed (the lookup limit is exceeded long before).
const MAX_DEPTH: usize = 12;

/// The outcome of [`check_record`].
#[derive(Debug, Clone, Serialize)]
pub struct SpfCheck {
    /// The name checked, without the trailing dot.
    pub name: String,
    /// The record and its includes, if there is exactly one record.
    pub tree: Option<RecordNode>,
    /// DNS-querying terms in the whole tree (limit 10).
    pub lookups: u32,
    /// Lookups the data shows will return nothing (limit 2).
    pub void_lookups: u32,
    /// The DMARC policy (`p=`) that covers the name, if one was found.
    pub dmarc_policy: Option<String>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl SpfCheck {
    /// Is the record fit to publish (no error)?
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// One SPF record in the tree.
#[derive(Debug, Clone, Serialize)]
pub struct RecordNode {
    /// The domain holding the record.
    pub domain: String,
    /// The record as published.
    pub record: String,
    pub terms: Vec<TermNode>,
    /// DNS-querying terms of this record and everything below it.
    pub lookups: u32,
}

/// One term of a record, with what it costs.
#[derive(Debug, Clone, Serialize)]
pub struct TermNode {
    pub text: String,
    /// What the term does.
    pub meaning: String,
    /// DNS-querying terms: 1 for this term if it queries DNS, plus its include's subtree.
    pub lookups: u32,
    /// A remark on this term (unresolved, void, ignored, macro).
    pub note: Option<String>,
    /// Why the record an include or redirect names could not be fetched, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
    /// The included or redirected-to record.
    pub child: Option<RecordNode>,
}

/// Checks the SPF record at `name`, following includes and redirects through `resolver`.
pub fn check_record(resolver: &dyn Resolver, name: &Name) -> SpfCheck {
    let text = name_text(name);
    let mut c = Checker {
        resolver,
        errors: Vec::new(),
        warnings: Vec::new(),
        voids: 0,
    };
    let dmarc_policy = dmarc_policy(resolver, name);
    let tree = match fetch_record(resolver, name) {
        RecordLookup::Found(value) => match SpfRecord::parse(&value) {
            Ok(record) => {
                c.policy_warnings(&record, dmarc_policy.as_deref());
                Some(c.node(
                    name,
                    &text,
                    &value,
                    &record,
                    &mut vec![text.to_ascii_lowercase()],
                ))
            }
            Err(e) => {
                c.errors.push(format!("{text}: {e}"));
                None
            }
        },
        RecordLookup::None(why) => {
            c.errors.push(format!("no SPF record: {why}"));
            None
        }
        RecordLookup::Multiple(n) => {
            c.errors.push(format!(
                "{text} has {n} v=spf1 records; receivers return permerror: merge them into one"
            ));
            None
        }
        RecordLookup::Unavailable(why) => {
            c.errors.push(format!("cannot read the record: {why}"));
            None
        }
    };
    let lookups = tree.as_ref().map_or(0, |t| t.lookups);
    if lookups > MAX_DNS_TERMS {
        c.errors.push(format!(
            "{lookups} DNS-querying terms (include a mx ptr exists redirect), over the limit of \
             {MAX_DNS_TERMS}: receivers return permerror; replace includes by ip4:/ip6: ranges \
             or drop unused ones"
        ));
    }
    if c.voids > MAX_VOID_LOOKUPS {
        c.errors.push(format!(
            "{} void lookups (names with no records), over the limit of {MAX_VOID_LOOKUPS}: \
             receivers return permerror",
            c.voids
        ));
    }
    SpfCheck {
        name: text,
        tree,
        lookups,
        void_lookups: c.voids,
        dmarc_policy,
        errors: c.errors,
        warnings: c.warnings,
    }
}

struct Checker<'r> {
    resolver: &'r dyn Resolver,
    errors: Vec<String>,
    warnings: Vec<String>,
    voids: u32,
}

impl Checker<'_> {
    /// Warnings about the top record's policy (not about records it includes, which commonly
    /// end without `all`).
    fn policy_warnings(&mut self, record: &SpfRecord, dmarc: Option<&str>) {
        let directives: Vec<(usize, &Term)> = record
            .terms
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t.kind, TermKind::Directive { .. }))
            .collect();
        let all = record.terms.iter().position(Term::is_all);
        match all.map(|i| &record.terms[i].kind) {
            Some(TermKind::Directive { qualifier, .. }) => {
                let strict = matches!(dmarc, Some("quarantine" | "reject"));
                match qualifier {
                    Qualifier::Pass => self.warnings.push(format!(
                        "{}: +all lets every host on the Internet pass SPF{}",
                        record.terms[all.unwrap_or(0)].text,
                        if strict {
                            format!(", defeating the DMARC policy p={}", dmarc.unwrap_or(""))
                        } else {
                            String::new()
                        }
                    )),
                    Qualifier::Neutral if strict => self.warnings.push(format!(
                        "?all gives unlisted hosts neutral, weaker than the DMARC policy p={}: \
                         use ~all or -all",
                        dmarc.unwrap_or("")
                    )),
                    _ => {}
                }
            }
            _ if record.redirect().is_none() => self.warnings.push(
                "no all mechanism and no redirect=: unlisted hosts get neutral; end the record \
                 with ~all or -all"
                    .into(),
            ),
            _ => {}
        }
        if let Some(i) = all {
            let after: Vec<&str> = directives
                .iter()
                .filter(|(k, _)| *k > i)
                .map(|(_, t)| t.text.as_str())
                .collect();
            if !after.is_empty() {
                self.warnings.push(format!(
                    "all is not the last mechanism: {} after it are never evaluated",
                    after.join(" ")
                ));
            }
            if record.redirect().is_some() {
                self.warnings
                    .push("redirect= is ignored because the record has all (RFC 7208 §6.1)".into());
            }
        }
        if let Some(r) = record.terms.iter().position(Term::is_redirect) {
            let after: Vec<&str> = record.terms[r + 1..]
                .iter()
                .map(|t| t.text.as_str())
                .collect();
            if !after.is_empty() {
                self.warnings.push(format!(
                    "terms after redirect= ({}): redirect= applies only when nothing matched; \
                     put it last",
                    after.join(" ")
                ));
            }
        }
    }

    /// The tree node of `record` (published at `name`, whose text is `domain`).
    fn node(
        &mut self,
        name: &Name,
        domain: &str,
        value: &[u8],
        record: &SpfRecord,
        stack: &mut Vec<String>,
    ) -> RecordNode {
        let mut terms = Vec::with_capacity(record.terms.len());
        for term in &record.terms {
            terms.push(self.term(name, domain, record, term, stack));
        }
        RecordNode {
            domain: domain.to_string(),
            record: String::from_utf8_lossy(value).into_owned(),
            lookups: terms.iter().map(|t| t.lookups).sum(),
            terms,
        }
    }

    fn term(
        &mut self,
        name: &Name,
        domain: &str,
        record: &SpfRecord,
        term: &Term,
        stack: &mut Vec<String>,
    ) -> TermNode {
        let mut node = TermNode {
            text: term.text.clone(),
            meaning: explain(term),
            lookups: u32::from(term.queries_dns()),
            note: None,
            unresolved: None,
            child: None,
        };
        match &term.kind {
            TermKind::Directive { mechanism, .. } => match mechanism {
                Mechanism::Include { domain: spec } => {
                    self.follow(&mut node, domain, "include", spec, stack);
                }
                Mechanism::A { domain: spec, .. } => {
                    if let Some(target) = self.literal_target(spec, name) {
                        let a = self.resolver.query(&target, RType::A);
                        let aaaa = self.resolver.query(&target, RType::AAAA);
                        if is_void(&a) && is_void(&aaaa) {
                            self.voids += 1;
                            node.note = Some(format!(
                                "void lookup: {} has no A or AAAA record, so this never matches",
                                name_text(&target)
                            ));
                        }
                    }
                }
                Mechanism::Mx { domain: spec, .. } => {
                    if let Some(target) = self.literal_target(spec, name) {
                        match self.resolver.query(&target, RType::MX) {
                            DnsAnswer::Records(mx) if mx.len() > MAX_MX_NAMES => {
                                self.errors.push(format!(
                                    "{domain}: {}: {} has {} MX records, over the limit of \
                                     {MAX_MX_NAMES}: receivers return permerror",
                                    term.text,
                                    name_text(&target),
                                    mx.len()
                                ));
                            }
                            a if is_void(&a) => {
                                self.voids += 1;
                                node.note = Some(format!(
                                    "void lookup: {} has no MX record, so this never matches",
                                    name_text(&target)
                                ));
                            }
                            _ => {}
                        }
                    }
                }
                Mechanism::Exists { domain: spec } => {
                    if let Some(target) = self.literal_target(&Some(spec.clone()), name) {
                        if is_void(&self.resolver.query(&target, RType::A)) {
                            self.voids += 1;
                            node.note = Some(format!(
                                "void lookup: {} has no A record, so this never matches",
                                name_text(&target)
                            ));
                        }
                    }
                }
                Mechanism::Ptr { .. } => {
                    self.warnings.push(format!(
                        "{domain}: {}: ptr is slow and unreliable and RFC 7208 §5.5 says not \
                         to use it; list the addresses with ip4:/ip6: or a:",
                        term.text
                    ));
                }
                Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
            },
            TermKind::Modifier(Modifier::Redirect { domain: spec }) => {
                if record.has_all() {
                    node.lookups = 0;
                    node.note = Some("ignored: the record has all".into());
                } else {
                    self.follow(&mut node, domain, "redirect", spec, stack);
                }
            }
            TermKind::Modifier(_) => {}
        }
        node
    }

    /// A mechanism's target when it has no macros: its domain-spec, else the current name.
    fn literal_target(&self, spec: &Option<DomainSpec>, current: &Name) -> Option<Name> {
        match spec {
            None => Some(current.clone()),
            Some(s) if s.has_macros() => None,
            Some(s) => name_from_text(s.text()),
        }
    }

    /// Follows an `include:` or `redirect=` to the record it names, adding it as `node`'s
    /// child; problems that make receivers return permerror are errors.
    fn follow(
        &mut self,
        node: &mut TermNode,
        domain: &str,
        what: &str,
        spec: &DomainSpec,
        stack: &mut Vec<String>,
    ) {
        if spec.has_macros() {
            node.note = Some(
                "the target depends on the message (macros): counted as 1, its own terms not \
                 counted"
                    .into(),
            );
            return;
        }
        let Some(target) = name_from_text(spec.text()) else {
            self.errors.push(format!(
                "{domain}: {}: '{}' is not a valid domain name",
                node.text,
                spec.text()
            ));
            return;
        };
        let target_text = name_text(&target);
        let key = target_text.to_ascii_lowercase();
        if stack.contains(&key) {
            self.errors.push(format!(
                "{domain}: {}: a loop ({} → {target_text}): receivers return permerror",
                node.text,
                stack.join(" → ")
            ));
            return;
        }
        if stack.len() >= MAX_DEPTH {
            node.note = Some("nested too deep to follow".into());
            return;
        }
        match fetch_record(self.resolver, &target) {
            RecordLookup::Found(value) => match SpfRecord::parse(&value) {
                Ok(record) => {
                    stack.push(key);
                    let child = self.node(&target, &target_text, &value, &record, stack);
                    stack.pop();
                    node.lookups += child.lookups;
                    node.child = Some(child);
                }
                Err(e) => self.errors.push(format!(
                    "{domain}: {}: the record at {target_text} is invalid ({e}): receivers \
                     return permerror",
                    node.text
                )),
            },
            RecordLookup::None(why) => self.errors.push(format!(
                "{domain}: {}: {why}; {what} to a name without an SPF record is a permerror",
                node.text
            )),
            RecordLookup::Multiple(n) => self.errors.push(format!(
                "{domain}: {}: {target_text} has {n} v=spf1 records: receivers return permerror",
                node.text
            )),
            RecordLookup::Unavailable(why) => {
                node.note = Some(format!("unresolved ({why}): counted as 1"));
                node.unresolved = Some(why.clone());
                self.warnings.push(format!(
                    "{domain}: {}: not resolved ({why}); its own lookups are not counted",
                    node.text
                ));
            }
        }
    }
}

fn is_void(a: &DnsAnswer) -> bool {
    match a {
        DnsAnswer::NxDomain | DnsAnswer::NoData => true,
        DnsAnswer::Records(r) => r.is_empty(),
        DnsAnswer::Unavailable(_) => false,
    }
}

/// The DMARC `p=` covering `name`: from `_dmarc.NAME`, else from the nearest parent that has
/// one (a stand-in for the organizational domain), stopping above two labels.
pub fn dmarc_policy(resolver: &dyn Resolver, name: &Name) -> Option<String> {
    let mut at = Some(name.clone());
    while let Some(n) = at {
        if n.label_count() < 2 {
            break;
        }
        if let Ok(q) = n.prepend_label(b"_dmarc") {
            if let DnsAnswer::Records(rds) = resolver.query(&q, RType::TXT) {
                for rd in rds {
                    let Some(v) = txt_value(&rd) else { continue };
                    let text = String::from_utf8_lossy(&v);
                    let mut tags = text.split(';').map(str::trim);
                    if !tags
                        .next()
                        .is_some_and(|t| t.replace(' ', "").eq_ignore_ascii_case("v=DMARC1"))
                    {
                        continue;
                    }
                    let policy = tags.find_map(|t| {
                        let (k, v) = t.split_once('=')?;
                        (k.trim().eq_ignore_ascii_case("p")).then(|| v.trim().to_ascii_lowercase())
                    });
                    if policy.is_some() {
                        return policy;
                    }
                }
            }
        }
        at = n.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spf::eval::tests::MapResolver;

    fn check(r: &MapResolver, name: &str) -> SpfCheck {
        check_record(r, &name_from_text(name).unwrap())
    }

    #[test]
    fn counts_through_includes_and_redirects() {
        let r = MapResolver::default()
            .txt(
                "example.com",
                &["v=spf1 a mx include:_spf.example.net redirect=r.example.org"],
            )
            .a("example.com", &["192.0.2.1"])
            .mx("example.com", &["mail.example.com"])
            .txt(
                "_spf.example.net",
                &["v=spf1 include:deep.example.net ip4:192.0.2.0/24 ~all"],
            )
            .txt(
                "deep.example.net",
                &["v=spf1 exists:%{i}.x.example.net -all"],
            )
            .txt("r.example.org", &["v=spf1 a:host.example.org -all"])
            .a("host.example.org", &["192.0.2.7"]);
        let c = check(&r, "example.com");
        assert!(c.is_ok(), "{:?}", c.errors);
        // a, mx, include(1 + include(1 + exists)), redirect(1 + a)
        assert_eq!(c.lookups, 2 + 3 + 2);
        let tree = c.tree.unwrap();
        assert_eq!(tree.terms[2].lookups, 3);
        assert_eq!(tree.terms[2].child.as_ref().unwrap().lookups, 2);
        assert_eq!(tree.terms[3].lookups, 2);
        assert_eq!(c.void_lookups, 0);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn over_the_limits() {
        let many: Vec<String> = (0..6)
            .map(|i| format!("include:i{i}.example.net"))
            .collect();
        let mut r = MapResolver::default()
            .txt("example.com", &[&format!("v=spf1 {} -all", many.join(" "))]);
        for i in 0..6 {
            r = r.txt(
                &format!("i{i}.example.net"),
                &["v=spf1 a:h.example.net ~all"],
            );
        }
        r = r.a("h.example.net", &["192.0.2.1"]);
        let c = check(&r, "example.com");
        assert_eq!(c.lookups, 12);
        assert!(
            c.errors.iter().any(|e| e.contains("12 DNS-querying terms")),
            "{:?}",
            c.errors
        );

        let r = MapResolver::default().txt(
            "v.example",
            &["v=spf1 a:n1.v.example a:n2.v.example mx:n3.v.example -all"],
        );
        let c = check(&r, "v.example");
        assert_eq!(c.void_lookups, 3);
        assert!(
            c.errors.iter().any(|e| e.contains("3 void lookups")),
            "{:?}",
            c.errors
        );

        let hosts: Vec<String> = (0..11).map(|i| format!("mx{i}.m.example")).collect();
        let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
        let r = MapResolver::default()
            .txt("m.example", &["v=spf1 mx -all"])
            .mx("m.example", &hosts);
        let c = check(&r, "m.example");
        assert!(
            c.errors.iter().any(|e| e.contains("11 MX records")),
            "{:?}",
            c.errors
        );
    }

    #[test]
    fn broken_records_and_includes() {
        let r = MapResolver::default()
            .txt("two.example", &["v=spf1 -all", "v=spf1 ~all"])
            .txt("bad.example", &["v=spf1 ip4:192.0.2.300 -all"])
            .txt(
                "inc.example",
                &["v=spf1 include:none.example include:bad.example -all"],
            )
            .txt("loop.example", &["v=spf1 include:loop2.example -all"])
            .txt("loop2.example", &["v=spf1 include:loop.example -all"])
            .txt("far.example", &["v=spf1 include:x.far.example -all"])
            .answer(
                "x.far.example",
                RType::TXT,
                DnsAnswer::Unavailable("not served".into()),
            );
        assert!(check(&r, "two.example").errors[0].contains("2 v=spf1 records"));
        assert!(check(&r, "bad.example").errors[0].contains("not an IPv4 address"));
        assert!(check(&r, "nothing.example").errors[0].contains("no SPF record"));
        let inc = check(&r, "inc.example");
        assert_eq!(inc.errors.len(), 2, "{:?}", inc.errors);
        assert!(check(&r, "loop.example").errors[0].contains("loop"));
        let far = check(&r, "far.example");
        assert!(far.is_ok());
        assert_eq!(far.lookups, 1);
        assert!(
            far.warnings[0].contains("not resolved"),
            "{:?}",
            far.warnings
        );
    }

    #[test]
    fn policy_warnings() {
        let r = MapResolver::default()
            .txt("p.example", &["v=spf1 +all"])
            .txt("n.example", &["v=spf1 a ?all"])
            .a("n.example", &["192.0.2.1"])
            .txt(
                "_dmarc.n.example",
                &["v=DMARC1; p=reject; rua=mailto:d@n.example"],
            )
            .txt("m.example", &["v=spf1 ip4:192.0.2.1"])
            .txt(
                "o.example",
                &["v=spf1 -all ip4:192.0.2.1 redirect=p.example"],
            )
            .txt("r.example", &["v=spf1 redirect=p.example ip4:192.0.2.1"])
            .txt("ptr.example", &["v=spf1 ptr -all"]);
        let w = |n: &str| check(&r, n).warnings.join("\n");
        assert!(w("p.example").contains("+all"));
        assert!(w("n.example").contains("p=reject"));
        assert!(w("m.example").contains("no all mechanism"));
        let o = w("o.example");
        assert!(
            o.contains("not the last") && o.contains("redirect= is ignored"),
            "{o}"
        );
        assert!(w("r.example").contains("terms after redirect="));
        assert!(w("ptr.example").contains("ptr is slow"));
        assert_eq!(
            check(&r, "n.example").dmarc_policy.as_deref(),
            Some("reject")
        );
    }
}
