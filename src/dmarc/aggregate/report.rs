//! One aggregate report read from its XML: the reporter, the period, the policy the reporter
//! found published, and a row per source IP and set of results (RFC 7489 appendix C; RFC
//! 9990's schema adds `np`, `testing`, `discovery_method` and a `<version>`, read alike).
//!
//! Values are compared without case (`Pass` is `pass`, as parsedmarc reads it). A record that
//! cannot be counted (no `<count>`, or not a number) is left out and said so in
//! [`Report::problems`]; the rest of the report is still read.
//!
//! Pure: imports only [`super::xml`] and [`crate::container::printable`].

use super::xml::Element;
use crate::container::printable;

/// One `<feedback>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub org_name: String,
    pub email: String,
    pub report_id: String,
    /// The period, in UNIX seconds (`<date_range>`), when given as numbers.
    pub begin: Option<i64>,
    pub end: Option<i64>,
    /// The policy domain (`<policy_published><domain>`), lower-cased, without a final dot.
    pub domain: String,
    /// The published policy's tags, as the reporter saw them, in DMARC record order: `p`,
    /// `sp`, `np`, `pct`, `t`, `adkim`, `aspf`, `fo` (RFC 9990's `<testing>` is `t`).
    pub published: Vec<(&'static str, String)>,
    pub rows: Vec<Row>,
    /// What the reporter said went wrong (`<report_metadata><error>`).
    pub errors: Vec<String>,
    /// What could not be read and was left out.
    pub problems: Vec<String>,
}

/// One `<record>`: messages from one source with the same results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub source_ip: String,
    pub count: u64,
    /// What the receiver did (`none`, `quarantine`, `reject`); empty if not said.
    pub disposition: String,
    /// DMARC's own verdicts: DKIM and SPF passed *and aligned* with the From domain.
    pub dkim_aligned: bool,
    pub spf_aligned: bool,
    /// Why the receiver applied something else than the policy (`forwarded`,
    /// `mailing_list`, `local_policy`, …), each with its comment.
    pub overrides: Vec<(String, String)>,
    pub header_from: String,
    /// The raw DKIM and SPF results (`<auth_results>`), aligned or not.
    pub dkim: Vec<AuthResult>,
    pub spf: Vec<AuthResult>,
}

impl Row {
    /// DMARC passes when DKIM or SPF passed aligned (RFC 7489 §4.2).
    pub fn passes(&self) -> bool {
        self.dkim_aligned || self.spf_aligned
    }
}

/// One DKIM signature's or SPF check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResult {
    pub domain: String,
    /// DKIM: the selector; SPF: the scope (`mfrom`, `helo`); empty if not given.
    pub detail: String,
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("not a DMARC aggregate report: no <feedback> element")]
    NoFeedback,
    #[error("the report names no policy domain (<policy_published><domain>)")]
    NoDomain,
}

/// Every report (`<feedback>` element) in an XML document's tree, or why there is none.
pub fn reports(root: &Element) -> Result<Vec<Result<Report, ReportError>>, ReportError> {
    let mut found = Vec::new();
    if root.name == "feedback" {
        found.push(root);
    } else {
        root.find_all("feedback", &mut found);
    }
    if found.is_empty() {
        return Err(ReportError::NoFeedback);
    }
    Ok(found.into_iter().map(report).collect())
}

/// The last UNIX second taken for a report's time: 9999-12-31T23:59:59Z. A larger number is
/// milliseconds or garbage, and would make every other report look old.
const LAST_TIME: i64 = 253_402_300_799;

