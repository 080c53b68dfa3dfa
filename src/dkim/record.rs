//! DKIM key records (RFC 6376 §3.6.1): build the TXT value zonectl publishes, split it into
//! `<character-string>`s, parse a published record back, and write the `.txt` file beside a key.
//!
//! Pure: no I/O. Imports only the zone model's TXT helpers.

use base64::Engine;

use crate::zone::rdata::{txt_from_value, txt_strings};

/// The longest `<character-string>` of a TXT record (RFC 1035 §3.3).
pub const MAX_STRING: usize = 255;

/// The revoked form of a key record (RFC 6376 §3.6.1: an empty `p=` means the key is revoked).
pub const REVOKED_VALUE: &str = "v=DKIM1; p=";

/// A DKIM key algorithm as the `k=` tag names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyType {
    /// `k=rsa`: `p=` holds a DER SubjectPublicKeyInfo.
    Rsa,
    /// `k=ed25519` (RFC 8463): `p=` holds the raw 32-byte public key.
    Ed25519,
}

impl KeyType {
    /// The `k=` tag value.
    pub fn tag(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

/// A parsed DKIM key record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimRecord {
    /// `k=` (default `rsa`).
    pub key_type: KeyType,
    /// The decoded `p=`; empty for a revoked key.
    pub public_key: Vec<u8>,
    /// `t=` flags (`y` testing, `s` strict), as written.
    pub flags: Vec<String>,
}

/// Why a TXT value is not a usable DKIM key record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the TXT RDATA is malformed")]
    MalformedTxt,
    #[error("tag list: {0}")]
    TagList(String),
    #[error("v={0}: the version must be DKIM1")]
    Version(String),
    #[error("v= must be the first tag")]
    VersionNotFirst,
    #[error("tag {0}= appears twice")]
    Duplicate(String),
    #[error("no p= tag (an empty p= revokes a key; a missing one is an error)")]
    NoPublicKey,
    #[error("k={0}: unknown key type (rsa and ed25519 are defined)")]
    KeyType(String),
    #[error("p= is not valid base64")]
    Base64,
    #[error("p= holds {0} bytes; an ed25519 key is 32")]
    Ed25519Length(usize),
}

impl DkimRecord {
    /// The record for `public_key` (DER SubjectPublicKeyInfo for RSA, raw 32 bytes for Ed25519).
    pub fn new(key_type: KeyType, public_key: Vec<u8>) -> DkimRecord {
        DkimRecord {
            key_type,
            public_key,
            flags: Vec::new(),
        }
    }

    /// Is this the revoked form (empty `p=`)?
    pub fn is_revoked(&self) -> bool {
        self.public_key.is_empty()
    }

    /// The TXT value zonectl publishes: `v=DKIM1; k=rsa; p=BASE64` (or `k=ed25519`), or
    /// [`REVOKED_VALUE`] for a revoked key. Flags are not written: zonectl never sets them.
    pub fn to_value(&self) -> String {
        if self.is_revoked() {
            return REVOKED_VALUE.to_owned();
        }
        format!(
            "v=DKIM1; k={}; p={}",
            self.key_type,
            base64::engine::general_purpose::STANDARD.encode(&self.public_key)
        )
    }

    /// The TXT wire RDATA: [`DkimRecord::to_value`] split into strings of at most 255 bytes,
    /// which receivers join without separators (RFC 6376 §3.6.2.2).
    pub fn to_rdata(&self) -> Vec<u8> {
        txt_from_value(self.to_value().as_bytes())
    }

    /// Parses TXT wire RDATA (its strings joined, as receivers do).
    pub fn from_rdata(rdata: &[u8]) -> Result<DkimRecord, RecordError> {
        let strings = txt_strings(rdata).ok_or(RecordError::MalformedTxt)?;
        let value: Vec<u8> = strings.concat();
        let text = std::str::from_utf8(&value)
            .map_err(|_| RecordError::TagList("not ASCII text".into()))?;
        DkimRecord::parse(text)
    }

