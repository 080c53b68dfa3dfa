//! The evidence document a BIMI record's `a=` points to: a mark certificate (a Verified Mark
//! Certificate, VMC, or a Common Mark Certificate, CMC), read from its PEM file. Receivers that
//! require one (Gmail, Apple Mail) show the logo only when, besides a chain to a mark verifying
//! authority (MVA):
//!
//! - the certificate is for BIMI: its extended key usage holds
//!   id-kp-BrandIndicatorforMessageIdentification (1.3.6.1.5.5.7.3.31);
//! - it is valid now;
//! - its subjectAltName names the domain;
//! - its logotype extension (RFC 3709, 1.3.6.1.5.5.7.1.12) carries the logo, an SVG as a
//!   `data:image/svg+xml;base64,` URI (gzip-compressed, as MVAs write it), which is SVG Tiny PS;
//!   and it should be the very file the record's `l=` serves (a warning: receivers that read the
//!   certificate show its logo);
//! - no extension twice, and no critical one a receiver does not know (RFC 5280 §4.2).
//!
//! The chain to an MVA is not verified here: zonectl holds no MVA roots, and the MVA checked the
//! mark when it issued the certificate. A certificate within 30 days of its end is a warning.
//!
//! Pure: imports `std`, `base64`, `x509-cert` (to read the certificate), [`super::bimi_logo`]
//! (the logo, and inflating it) and [`crate::container::printable`].

use std::fmt;

use base64::Engine;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::Certificate;

use super::bimi_logo::{self, Logo};
use crate::container::printable;

/// id-kp-BrandIndicatorforMessageIdentification.
const BIMI_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.31");
/// id-pe-logotype.
const LOGOTYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.12");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// The markType subject attribute of VMCs and CMCs.
const MARK_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.53087.1.13");

/// The extensions a receiver of mark certificates knows, which may be critical: key
/// identifiers, key usage, subjectAltName, basic and name constraints, CRL distribution points,
/// certificate policies, extended key usage, authority information access, logotype, and
/// certificate transparency's timestamps.
const KNOWN_EXTENSIONS: [&str; 12] = [
    "2.5.29.14",
    "2.5.29.15",
    "2.5.29.17",
    "2.5.29.19",
    "2.5.29.30",
    "2.5.29.31",
    "2.5.29.32",
    "2.5.29.35",
    "2.5.29.37",
    "1.3.6.1.5.5.7.1.1",
    "1.3.6.1.5.5.7.1.12",
    "1.3.6.1.4.1.11129.2.4.2",
];

/// The BIMI Group's OID arc: mark certificates carry its extensions, some critical (the pilot
/// identifier, 1.3.6.1.4.1.53087.4.1, in DigiCert's), which receivers of them know.
const BIMI_GROUP_ARC: &str = "1.3.6.1.4.1.53087.";

/// A certificate this close to its end (in seconds: 30 days) is a warning.
pub const EXPIRY_WARNING: i64 = 30 * 86_400;

/// What was read from a mark certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The subject, attribute by attribute in the certificate's order (`C=XX, O=…, markType=…`).
    pub subject: String,
    /// The issuer, likewise.
    pub issuer: String,
    /// The markType (`Registered Mark`, `Prior Use Mark`…), if the subject has one.
    pub mark_type: Option<String>,
    /// Validity, in seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// The DNS names of subjectAltName, lower-cased, without final dots.
    pub names: Vec<String>,
    /// The logo the logotype extension carries, inflated, and what it is.
    pub logo: Option<(Vec<u8>, Logo)>,
    /// How many certificates the file holds (the leaf first, then its chain).
    pub chain_length: usize,
    /// What makes receivers refuse it.
    pub problems: Vec<EvidenceProblem>,
    /// What they accept, but should not be left so.
    pub warnings: Vec<EvidenceProblem>,
}

