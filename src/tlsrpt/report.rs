//! One SMTP TLS report read from its JSON (RFC 8460 §4): the reporter, the period, and per
//! policy the sending MTAs applied (MTA-STS, DANE, or none found), how many SMTP sessions
//! negotiated TLS and how many failed, and why.
//!
//! Required fields are those parsedmarc requires too, so that both agree on what is a report;
//! a missing `contact-info` or a period that is not an RFC 3339 time is said in
//! [`Report::problems`] and the rest is still read. Counts may be JSON numbers or strings of
//! digits (some reporters quote them).
//!
//! Pure: imports `serde_json` and [`crate::container::printable`].

use serde_json::{Map, Value};

use crate::container::printable;
use crate::zone::civil::days_from_civil;

/// One report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub org_name: String,
    pub contact: String,
    pub report_id: String,
    /// The period (`date-range`), in UNIX seconds.
    pub begin: Option<i64>,
    pub end: Option<i64>,
    pub policies: Vec<Policy>,
    /// What could not be read and was left out, or is missing but not needed.
    pub problems: Vec<String>,
}

/// What a sending MTA found for the recipient domain (RFC 8460 §4.3 `policy-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyType {
    Sts,
    Tlsa,
    NoPolicyFound,
}

impl PolicyType {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Sts => "sts",
            PolicyType::Tlsa => "tlsa",
            PolicyType::NoPolicyFound => "no-policy-found",
        }
    }

    fn parse(text: &str) -> Option<PolicyType> {
        match text {
            "sts" => Some(PolicyType::Sts),
            "tlsa" => Some(PolicyType::Tlsa),
            "no-policy-found" => Some(PolicyType::NoPolicyFound),
            _ => None,
        }
    }
}

/// One entry of `policies`: the sessions to one policy domain under one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub kind: PolicyType,
    /// `policy-domain`, lower-cased, without a final dot.
    pub domain: String,
    /// `policy-string`: the MTA-STS policy's lines, or the TLSA records, as the sender saw them.
    pub strings: Vec<String>,
    /// `mx-host` (MTA-STS's `mx` patterns).
    pub mx_hosts: Vec<String>,
    pub successful: u64,
    pub failed: u64,
    pub failures: Vec<Failure>,
}

impl Policy {
    /// The MTA-STS policy's `mode` (`enforce`, `testing`, `none`), from its `policy-string`.
    pub fn sts_mode(&self) -> Option<&str> {
        if self.kind != PolicyType::Sts {
            return None;
        }
        self.strings.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "mode").then(|| value.trim())
        })
    }
}

/// One entry of `failure-details`: sessions that failed alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `result-type` (RFC 8460 §4.3): `starttls-not-supported`, `certificate-expired`,
    /// `sts-policy-fetch-error`, `tlsa-invalid`, …
    pub result: String,
    pub sending_ip: String,
    pub receiving_mx: String,
    pub receiving_ip: String,
    pub reason_code: String,
    pub sessions: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("JSON that cannot be read: {0}")]
    Json(String),
    #[error("JSON with more than {MAX_OBJECTS} objects or {MAX_VALUES} values: not read (a report is far smaller)")]
    TooLarge,
    #[error(
        "JSON, but not an SMTP TLS report (RFC 8460): it has no organization-name and policies"
    )]
    NotTlsReport,
    #[error("not a usable SMTP TLS report: {0}")]
    Invalid(String),
}

/// The most JSON objects a document may hold: a report has one per policy and per failure
/// detail, a few thousand at most. A JSON object costs hundreds of bytes once read, so this
/// and [`MAX_VALUES`] keep a hostile document (64 MiB of `{"":0},`) to about 100 MB.
pub const MAX_OBJECTS: usize = 100_000;

/// The most JSON values (counted by `{`, `[`, `,` and `:` outside strings) a document may hold.
pub const MAX_VALUES: usize = 1_000_000;