/// One `<feedback>` element.
pub fn report(feedback: &Element) -> Result<Report, ReportError> {
    let empty = Element::default();
    let meta = feedback.child("report_metadata").unwrap_or(&empty);
    let policy = feedback.child("policy_published").unwrap_or(&empty);
    let domain = policy
        .child_text("domain")
        .map(|d| lower(Some(d.trim_end_matches('.'))))
        .filter(|d| !d.is_empty())
        .ok_or(ReportError::NoDomain)?;
    let range = meta.child("date_range").unwrap_or(&empty);
    let mut problems = Vec::new();
    let mut time = |name: &str| {
        let value = range.child_text(name)?;
        // Some reporters (163.com) write `1337270400.0`.
        let whole = match value.split_once('.') {
            Some((whole, fraction)) if fraction.bytes().all(|b| b.is_ascii_digit()) => whole,
            _ => value,
        };
        match whole.parse::<i64>() {
            Ok(t) if (0..=LAST_TIME).contains(&t) => Some(t),
            _ => {
                problems.push(format!(
                    "<date_range><{name}> {:?} is not a time in UNIX seconds: the period is \
                     not known",
                    text(Some(value))
                ));
                None
            }
        }
    };
    let (begin, end) = (time("begin"), time("end"));
    let published = [
        ("p", "p"),
        ("sp", "sp"),
        ("np", "np"),
        ("pct", "pct"),
        ("t", "testing"),
        ("adkim", "adkim"),
        ("aspf", "aspf"),
        ("fo", "fo"),
    ]
    .into_iter()
    .filter_map(|(tag, element)| Some((tag, lower(Some(policy.child_text(element)?)))))
    .collect();
    let mut rows = Vec::new();
    for (i, record) in feedback.children_named("record").enumerate() {
        match row(record) {
            Ok(r) => rows.push(r),
            Err(why) => problems.push(format!("record {}: {why}: left out", i + 1)),
        }
    }
    let email = text(meta.child_text("email"));
    // A report without an org_name is named by its email address's domain, as parsedmarc does.
    let org_name = match meta.child_text("org_name") {
        Some(name) => text(Some(name)),
        None => lower(email.rsplit_once('@').map(|(_, domain)| domain)),
    };
    Ok(Report {
        org_name,
        email,
        report_id: text(meta.child_text("report_id")),
        begin,
        end,
        domain,
        published,
        rows,
        errors: meta
            .children_named("error")
            .map(|e| text(Some(e.text.trim())))
            .filter(|e| !e.is_empty())
            .collect(),
        problems,
    })
}

/// A value as printable text (see [`printable`]).
fn text(value: Option<&str>) -> String {
    printable(value.unwrap_or_default())
}

fn lower(value: Option<&str>) -> String {
    text(value).to_ascii_lowercase()
}