    /// Parses a key record's tag list (RFC 6376 §3.2 and §3.6.1).
    pub fn parse(text: &str) -> Result<DkimRecord, RecordError> {
        let mut seen: Vec<String> = Vec::new();
        let mut key_type = KeyType::Rsa;
        let mut public_key = None;
        let mut flags = Vec::new();
        for (i, spec) in text.split(';').enumerate() {
            let spec = spec.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n');
            if spec.is_empty() {
                // A trailing `;` is allowed; an empty tag in the middle is tolerated as well.
                continue;
            }
            let (name, value) = spec
                .split_once('=')
                .ok_or_else(|| RecordError::TagList(format!("'{spec}' has no '='")))?;
            let name = name.trim_end_matches([' ', '\t']);
            let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
            if name.is_empty()
                || !name.starts_with(|c: char| c.is_ascii_alphabetic())
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(RecordError::TagList(format!("'{name}' is not a tag name")));
            }
            if seen.iter().any(|s| s == name) {
                return Err(RecordError::Duplicate(name.to_owned()));
            }
            seen.push(name.to_owned());
            match name {
                "v" => {
                    if i != 0 {
                        return Err(RecordError::VersionNotFirst);
                    }
                    if value != "DKIM1" {
                        return Err(RecordError::Version(value.to_owned()));
                    }
                }
                "k" => {
                    key_type = match value {
                        "rsa" => KeyType::Rsa,
                        "ed25519" => KeyType::Ed25519,
                        other => return Err(RecordError::KeyType(other.to_owned())),
                    }
                }
                "p" => public_key = Some(decode_key(value).ok_or(RecordError::Base64)?),
                "t" => {
                    flags = value
                        .split(':')
                        .map(|f| f.trim().to_owned())
                        .filter(|f| !f.is_empty())
                        .collect();
                }
                // h=, n=, s= and unknown tags are allowed and ignored (RFC 6376 §3.2).
                _ => {}
            }
        }
        let public_key = public_key.ok_or(RecordError::NoPublicKey)?;
        if key_type == KeyType::Ed25519 && !public_key.is_empty() && public_key.len() != 32 {
            return Err(RecordError::Ed25519Length(public_key.len()));
        }
        Ok(DkimRecord {
            key_type,
            public_key,
            flags,
        })
    }
}

/// The bytes of a `p=` value: base64, whitespace anywhere in it allowed (RFC 6376 §3.6.1 lets
/// the value be folded). `None` if it is not base64.
fn decode_key(value: &str) -> Option<Vec<u8>> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
}

/// Is this TXT value, at a selector's name (`SELECTOR._domainkey.DOMAIN`), meant as a key
/// record: `v=DKIM1` first, or a `p=` tag? Other TXT records there (a verification token) are
/// not read by verifiers as keys unless they parse as one.
pub fn is_key_record(text: &[u8]) -> bool {
    text.trim_ascii_start().starts_with(b"v=DKIM1")
        || text.split(|&b| b == b';').any(|spec| {
            spec.split(|&b| b == b'=')
                .next()
                .is_some_and(|name| name.trim_ascii() == b"p")
                && spec.contains(&b'=')
        })
}

/// What of a private key a TXT value holds, if any: a zone is public, so a private key in it is
/// published to everyone. Found: a PEM block (`-----BEGIN … PRIVATE KEY-----`), or a DKIM key
/// record (`v=DKIM1`, or `p=` at a `_domainkey` name as `dkim_name` says) whose `p=` holds a
/// private key's DER instead of the public key's ([`is_private_key_der`]). An Ed25519 private
/// key (32 raw bytes, like the public one) cannot be told apart.
pub fn private_key_in(text: &[u8], dkim_name: bool) -> Option<&'static str> {
    const PEM: &[u8] = b"PRIVATE KEY-----";
    if text.windows(PEM.len()).any(|w| w == PEM) {
        return Some("a PEM private key");
    }
    if !(dkim_name || text.starts_with(b"v=DKIM1")) {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    let p = text.split(';').find_map(|spec| {
        let (name, value) = spec.split_once('=')?;
        (name.trim() == "p").then_some(value)
    })?;
    is_private_key_der(&decode_key(p)?)
        .then_some("a private key in p= (the public key belongs there)")
}

/// Whether DER `der` is a private key: a PKCS#1 RSAPrivateKey or a PKCS#8 PrivateKeyInfo (or
/// OneAsymmetricKey), a SEQUENCE that fills it, whose first element is its version, INTEGER 0
/// or 1. A public key's SEQUENCE starts with another SEQUENCE (SubjectPublicKeyInfo) or with
/// the modulus (RSAPublicKey), never with a one-byte integer. 32 bytes are a raw Ed25519
/// public key whatever they hold (the smallest private key DER, Ed25519's PKCS#8, is 48).
pub fn is_private_key_der(der: &[u8]) -> bool {
    if der.len() <= 32 || der[0] != 0x30 {
        return false;
    }
    // The SEQUENCE's length: short form, or long form with 1 to 4 length bytes.
    let (header, len) = match der[1] {
        n if n < 0x80 => (2, usize::from(n)),
        n @ 0x81..=0x84 => {
            let k = usize::from(n - 0x80);
            let Some(bytes) = der.get(2..2 + k) else {
                return false;
            };
            (2 + k, bytes.iter().fold(0, |l, &b| l << 8 | usize::from(b)))
        }
        _ => return false,
    };
    header + len == der.len()
        && matches!(der.get(header..header + 3), Some([0x02, 0x01, 0x00 | 0x01]))
}