/// The report in a JSON document.
pub fn parse(json: &[u8]) -> Result<Report, ReportError> {
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    within_caps(json)?;
    // Invalid UTF-8 is read as U+FFFD, as the XML reader and parsedmarc do.
    let value: Value = serde_json::from_str(&String::from_utf8_lossy(json))
        .map_err(|e| ReportError::Json(e.to_string()))?;
    let Some(top) = value.as_object() else {
        return Err(ReportError::NotTlsReport);
    };
    if !top.contains_key("organization-name") && !top.contains_key("policies") {
        return Err(ReportError::NotTlsReport);
    }
    let invalid = |why: String| ReportError::Invalid(why);
    let mut problems = Vec::new();
    let org_name = string(top, "organization-name")
        .ok_or_else(|| invalid("organization-name is missing or not a string".into()))?;
    let report_id = string(top, "report-id")
        .ok_or_else(|| invalid("report-id is missing or not a string".into()))?;
    let contact = string(top, "contact-info").unwrap_or_else(|| {
        problems.push("contact-info is missing (RFC 8460 §4.4 requires it)".into());
        String::new()
    });
    let range = top
        .get("date-range")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("date-range is missing".into()))?;
    let mut time = |name: &str| -> Result<Option<i64>, ReportError> {
        let value = range
            .get(name)
            .ok_or_else(|| invalid(format!("date-range has no {name}")))?;
        let parsed = value.as_str().and_then(parse_date_time);
        if parsed.is_none() {
            problems.push(format!(
                "date-range {name} {} is not an RFC 3339 time: the period is not known",
                printable(&value.to_string())
            ));
        }
        Ok(parsed)
    };
    let (begin, end) = (time("start-datetime")?, time("end-datetime")?);
    let list = top
        .get("policies")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("policies is missing or not a list".into()))?;
    let policies = list
        .iter()
        .enumerate()
        .map(|(i, p)| policy(p).map_err(|why| invalid(format!("policy {}: {why}", i + 1))))
        .collect::<Result<Vec<Policy>, _>>()?;
    for (i, p) in policies.iter().enumerate() {
        let detailed = p
            .failures
            .iter()
            .fold(0u64, |n, f| n.saturating_add(f.sessions));
        if detailed > p.failed {
            problems.push(format!(
                "policy {}: its failure-details count {detailed} failed sessions, more than its \
                 total-failure-session-count {}",
                i + 1,
                p.failed
            ));
        }
    }
    Ok(Report {
        org_name,
        contact,
        report_id,
        begin,
        end,
        policies,
        problems,
    })
}

/// Refuses a document over [`MAX_OBJECTS`] or [`MAX_VALUES`], before it is read into memory.
fn within_caps(json: &[u8]) -> Result<(), ReportError> {
    let (mut objects, mut values) = (0, 0);
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' => {
                objects += 1;
                values += 1;
            }
            b'[' | b',' | b':' => values += 1,
            _ => {}
        }
        if objects > MAX_OBJECTS || values > MAX_VALUES {
            return Err(ReportError::TooLarge);
        }
    }
    Ok(())
}

fn policy(value: &Value) -> Result<Policy, String> {
    let entry = value.as_object().ok_or("not an object")?;
    let policy = entry
        .get("policy")
        .and_then(Value::as_object)
        .ok_or("policy is missing")?;
    let kind_text = string(policy, "policy-type").ok_or("policy-type is missing")?;
    let kind = PolicyType::parse(&kind_text).ok_or_else(|| {
        format!("policy-type {kind_text:?} is none of sts, tlsa and no-policy-found")
    })?;
    let domain = string(policy, "policy-domain")
        .map(|d| d.trim_end_matches('.').to_lowercase())
        .filter(|d| !d.is_empty())
        .ok_or("policy-domain is missing")?;
    let summary = entry
        .get("summary")
        .and_then(Value::as_object)
        .ok_or("summary is missing")?;
    let successful = count(summary, "total-successful-session-count")?;
    let failed = count(summary, "total-failure-session-count")?;
    let failures = match entry.get("failure-details") {
        // parsedmarc refuses null, and reads {} as no details; both mean none here.
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(o)) if o.is_empty() => Vec::new(),
        Some(Value::Array(details)) => details
            .iter()
            .enumerate()
            .map(|(i, d)| failure(d).map_err(|why| format!("failure-details {}: {why}", i + 1)))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("failure-details is not a list".into()),
    };
    // RFC 8460 §4.4 names it `mx-host`; some reporters write the schema's `mx-host-pattern`.
    let mx_hosts = strings(
        policy
            .get("mx-host")
            .or_else(|| policy.get("mx-host-pattern")),
    );
    Ok(Policy {
        kind,
        domain,
        strings: lines(policy.get("policy-string")),
        mx_hosts,
        successful,
        failed,
        failures,
    })
}