fn row(record: &Element) -> Result<Row, String> {
    let empty = Element::default();
    let row = record.child("row").unwrap_or(&empty);
    let source_ip = text(row.child_text("source_ip"));
    let count = match row.child_text("count") {
        None => return Err(format!("no <count> (source {source_ip:?})")),
        Some(c) => c
            .parse()
            .map_err(|_| format!("<count> {c:?} is not a number (source {source_ip:?})"))?,
    };
    let evaluated = row.child("policy_evaluated").unwrap_or(&empty);
    let ids = record.child("identifiers").unwrap_or(&empty);
    let auth = record.child("auth_results").unwrap_or(&empty);
    let results = |name: &str, detail: &str| {
        auth.children_named(name)
            .map(|r| AuthResult {
                domain: lower(r.child_text("domain")),
                detail: text(r.child_text(detail)),
                result: lower(r.child_text("result")),
            })
            .collect()
    };
    Ok(Row {
        source_ip,
        count,
        disposition: lower(evaluated.child_text("disposition")),
        dkim_aligned: lower(evaluated.child_text("dkim")) == "pass",
        spf_aligned: lower(evaluated.child_text("spf")) == "pass",
        overrides: evaluated
            .children_named("reason")
            .map(|r| (lower(r.child_text("type")), text(r.child_text("comment"))))
            .filter(|(kind, _)| !kind.is_empty())
            .collect(),
        header_from: lower(ids.child_text("header_from")),
        dkim: results("dkim", "selector"),
        spf: results("spf", "scope"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::xml;
    use super::*;

    fn read(doc: &str) -> Report {
        let mut all = reports(&xml::parse(doc.as_bytes()).unwrap()).unwrap();
        assert_eq!(all.len(), 1);
        all.remove(0).unwrap()
    }

    const RFC9990: &str = r#"<?xml version="1.0"?>
<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">
  <version>1.0</version>
  <report_metadata>
    <org_name>example.net</org_name>
    <email>postmaster@example.net</email>
    <report_id>r-1</report_id>
    <date_range><begin>1700000000</begin><end>1700086399</end></date_range>
    <error>one policy record was ignored</error>
  </report_metadata>
  <policy_published>
    <domain>Example.COM.</domain>
    <p>reject</p><sp>quarantine</sp><np>reject</np>
    <testing>y</testing><discovery_method>treewalk</discovery_method>
    <adkim>s</adkim><aspf>r</aspf>
  </policy_published>
  <record>
    <row>
      <source_ip>203.0.113.10</source_ip>
      <count>2</count>
      <policy_evaluated>
        <disposition>Reject</disposition><dkim>fail</dkim><spf>Pass</spf>
        <reason><type>mailing_list</type><comment>list.example.org</comment></reason>
      </policy_evaluated>
    </row>
    <identifiers>
      <envelope_from>list.example.org</envelope_from>
      <header_from>example.com</header_from>
    </identifiers>
    <auth_results>
      <dkim><domain>example.com</domain><selector>s1</selector><result>fail</result></dkim>
      <dkim><domain>list.example.org</domain><result>pass</result></dkim>
      <spf><domain>list.example.org</domain><scope>mfrom</scope><result>pass</result></spf>
    </auth_results>
  </record>
</feedback>"#;

    #[test]
    fn every_part_of_a_report_is_read() {
        let r = read(RFC9990);
        assert_eq!(r.org_name, "example.net");
        assert_eq!(r.report_id, "r-1");
        assert_eq!((r.begin, r.end), (Some(1_700_000_000), Some(1_700_086_399)));
        assert_eq!(r.domain, "example.com");
        assert_eq!(
            r.published,
            [
                ("p", "reject".to_string()),
                ("sp", "quarantine".into()),
                ("np", "reject".into()),
                ("t", "y".into()),
                ("adkim", "s".into()),
                ("aspf", "r".into())
            ]
        );
        assert_eq!(r.errors, ["one policy record was ignored"]);
        let row = &r.rows[0];
        assert_eq!((row.source_ip.as_str(), row.count), ("203.0.113.10", 2));
        assert_eq!(row.disposition, "reject");
        assert!(!row.dkim_aligned && row.spf_aligned && row.passes());
        assert_eq!(
            row.overrides,
            [("mailing_list".to_string(), "list.example.org".to_string())]
        );
        assert_eq!(row.header_from, "example.com");
        assert_eq!(row.dkim.len(), 2);
        assert_eq!(
            row.dkim[0],
            AuthResult {
                domain: "example.com".into(),
                detail: "s1".into(),
                result: "fail".into()
            }
        );
        assert_eq!(row.dkim[1].detail, "");
        assert_eq!(row.spf[0].detail, "mfrom");
        assert!(r.problems.is_empty());
    }

    #[test]
    fn a_record_that_cannot_be_counted_is_left_out_and_said() {
        let doc = RFC9990
            .replace("<count>2</count>", "<count>two</count>")
            .replace("</feedback>", "<record><row><source_ip>192.0.2.1</source_ip></row></record><record><row><count>7</count></row></record></feedback>");
        let r = read(&doc);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.rows[0].count, 7);
        assert_eq!(
            r.problems,
            [
                "record 1: <count> \"two\" is not a number (source \"203.0.113.10\"): left out",
                "record 2: no <count> (source \"192.0.2.1\"): left out"
            ]
        );
    }

    #[test]
    fn a_time_with_a_fraction_is_read_and_a_missing_reporter_named_by_its_email() {
        let doc = RFC9990
            .replace("<begin>1700000000</begin>", "<begin>1700000000.0</begin>")
            .replace("<org_name>example.net</org_name>", "<org_name></org_name>")
            .replace("postmaster@example.net", "Admin@Reports.Example.NET");
        let r = read(&doc);
        assert_eq!(r.begin, Some(1_700_000_000));
        assert_eq!(r.org_name, "reports.example.net");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn a_time_in_milliseconds_and_control_characters_are_not_taken() {
        let doc = RFC9990
            .replace("<end>1700086399</end>", "<end>1700086399000</end>")
            .replace(
                "<org_name>example.net</org_name>",
                "<org_name>evil\u{1b}[2J</org_name>",
            );
        let r = read(&doc);
        assert_eq!((r.begin, r.end), (Some(1_700_000_000), None));
        assert_eq!(
            r.problems,
            [
                "<date_range><end> \"1700086399000\" is not a time in UNIX seconds: the period is \
              not known"
            ]
        );
        assert_eq!(r.org_name, "evil\u{FFFD}[2J");
    }

    #[test]
    fn without_policy_evaluated_a_row_does_not_pass() {
        let doc = RFC9990.replace(
            &RFC9990[RFC9990.find("<policy_evaluated>").unwrap()
                ..RFC9990.find("</policy_evaluated>").unwrap() + 19],
            "",
        );
        let r = read(&doc);
        assert!(!r.rows[0].passes());
        assert_eq!(r.rows[0].disposition, "");
    }

    #[test]
    fn what_is_not_a_report_says_so() {
        assert_eq!(
            reports(&xml::parse(b"<html><body>hi</body></html>").unwrap()),
            Err(ReportError::NoFeedback)
        );
        let no_domain = reports(&xml::parse(b"<feedback><record/></feedback>").unwrap()).unwrap();
        assert_eq!(no_domain, [Err(ReportError::NoDomain)]);
    }
}