impl Evidence {
    /// Would receivers accept it (the chain aside)?
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One thing found in a mark certificate.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceProblem {
    /// No extended key usage for BIMI.
    NotForBimi,
    /// Not valid yet, from the time given.
    NotYetValid(i64),
    /// Expired at the time given.
    Expired(i64),
    /// The domain is not among the names.
    WrongDomain { domain: String },
    /// No subjectAltName DNS name at all.
    NoNames,
    /// No logotype extension, or no logo in it.
    NoLogo,
    /// A logo that cannot be read, and why.
    BadLogo(String),
    /// The embedded logo is not SVG Tiny PS.
    LogoNotTinyPs(Vec<String>),
    /// An extension given twice (RFC 5280 §4.2: a certificate has one of each).
    DuplicateExtension(String),
    /// A critical extension not known here (RFC 5280 §4.2: the certificate must be refused).
    UnknownCritical(String),
    // Warnings.
    /// The logo file given differs from the embedded one.
    LogoDiffers,
    /// Ends within [`EXPIRY_WARNING`], at the time given.
    ExpiresSoon(i64),
}

impl fmt::Display for EvidenceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EvidenceProblem::*;
        match self {
            NotForBimi => f.write_str(
                "not a mark certificate: its extended key usage lacks BIMI's \
                 (1.3.6.1.5.5.7.3.31)",
            ),
            NotYetValid(t) => write!(f, "not valid until {}", crate::zone::civil::format_utc(*t)),
            Expired(t) => write!(
                f,
                "expired at {}: receivers show no logo; renew it with the mark verifying \
                 authority",
                crate::zone::civil::format_utc(*t)
            ),
            WrongDomain { domain } => {
                write!(f, "{domain} is not among its names (subjectAltName)")
            }
            NoNames => f.write_str("no DNS name in subjectAltName"),
            NoLogo => f.write_str(
                "no logo: the logotype extension (RFC 3709) is missing or holds no \
                 data:image/svg+xml URI",
            ),
            BadLogo(why) => write!(f, "its logo cannot be read: {why}"),
            LogoNotTinyPs(problems) => {
                write!(f, "its logo is not SVG Tiny PS: {}", problems.join("; "))
            }
            DuplicateExtension(oid) => write!(
                f,
                "the extension {oid} appears twice: a certificate has one of each (RFC 5280 §4.2)"
            ),
            UnknownCritical(oid) => write!(
                f,
                "the critical extension {oid} is not one receivers know: they must refuse the \
                 certificate (RFC 5280 §4.2)"
            ),
            LogoDiffers => f.write_str(
                "the logo file differs from the logo in the certificate: receivers that read the \
                 certificate show its logo, or none; serve the very file it was issued for",
            ),
            ExpiresSoon(t) => write!(
                f,
                "expires at {}: renew it before then",
                crate::zone::civil::format_utc(*t)
            ),
        }
    }
}