/// The owner name of selector `selector`'s record, relative to the zone: `SEL._domainkey`.
pub fn owner_label(selector: &str) -> String {
    format!("{selector}._domainkey")
}

/// Is `selector` usable as a selector zonectl manages? One DNS label of letters, digits and
/// hyphens (no leading or trailing hyphen), at most 63 bytes, so that it is also a safe file name.
/// (RFC 6376 allows dotted selectors; zonectl keeps one label so `keys/ZONE/SEL.private` is flat.)
pub fn valid_selector(selector: &str) -> bool {
    !selector.is_empty()
        && selector.len() <= 63
        && selector
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !selector.starts_with('-')
        && !selector.ends_with('-')
}

/// The `.txt` file written beside a key, in the shape of opendkim-genkey's: one zone-file line
/// with the record's strings exactly as published, and a comment naming the key.
pub fn txt_file(selector: &str, zone: &str, record: &DkimRecord) -> String {
    let rdata = record.to_rdata();
    let strings = txt_strings(&rdata).expect("txt_from_value builds valid RDATA");
    let quoted: Vec<String> = strings
        .iter()
        .map(|s| format!("\"{}\"", String::from_utf8_lossy(s)))
        .collect();
    format!(
        "{}\tIN\tTXT\t( {} )  ; ----- DKIM key {selector} for {}\n",
        owner_label(selector),
        quoted.join("\n\t  "),
        zone.trim_end_matches('.')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DER inside a one-block PEM document.
    fn pem_der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    #[test]
    fn private_keys_are_told_from_public_ones() {
        use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
        use rsa::pkcs8::DecodePrivateKey;
        let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
        let rsa = crate::dkim::key::PrivateKey::generate_rsa(1024, 1).unwrap();
        let pkcs8 = pem_der(&rsa.to_pem());
        let pair = rsa::RsaPrivateKey::from_pkcs8_der(&pkcs8).unwrap();
        let pkcs1 = pair.to_pkcs1_der().unwrap().as_bytes().to_vec();
        let rsa_public = rsa::RsaPublicKey::from(&pair).to_pkcs1_der().unwrap();
        let ed = crate::dkim::key::PrivateKey::generate_ed25519().unwrap();
        let ed_pkcs8 = pem_der(&ed.to_pem());

        for der in [&pkcs8, &pkcs1, &ed_pkcs8] {
            assert!(is_private_key_der(der), "{der:02x?}");
        }
        // A raw Ed25519 public key may start like a private key's DER.
        let mut raw_ed = [0u8; 32];
        raw_ed[..5].copy_from_slice(&[0x30, 0x1e, 0x02, 0x01, 0x00]);
        let ed_public = ed.public_key();
        for der in [
            &rsa.public_key()[..],
            rsa_public.as_bytes(),
            &ed_public,
            &raw_ed,
            &[],
            &[0x30],
        ] {
            assert!(!is_private_key_der(der), "{der:02x?}");
        }

        // In TXT values: PEM anywhere; DER in a DKIM record's p=.
        let pem = rsa.to_pem();
        assert_eq!(
            private_key_in(pem.as_bytes(), false),
            Some("a PEM private key")
        );
        let in_p = format!("v=DKIM1; k=rsa; p={}", b64(&pkcs8));
        assert!(private_key_in(in_p.as_bytes(), false).is_some());
        let bare_p = format!("k=rsa; p={}", b64(&pkcs1));
        assert!(private_key_in(bare_p.as_bytes(), true).is_some());
        assert_eq!(private_key_in(bare_p.as_bytes(), false), None);
        // Published keys, revoked keys and other TXT: nothing.
        for ok in [
            rsa.record().to_value(),
            ed.record().to_value(),
            REVOKED_VALUE.to_owned(),
            "v=spf1 -all".to_owned(),
            "p=not base64!".to_owned(),
        ] {
            assert_eq!(private_key_in(ok.as_bytes(), true), None, "{ok}");
        }
    }

    /// A DER SubjectPublicKeyInfo-sized blob: 294 bytes, like an RSA-2048 key's.
    fn rsa2048_sized() -> Vec<u8> {
        (0..294u32).map(|i| (i * 7 + 3) as u8).collect()
    }

    #[test]
    fn builds_the_value_the_issue_specifies() {
        let ed = DkimRecord::new(KeyType::Ed25519, vec![0xd7; 32]);
        assert_eq!(
            ed.to_value(),
            "v=DKIM1; k=ed25519; p=19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19c="
        );
        let rsa = DkimRecord::new(KeyType::Rsa, vec![1, 2, 3]);
        assert_eq!(rsa.to_value(), "v=DKIM1; k=rsa; p=AQID");
        assert_eq!(
            DkimRecord::new(KeyType::Rsa, vec![]).to_value(),
            "v=DKIM1; p="
        );
    }

    #[test]
    fn splits_at_the_255_byte_boundary() {
        // The value is the 18-byte prefix "v=DKIM1; k=rsa; p=" and 4⌈n/3⌉ base64 characters.
        for (key_len, want) in [
            (3, vec![22]),
            (177, vec![254]),
            (178, vec![255, 3]),
            (294, vec![255, 155]),
            (550, vec![255, 255, 244]),
        ] {
            let r = DkimRecord::new(KeyType::Rsa, vec![0x5a; key_len]);
            let value = r.to_value();
            let rdata = r.to_rdata();
            let strings = txt_strings(&rdata).unwrap();
            let lens: Vec<usize> = strings.iter().map(|s| s.len()).collect();
            assert_eq!(lens, want, "key of {key_len} bytes");
            assert_eq!(strings.concat(), value.as_bytes(), "joined back exactly");
        }
    }

    #[test]
    fn parses_published_records_back() {
        let key = rsa2048_sized();
        let r = DkimRecord::new(KeyType::Rsa, key.clone());
        assert_eq!(DkimRecord::from_rdata(&r.to_rdata()).unwrap(), r);
        let e = DkimRecord::new(KeyType::Ed25519, vec![9; 32]);
        assert_eq!(DkimRecord::from_rdata(&e.to_rdata()).unwrap(), e);
        let revoked = DkimRecord::from_rdata(&txt_from_value(REVOKED_VALUE.as_bytes())).unwrap();
        assert!(revoked.is_revoked());
        // opendkim-genkey's shape: h= tag, whitespace inside p=, split mid-base64.
        let parsed = DkimRecord::parse("v=DKIM1; h=sha256; k=rsa; p=AQ ID\t; t=y:s").unwrap();
        assert_eq!(parsed.public_key, vec![1, 2, 3]);
        assert_eq!(parsed.flags, ["y", "s"]);
        // The RFC 8463 example record (corpus rfc8463-football.example.com.zone).
        let rfc =
            DkimRecord::parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
                .unwrap();
        assert_eq!(rfc.key_type, KeyType::Ed25519);
        assert_eq!(rfc.public_key.len(), 32);
        // No v= at all is allowed; k= defaults to rsa.
        assert_eq!(DkimRecord::parse("p=AQID").unwrap().key_type, KeyType::Rsa);
    }

    #[test]
    fn refuses_broken_records() {
        for (text, want) in [
            ("v=DKIM2; p=AQID", RecordError::Version("DKIM2".into())),
            ("k=rsa; v=DKIM1; p=AQID", RecordError::VersionNotFirst),
            ("v=DKIM1; k=rsa", RecordError::NoPublicKey),
            ("v=DKIM1; k=dsa; p=AQID", RecordError::KeyType("dsa".into())),
            ("v=DKIM1; p=***", RecordError::Base64),
            (
                "v=DKIM1; p=AQID; p=AQID",
                RecordError::Duplicate("p".into()),
            ),
            ("v=DKIM1; k=ed25519; p=AQID", RecordError::Ed25519Length(3)),
        ] {
            assert_eq!(DkimRecord::parse(text), Err(want), "{text}");
        }
        assert!(matches!(
            DkimRecord::parse("v=DKIM1; garbage"),
            Err(RecordError::TagList(_))
        ));
        assert_eq!(
            DkimRecord::from_rdata(&[5, b'a']),
            Err(RecordError::MalformedTxt)
        );
    }

    #[test]
    fn selectors_are_one_safe_label() {
        for good in ["s20261129", "mail-2026", "a", &"x".repeat(63)] {
            assert!(valid_selector(good), "{good}");
        }
        for bad in ["", "-a", "a-", "a.b", "../x", "a/b", "a b", &"x".repeat(64)] {
            assert!(!valid_selector(bad), "{bad}");
        }
    }

    #[test]
    fn txt_file_has_the_published_strings() {
        let r = DkimRecord::new(KeyType::Rsa, rsa2048_sized());
        let text = txt_file("sel", "example.com.", &r);
        assert!(text.starts_with("sel._domainkey\tIN\tTXT\t( \"v=DKIM1; k=rsa; p="));
        assert!(text.ends_with(" )  ; ----- DKIM key sel for example.com\n"));
        let joined: String = text
            .split('"')
            .skip(1)
            .step_by(2)
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(joined, r.to_value());
    }
}
