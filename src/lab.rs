//! Lab hosting, the pure part: participant zone names and numbers, template expansion, and the
//! record-by-record difference between a participant's zone and its template.
//!
//! A template is a zone file with placeholders in braces:
//!
//! | placeholder | value for participant 7 of `--prefix m --parent mail.example --width 3` |
//! |-------------|--------------------------------------------------------------------------|
//! | `{zone}`    | `m007.mail.example` (no trailing dot)                                    |
//! | `{n}`       | `7`                                                                      |
//! | `{num}`     | `007` (zero-padded to the width)                                         |
//! | `{a}`       | `7`: a last IPv4 octet, 1–254 (`(n - 1) % 254 + 1`)                      |
//! | `{hex}`     | `7`: `n` in hexadecimal, for an IPv6 group                               |
//! | `{serial}`  | today's `YYYYMMDD00`                                                     |
//!
//! `{{` and `}}` write a brace; any other `{…}` is an error naming its line.

use crate::zone::check::Severity;
use crate::zone::parse::parse_zone_str;
use crate::zone::rdata::{rdata_to_text, txt_strings, RType};
use crate::zone::{Name, Record, Soa, Zone};

/// The default template: the shape of the shipped example zones (SOA, NS, MX, SPF, and the
/// hosts a DMARC workshop uses), with documentation addresses (RFC 5737, RFC 3849).
pub const DEFAULT_TEMPLATE: &str = "\
; {zone} — lab zone {num}, written by `zonectl lab create` from the default template.
$ORIGIN {zone}.
$TTL 3600

@           IN  SOA   ns.{zone}. hostmaster.{zone}. (
                      {serial} ; serial (YYYYMMDDnn)
                      3600       ; refresh
                      900        ; retry
                      1209600    ; expire
                      300 )      ; minimum (negative-answer TTL)
            IN  NS    ns.{zone}.
            IN  MX    10 mail.{zone}.
            IN  TXT   \"v=spf1 ip4:192.0.2.{a} ip6:2001:db8:{hex}::25 mx -all\"

ns          IN  A     198.51.100.{a}
            IN  AAAA  2001:db8:{hex}::53
mail        IN  A     192.0.2.{a}
            IN  AAAA  2001:db8:{hex}::25
sender      IN  A     203.0.113.{a}
            IN  AAAA  2001:db8:{hex}::27
";

/// How participant zones are named: `PREFIX` + the number padded to `width` + `.PARENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    pub prefix: String,
    /// The parent domain, without a trailing dot.
    pub parent: String,
    pub start: u32,
    pub count: u32,
    pub width: usize,
}

/// One participant's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub n: u32,
    /// The number as written in the zone name.
    pub num: String,
    /// The zone's origin, absolute.
    pub origin: Name,
}

impl Numbering {
    /// The participants' zones, in order. Errors name what is wrong.
    pub fn participants(&self) -> Result<Vec<Participant>, String> {
        if self.count == 0 {
            return Err("--count must be at least 1".into());
        }
        let last = self
            .start
            .checked_add(self.count - 1)
            .ok_or("--start plus --count is too large")?;
        if last.to_string().len() > self.width {
            return Err(format!(
                "participant {last} needs {} digits but --width is {}: raise --width",
                last.to_string().len(),
                self.width
            ));
        }
        let parent = self.parent.trim_end_matches('.');
        (self.start..=last)
            .map(|n| {
                let num = format!("{n:0width$}", width = self.width);
                let text = format!("{}{num}.{parent}.", self.prefix);
                let origin = Name::parse(&text, None)
                    .map_err(|e| format!("{text} is not a valid zone name: {e}"))?;
                Ok(Participant { n, num, origin })
            })
            .collect()
    }
}

