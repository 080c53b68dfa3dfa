//! The MTA-STS TXT record at `_mta-sts.DOMAIN` (RFC 8461 §3.1), which tells senders that the
//! domain publishes a policy at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`:
//!
//! ```text
//! sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
//! sts-field-delim = *WSP ";" *WSP
//! sts-version     = %s"v=STSv1"
//! sts-field       = sts-id / sts-extension
//! sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//! sts-extension   = sts-ext-name "=" sts-ext-value
//! ```
//!
//! `%s` makes the version and `id=` case-sensitive (RFC 7405): `ID=` is an extension, not the
//! id. Senders discard the TXT records at the name that do not start with the version; if the
//! number left is not one, or that one is not valid, they assume the domain has no MTA-STS.

use super::{after_version, check_extension, duplicates, fields, missing, Problem, Spacing};

/// The version every MTA-STS record starts with (case-sensitive).
pub const VERSION: &str = "v=STSv1";

/// The longest `id` (RFC 8461 §3.1).
const MAX_ID_LEN: usize = 32;

/// A valid MTA-STS record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsRecord {
    /// The policy's id: senders fetch the policy again when it changes.
    pub id: String,
}

/// Does `text` start with `v=STSv1` (then a `;`, whitespace or the end), so that senders count
/// it as an MTA-STS record?
pub fn is_record(text: &str) -> bool {
    after_version(text, VERSION).is_some()
}

/// Parses an MTA-STS record: every problem found, or the record.
pub fn parse(text: &str) -> Result<StsRecord, Vec<Problem>> {
    let Some(rest) = after_version(text, VERSION) else {
        return Err(vec![Problem::NoVersion { version: VERSION }]);
    };
    let mut problems = Vec::new();
    let fields = fields(rest, Spacing::AroundSeparators, &mut problems);
    duplicates(&fields, |name| name == "id", &mut problems);
    let mut id = None;
    for f in &fields {
        if f.name != "id" {
            check_extension(f, &mut problems);
        } else if f.value.is_empty()
            || f.value.len() > MAX_ID_LEN
            || !f.value.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            problems.push(Problem::BadValue {
                tag: "id".into(),
                value: f.value.to_owned(),
                expected: "1 to 32 letters and digits",
            });
        } else {
            id.get_or_insert(f.value);
        }
    }
    if !fields.iter().any(|f| f.name == "id") {
        problems.push(missing("id", &fields));
    }
    match id {
        Some(id) if problems.is_empty() => Ok(StsRecord { id: id.to_owned() }),
        _ => Err(problems),
    }
}