fn failure(value: &Value) -> Result<Failure, String> {
    let detail = value.as_object().ok_or("not an object")?;
    let field = |name: &str| string(detail, name).unwrap_or_default();
    Ok(Failure {
        result: string(detail, "result-type")
            .map(|r| r.to_lowercase())
            .ok_or("result-type is missing")?,
        sending_ip: field("sending-mta-ip"),
        receiving_mx: field("receiving-mx-hostname")
            .trim_end_matches('.')
            .to_lowercase(),
        receiving_ip: field("receiving-ip"),
        reason_code: field("failure-reason-code"),
        sessions: count(detail, "failed-session-count")?,
    })
}

/// A string field as printable text; None if missing or not a string.
fn string(object: &Map<String, Value>, name: &str) -> Option<String> {
    object.get(name)?.as_str().map(printable)
}

/// A string or a list of strings (the rest left out), as printable text.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![printable(s)],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(printable)
            .collect(),
        _ => Vec::new(),
    }
}

/// A policy string: a list of lines, or one string of lines (some reporters send the policy
/// file as it is), each line trimmed of its `\r` and spaces before it is made printable.
fn lines(value: Option<&Value>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    raw.iter()
        .flat_map(|s| s.split(['\r', '\n']))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(printable)
        .collect()
}

/// A session count: a non-negative integer, or a string of digits.
fn count(object: &Map<String, Value>, name: &str) -> Result<u64, String> {
    let value = object
        .get(name)
        .ok_or_else(|| format!("{name} is missing"))?;
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    };
    n.ok_or_else(|| format!("{name} {} is not a count", printable(&value.to_string())))
}