/// Expands the placeholders of `template` (see the module docs) for one participant.
pub fn expand(template: &str, p: &Participant, serial: u32) -> Result<String, String> {
    let zone = p.origin.to_string();
    let zone = zone.trim_end_matches('.');
    let mut out = String::with_capacity(template.len() + 64);
    for (index, line) in template.split_inclusive('\n').enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find(['{', '}']) {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            if tail.starts_with("{{") || tail.starts_with("}}") {
                out.push_str(&tail[..1]);
                rest = &tail[2..];
                continue;
            }
            let bad = |what: &str| format!("template line {}: {what}", index + 1);
            if tail.starts_with('}') {
                return Err(bad("a `}` without its `{` (write `}}` for a brace)"));
            }
            let end = tail
                .find('}')
                .ok_or_else(|| bad("a `{` without its `}` (write `{{` for a brace)"))?;
            let value = match &tail[1..end] {
                "zone" => zone.to_owned(),
                "n" => p.n.to_string(),
                "num" => p.num.clone(),
                "a" => ((p.n.max(1) - 1) % 254 + 1).to_string(),
                "hex" => format!("{:x}", p.n),
                "serial" => serial.to_string(),
                other => {
                    return Err(bad(&format!(
                        "unknown placeholder {{{other}}}; the placeholders are {{zone}} {{n}} \
                         {{num}} {{a}} {{hex}} {{serial}}"
                    )))
                }
            };
            out.push_str(&value);
            rest = &tail[end + 1..];
        }
        out.push_str(rest);
    }
    Ok(out)
}

/// Expands an owner pattern (`user{n}`, `lab{num}`) for one participant.
pub fn owner_for(pattern: &str, p: &Participant) -> Result<String, String> {
    let owner = expand(pattern, p, 0)?;
    if owner.is_empty() || owner.contains(char::is_whitespace) {
        return Err(format!(
            "--owner-pattern {pattern:?} gives {owner:?}, not a user name"
        ));
    }
    Ok(owner)
}

/// Checks an expanded template as a zone load would; the error names the line.
pub fn check_expanded(text: &str, origin: &Name) -> Result<Zone, String> {
    let file = std::path::Path::new("template");
    let entries = parse_zone_str(text, file, origin).map_err(|e| e.to_string())?;
    let findings = crate::zone::check::check_entries(origin, &entries);
    if let Some(f) = findings.iter().find(|f| f.severity == Severity::Error) {
        return Err(f.to_string());
    }
    Ok(Zone::from_records(origin, &entries))
}

/// One line of [`diff`]: a record only in the template (`-`) or only in the zone (`+`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub added: bool,
    /// `name TTL IN TYPE rdata`.
    pub record: String,
}

/// What a participant changed against the template, record by record, in canonical order. The
/// SOA serial is not a change (it moves with every edit).
pub fn diff(template: &Zone, current: &Zone) -> Vec<DiffLine> {
    let key = |r: &Record| {
        let mut rdata = r.rdata.to_vec();
        if r.rtype == RType::SOA {
            Soa::set_serial(&mut rdata, 0);
        }
        (r.owner.to_lowercase(), r.rtype, r.ttl, rdata)
    };
    let old = template.records_sorted();
    let new = current.records_sorted();
    let old_keys: Vec<_> = old.iter().map(key).collect();
    let new_keys: Vec<_> = new.iter().map(key).collect();
    let line = |r: &Record, added| DiffLine {
        added,
        record: format!(
            "{} {} IN {} {}",
            r.owner,
            r.ttl,
            r.rtype,
            rdata_to_text(r.rtype, &r.rdata)
        ),
    };
    let mut out: Vec<(Name, DiffLine)> = Vec::new();
    for (r, k) in old.iter().zip(&old_keys) {
        if !new_keys.contains(k) {
            out.push((r.owner.clone(), line(r, false)));
        }
    }
    for (r, k) in new.iter().zip(&new_keys) {
        if !old_keys.contains(k) {
            out.push((r.owner.clone(), line(r, true)));
        }
    }
    out.sort_by(|a, b| a.0.canonical_cmp(&b.0));
    out.into_iter().map(|(_, l)| l).collect()
}