/// A new policy id for a policy published at `now` (UNIX seconds): the UTC time as
/// `YYYYMMDDhhmmss`, so ids sort by age and say when; with a counter after it when `current`
/// is from the same second already (`…1`, `…2`: several publications within a second).
pub fn next_id(now: i64, current: Option<&str>) -> String {
    let (y, mo, d, h, mi, s) = crate::zone::civil::ymdhms(now);
    let id = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}");
    match current.and_then(|c| c.strip_prefix(id.as_str())) {
        Some("") => id + "1",
        Some(n) => match n.parse::<u64>() {
            Ok(n) => format!("{id}{}", n.saturating_add(1)),
            Err(_) => id,
        },
        None => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_id_is_the_time_and_differs_from_the_current_one() {
        let now = 1_796_040_000; // 2026-11-30T12:00:00Z
        assert_eq!(next_id(now, None), "20261130120000");
        assert_eq!(next_id(now, Some("20261128")), "20261130120000");
        assert_eq!(next_id(now, Some("20261130120000")), "202611301200001");
        assert_eq!(next_id(now, Some("202611301200001")), "202611301200002");
        assert_eq!(next_id(now, Some("202611301200009")), "2026113012000010");
        assert!(parse(&format!("v=STSv1; id={}", next_id(now, None))).is_ok());
    }

    #[test]
    fn records_are_told_by_their_exact_version() {
        for (text, is) in [
            ("v=STSv1; id=1", true),
            ("v=STSv1;id=1", true),
            ("v=STSv1 ; id=1", true),
            ("v=STSv1", true),
            ("v=STSv1 id=1", true),
            ("v=STSv10; id=1", false),
            ("v=stsv1; id=1", false),
            ("V=STSv1; id=1", false),
            ("v = STSv1; id=1", false),
            (" v=STSv1; id=1", false),
            ("id=1; v=STSv1", false),
            ("", false),
        ] {
            assert_eq!(is_record(text), is, "{text:?}");
        }
    }

    #[test]
    fn valid_records() {
        for (text, id) in [
            ("v=STSv1; id=20160831085700Z;", "20160831085700Z"),
            ("v=STSv1; id=20160831085700Z", "20160831085700Z"),
            ("v=STSv1;id=abc", "abc"),
            ("v=STSv1 ;\tid=abc ;  ", "abc"),
            ("v=STSv1; id=abc; ext_1.x-y=some:value", "abc"),
            ("v=STSv1; ID=other; id=abc", "abc"),
            (
                "v=STSv1; id=12345678901234567890123456789012",
                "12345678901234567890123456789012",
            ),
        ] {
            assert_eq!(parse(text), Ok(StsRecord { id: id.into() }), "{text:?}");
        }
    }

    #[test]
    fn each_problem_is_named() {
        let bad_id = |value: &str| Problem::BadValue {
            tag: "id".into(),
            value: value.into(),
            expected: "1 to 32 letters and digits",
        };
        let cases: &[(&str, &[Problem])] = &[
            ("v=STSv1", &[Problem::Missing { tag: "id" }]),
            ("v=STSv1;", &[Problem::Missing { tag: "id" }]),
            (
                "v=STSv1; ID=123",
                &[Problem::Miscased {
                    tag: "id",
                    found: "ID".into(),
                }],
            ),
            ("v=STSv1; id=2024-01-01", &[bad_id("2024-01-01")]),
            ("v=STSv1; id=", &[bad_id("")]),
            ("v=STSv1; id=123456789012345678901234567890123", &[bad_id("123456789012345678901234567890123")]),
            (
                "v=STSv1; id=1; id=2",
                &[Problem::Duplicate { tag: "id".into() }],
            ),
            (
                "v=STSv1; id = 1",
                &[Problem::SpacedEquals {
                    field: "id = 1".into(),
                }],
            ),
            ("v=STSv1; id=1 ", &[Problem::TrailingSpace]),
            ("v=STSv1;; id=1", &[Problem::EmptyField]),
            (
                "v=STSv1 id=1",
                &[
                    Problem::NoSeparator {
                        after: "id=1".into(),
                    },
                    Problem::Missing { tag: "id" },
                ],
            ),
            (
                "v=STSv1; id=1; mode",
                &[Problem::NotTagValue {
                    field: "mode".into(),
                }],
            ),
            (
                "v=STSv1; id=1; -x=1",
                &[Problem::BadField {
                    field: "-x=1".into(),
                    why: "a name is 1 to 32 letters, digits, _, - and . starting with a letter or digit",
                }],
            ),
            (
                "v=STSv1; id=1; x=",
                &[Problem::BadField {
                    field: "x=".into(),
                    why: "its value is empty",
                }],
            ),
            (
                "v=STSv1; id=1; x=a=b",
                &[Problem::BadField {
                    field: "x=a=b".into(),
                    why: "a value is printable ASCII without spaces, = or ;",
                }],
            ),
            ("v=STSv2; id=1", &[Problem::NoVersion { version: VERSION }]),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Err(want.to_vec()), "{text:?}");
        }
    }

    #[test]
    fn problems_read_as_sentences() {
        let shown: Vec<String> = parse("v=STSv1; ID=1; x=")
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "\"x=\" is not a valid field: its value is empty",
                "id= is missing (ID= is another tag: tag names are case-sensitive)",
            ]
        );
    }
}