/// RFC 3339 `2026-11-29T00:00:00Z`, with fractional seconds or a `±hh:mm` offset too.
pub fn parse_date_time(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(s).ok()?.parse().ok())
            .flatten()
    };
    let separators = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !separators {
        return None;
    }
    let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (h, mi, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    // A leap second (`23:59:60`) is read as the next second, as RFC 3339 §5.7 allows.
    let leap = s == 60 && h == 23 && mi == 59;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || (s > 59 && !leap) {
        return None;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &fraction[n..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hh = digits_of(&[*h1, *h2])?;
            let mm = digits_of(&[*m1, *m2])?;
            if hh > 23 || mm > 59 {
                return None;
            }
            let minutes = hh * 60 + mm;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    if crate::zone::civil::civil_from_days(days) != (y, mo, d) {
        return None;
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

fn digits_of(pair: &[u8; 2]) -> Option<i64> {
    pair.iter()
        .all(u8::is_ascii_digit)
        .then(|| i64::from(pair[0] - b'0') * 10 + i64::from(pair[1] - b'0'))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// RFC 8460 §4.4's example, as printed there (with `mx-host` and three failure kinds).
    pub(crate) const RFC_EXAMPLE: &str = r#"{
     "organization-name": "Company-X",
     "date-range": {
       "start-datetime": "2016-04-01T00:00:00Z",
       "end-datetime": "2016-04-01T23:59:59Z"
     },
     "contact-info": "sts-reporting@company-x.example",
     "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
     "policies": [{
       "policy": {
         "policy-type": "sts",
         "policy-string": ["version: STSv1","mode: testing",
               "mx: *.mail.company-y.example","max_age: 86400"],
         "policy-domain": "company-y.example",
         "mx-host": "*.mail.company-y.example"
       },
       "summary": {
         "total-successful-session-count": 5326,
         "total-failure-session-count": 303
       },
       "failure-details": [{
         "result-type": "certificate-expired",
         "sending-mta-ip": "2001:db8:abcd:0012::1",
         "receiving-mx-hostname": "mx1.mail.company-y.example",
         "failed-session-count": 100
       }, {
         "result-type": "starttls-not-supported",
         "sending-mta-ip": "2001:db8:abcd:0013::1",
         "receiving-mx-hostname": "mx2.mail.company-y.example",
         "receiving-ip": "203.0.113.56",
         "failed-session-count": 200,
         "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported"
       }, {
         "result-type": "validation-failure",
         "sending-mta-ip": "198.51.100.62",
         "receiving-ip": "203.0.113.58",
         "receiving-mx-hostname": "mx-backup.mail.company-y.example",
         "failed-session-count": 3,
         "failure-reason-code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
       }]
     }]
   }"#;

    #[test]
    fn the_rfc_example_is_read_whole() {
        let r = parse(RFC_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(r.org_name, "Company-X");
        assert_eq!(r.report_id, "5065427c-23d3-47ca-b6e0-946ea0e8c4be");
        assert_eq!(r.begin, Some(1_459_468_800));
        assert_eq!(r.end, Some(1_459_468_800 + 86_399));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let p = &r.policies[0];
        assert_eq!(
            (p.kind, p.domain.as_str()),
            (PolicyType::Sts, "company-y.example")
        );
        assert_eq!(p.sts_mode(), Some("testing"));
        assert_eq!(p.mx_hosts, ["*.mail.company-y.example"]);
        assert_eq!((p.successful, p.failed), (5326, 303));
        let f: Vec<(&str, &str, u64)> = p
            .failures
            .iter()
            .map(|f| (f.result.as_str(), f.receiving_mx.as_str(), f.sessions))
            .collect();
        assert_eq!(
            f,
            [
                ("certificate-expired", "mx1.mail.company-y.example", 100),
                ("starttls-not-supported", "mx2.mail.company-y.example", 200),
                ("validation-failure", "mx-backup.mail.company-y.example", 3),
            ]
        );
        assert_eq!(
            p.failures[2].reason_code,
            "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
        );
        assert_eq!(p.failures[1].receiving_ip, "203.0.113.56");
    }

    #[test]
    fn what_is_not_a_report_says_why() {
        let cases: [(&str, &str); 7] = [
            ("{", "JSON that cannot be read"),
            ("[1, 2]", "not an SMTP TLS report"),
            (r#"{"name": "x"}"#, "not an SMTP TLS report"),
            (
                r#"{"organization-name": "x", "policies": []}"#,
                "report-id is missing",
            ),
            (
                r#"{"organization-name": "x", "report-id": "1", "policies": []}"#,
                "date-range is missing",
            ),
            (
                r#"{"organization-name": "x", "report-id": "1", "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-02T00:00:00Z"}, "policies": [{"policy": {"policy-type": "dane", "policy-domain": "a.example"}, "summary": {"total-successful-session-count": 1, "total-failure-session-count": 0}}]}"#,
                "policy 1: policy-type \"dane\" is none of sts, tlsa and no-policy-found",
            ),
            (
                r#"{"organization-name": "x", "report-id": "1", "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-02T00:00:00Z"}, "policies": [{"policy": {"policy-type": "sts", "policy-domain": "a.example"}, "summary": {"total-successful-session-count": -1, "total-failure-session-count": 0}}]}"#,
                "total-successful-session-count -1 is not a count",
            ),
        ];
        for (json, want) in cases {
            let err = parse(json.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(want), "{json}: {err} lacks {want}");
        }
    }

    #[test]
    fn missing_contact_quoted_counts_and_odd_times_are_read_with_problems() {
        let json = r#"{"organization-name": "Odd\u001b[31m", "report-id": "r",
            "date-range": {"start-datetime": "2026-11-28T00:00:00.000+01:00", "end-datetime": "yesterday"},
            "policies": [{"policy": {"policy-type": "no-policy-found", "policy-domain": "A.Example."},
              "summary": {"total-successful-session-count": "12", "total-failure-session-count": 0}}]}"#;
        let r = parse(json.as_bytes()).unwrap();
        assert_eq!(r.org_name, "Odd\u{FFFD}[31m");
        assert_eq!(r.begin, parse_date_time("2026-11-27T23:00:00Z"));
        assert_eq!(r.end, None);
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.problems[0].contains("contact-info is missing"));
        assert!(r.problems[1].contains("\"yesterday\" is not an RFC 3339 time"));
        assert_eq!(r.policies[0].domain, "a.example");
        assert_eq!(r.policies[0].successful, 12);
        assert_eq!(r.policies[0].sts_mode(), None);
    }

    #[test]
    fn policy_strings_are_lines_however_sent_and_odd_details_are_said() {
        // The policy file as one string with CRLFs; failure-details {} (none); details that
        // add up to more than the total.
        let json = r#"{"organization-name": "x", "contact-info": "c", "report-id": "r",
            "date-range": {"start-datetime": "2026-11-28T00:00:00Z", "end-datetime": "2026-11-28T23:59:59Z"},
            "policies": [
              {"policy": {"policy-type": "sts", "policy-domain": "a.example",
                "policy-string": "version: STSv1\r\nmode: enforce\r\nmx: mx.a.example\r\n"},
               "summary": {"total-successful-session-count": 1, "total-failure-session-count": 0},
               "failure-details": {}},
              {"policy": {"policy-type": "sts", "policy-domain": "b.example",
                "policy-string": ["version: STSv1\r", " mode: testing \r"]},
               "summary": {"total-successful-session-count": 1, "total-failure-session-count": 1},
               "failure-details": [{"result-type": "starttls-not-supported", "failed-session-count": 3}]}
            ]}"#;
        let r = parse(json.as_bytes()).unwrap();
        assert_eq!(r.policies[0].sts_mode(), Some("enforce"));
        assert_eq!(r.policies[0].strings.len(), 3);
        assert!(r.policies[0].failures.is_empty());
        assert_eq!(r.policies[1].sts_mode(), Some("testing"));
        assert_eq!(
            r.problems,
            [
                "policy 2: its failure-details count 3 failed sessions, more than its \
              total-failure-session-count 1"
            ]
        );
    }

    #[test]
    fn a_document_too_large_to_be_a_report_is_not_read() {
        let objects = format!("[{}{{}}]", "{},".repeat(MAX_OBJECTS));
        assert_eq!(parse(objects.as_bytes()), Err(ReportError::TooLarge));
        let values = format!("[{}0]", "0,".repeat(MAX_VALUES));
        assert_eq!(parse(values.as_bytes()), Err(ReportError::TooLarge));
        // Braces and commas inside strings are text, not values.
        let text = format!(
            r#"{{"organization-name": "{}", "policies": 1}}"#,
            "{,\\\",".repeat(MAX_VALUES)
        );
        assert!(matches!(
            parse(text.as_bytes()),
            Err(ReportError::Invalid(_))
        ));
    }

    #[test]
    fn date_times_are_rfc_3339() {
        let base = parse_date_time("2026-11-29T00:00:00Z").unwrap();
        assert_eq!(crate::zone::civil::format_iso(base), "2026-11-29T00:00:00Z");
        assert_eq!(parse_date_time("2026-11-29t00:00:00.5z"), Some(base));
        assert_eq!(parse_date_time("2026-11-29 02:30:00+02:30"), Some(base));
        assert_eq!(parse_date_time("2026-11-28T23:00:00-01:00"), Some(base));
        assert_eq!(parse_date_time("2026-11-28T23:59:60Z"), Some(base));
        for bad in [
            "2026-11-31T00:00:00Z",
            "2026-11-29T24:00:00Z",
            "2026-11-29T12:00:60Z",
            "2026-11-29T00:00:00",
            "2026-11-29T00:00:00.Z",
            "2026-11-29T00:00:00+0100",
            "1732838400",
            "",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad}");
        }
    }
}