/// Reads the PEM file `pem` as a mark certificate for `domain` (lower case, no final dot) at
/// `now` (seconds since the epoch); with `logo`, the file the record's `l=` serves, which
/// should be the embedded one. `Err`: the file holds no certificate that can be read.
pub fn check(pem: &[u8], domain: &str, now: i64, logo: Option<&[u8]>) -> Result<Evidence, String> {
    let chain = certificates(pem)?;
    let Some(leaf) = chain.first() else {
        return Err("not a PEM certificate file: it holds no certificate".into());
    };
    let tbs = &leaf.tbs_certificate;
    let seconds = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    let mut e = Evidence {
        subject: name_text(&tbs.subject),
        issuer: name_text(&tbs.issuer),
        mark_type: mark_type(&tbs.subject),
        not_before: seconds(tbs.validity.not_before),
        not_after: seconds(tbs.validity.not_after),
        names: Vec::new(),
        logo: None,
        chain_length: chain.len(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let extensions = tbs.extensions.as_deref().unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    for x in extensions {
        let oid = x.extn_id.to_string();
        if !seen.insert(x.extn_id) {
            e.problems.push(EvidenceProblem::DuplicateExtension(oid));
        } else if x.critical
            && !KNOWN_EXTENSIONS.contains(&oid.as_str())
            && !oid.starts_with(BIMI_GROUP_ARC)
        {
            e.problems.push(EvidenceProblem::UnknownCritical(oid));
        }
    }
    let value = |oid: ObjectIdentifier| {
        extensions
            .iter()
            .find(|x| x.extn_id == oid)
            .map(|x| x.extn_value.as_bytes())
    };
    let for_bimi = value(EXTENDED_KEY_USAGE)
        .and_then(|v| ExtendedKeyUsage::from_der(v).ok())
        .is_some_and(|eku| eku.0.contains(&BIMI_EKU));
    if !for_bimi {
        e.problems.push(EvidenceProblem::NotForBimi);
    }
    if now < e.not_before {
        e.problems.push(EvidenceProblem::NotYetValid(e.not_before));
    } else if now > e.not_after {
        e.problems.push(EvidenceProblem::Expired(e.not_after));
    } else if e.not_after - now <= EXPIRY_WARNING {
        e.warnings.push(EvidenceProblem::ExpiresSoon(e.not_after));
    }
    if let Some(san) = value(SUBJECT_ALT_NAME).and_then(|v| SubjectAltName::from_der(v).ok()) {
        e.names = san
            .0
            .iter()
            .filter_map(|n| match n {
                GeneralName::DnsName(name) => Some(printable(
                    &name.as_str().trim_end_matches('.').to_ascii_lowercase(),
                )),
                _ => None,
            })
            .collect();
    }
    if e.names.is_empty() {
        e.problems.push(EvidenceProblem::NoNames);
    } else if !e.names.iter().any(|n| n == domain) {
        e.problems.push(EvidenceProblem::WrongDomain {
            domain: domain.to_owned(),
        });
    }
    match value(LOGOTYPE).map(embedded_logo) {
        None | Some(Ok(None)) => e.problems.push(EvidenceProblem::NoLogo),
        Some(Err(why)) => e.problems.push(EvidenceProblem::BadLogo(why)),
        Some(Ok(Some(svg))) => {
            let checked = bimi_logo::check(&svg);
            if !checked.valid() {
                e.problems.push(EvidenceProblem::LogoNotTinyPs(
                    checked.problems.iter().map(ToString::to_string).collect(),
                ));
            }
            // The file as receivers read it: an .svgz inflated.
            let given = logo.map(|l| match bimi_logo::is_gzip(l) {
                true => bimi_logo::inflate(l).unwrap_or_default(),
                false => l.to_vec(),
            });
            if given.is_some_and(|given| given != svg) {
                e.warnings.push(EvidenceProblem::LogoDiffers);
            }
            e.logo = Some((svg, checked));
        }
    }
    Ok(e)
}

/// `a mark certificate (Registered Mark) for apple.example, valid until …, issued by …`.
pub fn describe(e: &Evidence) -> String {
    let kind = e
        .mark_type
        .as_ref()
        .map_or_else(String::new, |t| format!(" ({t})"));
    format!(
        "a mark certificate{kind} for {}, valid until {}, issued by {} (its chain to a mark \
         verifying authority is not checked here)",
        e.names.join(", "),
        crate::zone::civil::format_utc(e.not_after),
        e.issuer
    )
}

/// The certificates of a PEM file, in order: each `-----BEGIN CERTIFICATE-----` block, base64
/// and then DER. Text around the blocks (openssl's `subject=` lines) is passed over.
fn certificates(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = std::str::from_utf8(pem).map_err(|_| "not a PEM certificate file: not text")?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let Some(end) = body.find(END) else {
            return Err(format!("certificate {}: no {END} line", out.len() + 1));
        };
        let data: String = body[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("certificate {}: not base64: {e}", out.len() + 1))?;
        let cert = Certificate::from_der(&der)
            .map_err(|e| format!("certificate {}: not a certificate: {e}", out.len() + 1))?;
        out.push(cert);
        rest = &body[end + END.len()..];
    }
    Ok(out)
}

/// A distinguished name as `C=XX, O=Brand Ltd, markType=Registered Mark`: in the certificate's
/// order, with the short names of the attributes mark certificates use and their values as text
/// (the dotted OID and hex for others).
fn name_text(name: &x509_cert::name::Name) -> String {
    const LABELS: [(&str, &str); 14] = [
        ("2.5.4.3", "CN"),
        ("2.5.4.6", "C"),
        ("2.5.4.7", "L"),
        ("2.5.4.8", "ST"),
        ("2.5.4.9", "street"),
        ("2.5.4.10", "O"),
        ("2.5.4.11", "OU"),
        ("2.5.4.5", "serialNumber"),
        ("2.5.4.15", "businessCategory"),
        ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
        ("1.3.6.1.4.1.53087.1.13", "markType"),
        ("1.3.6.1.4.1.53087.1.2", "trademarkOfficeName"),
        ("1.3.6.1.4.1.53087.1.3", "trademarkCountryOrRegionName"),
        ("1.3.6.1.4.1.53087.1.4", "trademarkIdentifier"),
    ];
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .map(|atv| {
            let oid = atv.oid.to_string();
            let label = LABELS
                .iter()
                .find(|(o, _)| *o == oid)
                .map_or(oid.as_str(), |(_, l)| l);
            let bytes = atv.value.value();
            match std::str::from_utf8(bytes) {
                Ok(text) if !text.chars().any(char::is_control) => format!("{label}={text}"),
                _ => {
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    format!("{label}=#{hex}")
                }
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The subject's markType, if it has one that reads as a string.
fn mark_type(name: &x509_cert::name::Name) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == MARK_TYPE)
        .and_then(|atv| std::str::from_utf8(atv.value.value()).ok())
        .map(printable)
}

/// The SVG the logotype extension `der` carries: the first IA5String in it that is a
/// `data:image/svg+xml` URI, base64-decoded and inflated if gzip-compressed. `Ok(None)`: there is
/// none.
fn embedded_logo(der: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut uris = Vec::new();
    ia5_strings(der, 0, &mut uris);
    let Some(uri) = uris
        .into_iter()
        .find(|s| s.to_ascii_lowercase().starts_with(b"data:image/svg+xml"))
    else {
        return Ok(None);
    };
    let uri = String::from_utf8_lossy(uri);
    let Some((_, data)) = uri.split_once(";base64,") else {
        return Err("its data: URI is not base64".into());
    };
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("its data: URI is not base64: {e}"))?;
    if !bimi_logo::is_gzip(&bytes) {
        return Ok(Some(bytes));
    }
    bimi_logo::inflate(&bytes)
        .map(Some)
        .map_err(|e| format!("its gzip data does not inflate: {e}"))
}

/// Every IA5String (tag 0x16) in the DER `der`, looking inside constructed values (and nested
/// no deeper than 32): the logotype extension's URIs and media types.
fn ia5_strings<'a>(mut der: &'a [u8], depth: usize, out: &mut Vec<&'a [u8]>) {
    while let Some((tag, content, rest)) = tlv(der) {
        if tag == 0x16 {
            out.push(content);
        } else if tag & 0x20 != 0 && depth < 32 {
            ia5_strings(content, depth + 1, out);
        }
        der = rest;
    }
}

/// One DER value: its tag byte, its content, and what follows it. None at the end or where the
/// bytes are not DER (a long tag number, a length running past the end).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b))
    };
    (len <= rest.len()).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by tests/bimi/make_vmc.py from logos/apple.example.svg: self-signed, for
    /// apple.example, 2026-01-01 to 2099-01-01.
    const VMC: &[u8] = include_bytes!("../../tests/bimi/apple.example.vmc.pem");
    const LOGO: &[u8] = include_bytes!("../../logos/apple.example.svg");
    /// 2026-11-30 and the two ends of the validity.
    const NOW: i64 = 1_796_000_000;
    const START: i64 = 1_767_225_600;
    const END: i64 = 4_070_908_800;

    #[test]
    fn a_mark_certificate_and_what_it_says() {
        let e = check(VMC, "apple.example", NOW, Some(LOGO)).unwrap();
        assert_eq!(e.problems, []);
        assert_eq!(e.warnings, []);
        assert!(e.valid());
        assert_eq!(e.names, ["apple.example"]);
        assert_eq!((e.not_before, e.not_after), (START, END));
        assert_eq!(e.mark_type.as_deref(), Some("Registered Mark"));
        assert_eq!(e.issuer, "CN=Test Mark Authority (not an MVA)");
        assert_eq!(
            e.subject,
            "C=XX, O=Apple Example Ltd, CN=Apple Example Ltd, markType=Registered Mark"
        );
        assert_eq!(e.chain_length, 1);
        let (svg, logo) = e.logo.unwrap();
        assert_eq!(svg, LOGO);
        assert_eq!(logo.title.as_deref(), Some("Apple Example"));
    }

    #[test]
    fn each_thing_receivers_refuse_is_named() {
        let e = check(VMC, "orange.example", END + 1, Some(b"<svg/>")).unwrap();
        assert_eq!(
            e.problems,
            [
                EvidenceProblem::Expired(END),
                EvidenceProblem::WrongDomain {
                    domain: "orange.example".into()
                },
            ]
        );
        assert_eq!(e.warnings, [EvidenceProblem::LogoDiffers]);
        // The same logo served gzip-compressed is the same logo.
        let svgz = {
            use std::io::Write;
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(LOGO).unwrap();
            z.finish().unwrap()
        };
        let e = check(VMC, "apple.example", NOW, Some(&svgz)).unwrap();
        assert_eq!((e.problems, e.warnings), (vec![], vec![]));
        let e = check(VMC, "apple.example", START - 1, None).unwrap();
        assert_eq!(e.problems, [EvidenceProblem::NotYetValid(START)]);
        let e = check(VMC, "apple.example", END - 86_400, None).unwrap();
        assert_eq!(e.problems, []);
        assert_eq!(e.warnings, [EvidenceProblem::ExpiresSoon(END)]);
        assert_eq!(
            EvidenceProblem::Expired(END).to_string(),
            "expired at 2099-01-01 00:00:00 UTC: receivers show no logo; renew it with the mark \
             verifying authority"
        );
    }

    #[test]
    fn certificates_receivers_refuse() {
        let problems = |pem: &[u8]| check(pem, "apple.example", NOW, None).unwrap().problems;
        assert_eq!(
            problems(include_bytes!("../../tests/bimi/vmc-no-eku.pem")),
            [EvidenceProblem::NotForBimi]
        );
        assert_eq!(
            problems(include_bytes!("../../tests/bimi/vmc-unknown-critical.pem")),
            [EvidenceProblem::UnknownCritical("1.2.3.4".into())]
        );
        // The BIMI Group's own critical extensions are known to receivers.
        assert_eq!(
            problems(include_bytes!("../../tests/bimi/vmc-pilot-critical.pem")),
            []
        );
        assert_eq!(
            problems(include_bytes!("../../tests/bimi/vmc-two-logotypes.pem")),
            [EvidenceProblem::DuplicateExtension(
                "1.3.6.1.5.5.7.1.12".into()
            )]
        );
        let bad = problems(include_bytes!("../../tests/bimi/vmc-bad-logo.pem"));
        assert!(
            matches!(&bad[..], [EvidenceProblem::LogoNotTinyPs(p)] if p.len() == 5),
            "{bad:?}"
        );
    }

    #[test]
    fn what_is_not_a_certificate_is_an_error() {
        let err = |pem: &[u8]| check(pem, "apple.example", NOW, None).unwrap_err();
        assert_eq!(
            err(b""),
            "not a PEM certificate file: it holds no certificate"
        );
        assert_eq!(
            err(b"hello"),
            "not a PEM certificate file: it holds no certificate"
        );
        assert_eq!(err(b"\xff"), "not a PEM certificate file: not text");
        let cut = &VMC[..VMC.len() / 2];
        assert_eq!(err(cut), "certificate 1: no -----END CERTIFICATE----- line");
        let text = std::str::from_utf8(VMC).unwrap();
        let garbled = text.replacen("MII", "MIJ", 1);
        assert!(
            err(garbled.as_bytes()).starts_with("certificate 1: not a certificate: "),
            "{}",
            err(garbled.as_bytes())
        );
        // A chain: the leaf first; text around the blocks passed over.
        let chain = format!("subject=CN=x\n{text}\n{text}");
        let e = check(chain.as_bytes(), "apple.example", NOW, None).unwrap();
        assert_eq!(e.chain_length, 2);
    }

    #[test]
    fn the_der_walk_finds_the_logo_and_stops_at_bad_lengths() {
        // SEQUENCE { [2] { IA5String "data:image/svg+xml;base64,PHN2Zy8+" } }
        let uri = b"data:image/svg+xml;base64,PHN2Zy8+";
        let mut ia5 = vec![0x16, uri.len() as u8];
        ia5.extend_from_slice(uri);
        let mut inner = vec![0xa2, ia5.len() as u8];
        inner.extend_from_slice(&ia5);
        let mut der = vec![0x30, inner.len() as u8];
        der.extend_from_slice(&inner);
        assert_eq!(embedded_logo(&der), Ok(Some(b"<svg/>".to_vec())));
        // A length past the end: nothing found, no panic.
        der[1] = 0x7f;
        assert_eq!(embedded_logo(&der), Ok(None));
        assert_eq!(
            embedded_logo(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Ok(None)
        );
        let not_base64 = {
            let uri = b"data:image/svg+xml,%3Csvg%2F%3E";
            let mut v = vec![0x16, uri.len() as u8];
            v.extend_from_slice(uri);
            v
        };
        assert_eq!(
            embedded_logo(&not_base64),
            Err("its data: URI is not base64".into())
        );
    }
}