/// The zone's DMARC policy as a rollout stage: `p=quarantine t=y`, `p=none`, or `-` for none.
pub fn dmarc_stage(zone: &Zone) -> String {
    let Ok(name) = zone.origin().prepend_label(b"_dmarc") else {
        return "-".into();
    };
    let Some(set) = zone.node(name.as_wire()).and_then(|n| n.get(RType::TXT)) else {
        return "-".into();
    };
    for rdata in set.rdatas() {
        let text: Vec<u8> = txt_strings(rdata)
            .into_iter()
            .flatten()
            .flat_map(|s| s.iter().copied())
            .collect();
        let text = String::from_utf8_lossy(&text);
        if !text.trim_start().starts_with("v=DMARC1") {
            continue;
        }
        let tag = |want: &str| {
            text.split(';').find_map(|t| {
                let (k, v) = t.split_once('=')?;
                (k.trim().eq_ignore_ascii_case(want)).then(|| v.trim().to_owned())
            })
        };
        let mut stage = format!("p={}", tag("p").unwrap_or_else(|| "?".into()));
        if tag("t").as_deref() == Some("y") {
            stage.push_str(" t=y");
        }
        return stage;
    }
    "-".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbering(start: u32, count: u32, width: usize) -> Numbering {
        Numbering {
            prefix: "m".into(),
            parent: "mail.example".into(),
            start,
            count,
            width,
        }
    }

    #[test]
    fn participants_are_numbered_and_padded() {
        let ps = numbering(1, 100, 3).participants().unwrap();
        assert_eq!(ps.len(), 100);
        assert_eq!(ps[0].origin.to_string(), "m001.mail.example.");
        assert_eq!(ps[99].origin.to_string(), "m100.mail.example.");
        assert_eq!(ps[6].num, "007");
        let e = numbering(995, 10, 3).participants().unwrap_err();
        assert!(e.contains("--width"), "{e}");
        assert!(numbering(1, 0, 3).participants().is_err());
    }

    #[test]
    fn the_default_template_expands_to_a_zone_that_passes_the_checks() {
        for p in numbering(1, 300, 3).participants().unwrap() {
            let text = expand(DEFAULT_TEMPLATE, &p, 2026112900).unwrap();
            let zone = check_expanded(&text, &p.origin).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(zone.serial(), Some(2026112900));
            assert_eq!(zone.record_count(), 10);
        }
        let p = &numbering(255, 1, 3).participants().unwrap()[0];
        let text = expand(DEFAULT_TEMPLATE, p, 1).unwrap();
        assert!(text.contains("ip4:192.0.2.1 ip6:2001:db8:ff::25"), "{text}");
        assert!(text.contains("$ORIGIN m255.mail.example.\n"), "{text}");
    }

    #[test]
    fn placeholders_braces_and_errors() {
        let p = &numbering(7, 1, 3).participants().unwrap()[0];
        assert_eq!(
            expand("{zone} {n} {num} {a} {hex} {{x}}\n", p, 5).unwrap(),
            "m007.mail.example 7 007 7 7 {x}\n"
        );
        let e = expand("ok\n{nope}\n", p, 5).unwrap_err();
        assert!(e.contains("line 2") && e.contains("{nope}"), "{e}");
        assert!(expand("{zone\n", p, 5).unwrap_err().contains("line 1"));
        assert_eq!(owner_for("user{n}", p).unwrap(), "user7");
        assert_eq!(owner_for("lab{num}", p).unwrap(), "lab007");
        assert!(owner_for("a b{n}", p).is_err());
    }

    #[test]
    fn diff_lists_removed_and_added_records_but_not_the_serial() {
        let p = &numbering(1, 1, 3).participants().unwrap()[0];
        let template = expand(DEFAULT_TEMPLATE, p, 1).unwrap();
        let t = check_expanded(&template, &p.origin).unwrap();
        let changed = expand(DEFAULT_TEMPLATE, p, 2)
            .unwrap()
            .replace("            IN  AAAA  2001:db8:1::27\n", "")
            .replace("mx -all", "mx ~all")
            + "_dmarc IN TXT \"v=DMARC1; p=quarantine; t=y\"\n";
        let c = check_expanded(&changed, &p.origin).unwrap();
        let d = diff(&t, &c);
        let text: Vec<String> = d
            .iter()
            .map(|l| format!("{}{}", if l.added { '+' } else { '-' }, l.record))
            .collect();
        assert_eq!(
            text,
            [
                "-m001.mail.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.1 ip6:2001:db8:1::25 mx -all\"",
                "+m001.mail.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.1 ip6:2001:db8:1::25 mx ~all\"",
                "+_dmarc.m001.mail.example. 3600 IN TXT \"v=DMARC1; p=quarantine; t=y\"",
                "-sender.m001.mail.example. 3600 IN AAAA 2001:db8:1::27",
            ]
        );
        assert!(diff(&t, &t).is_empty());
        assert_eq!(dmarc_stage(&c), "p=quarantine t=y");
        assert_eq!(dmarc_stage(&t), "-");
    }
}
