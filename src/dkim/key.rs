//! DKIM key pairs: generation, PKCS#8 PEM encoding and decoding, and the public key (the `p=`
//! of the record) a private key implies.
//!
//! - Ed25519 with `ring`: 32 random bytes from `ring::rand::SystemRandom` are the seed, and the
//!   file is the RFC 8410 PKCS#8 **v1** document (`OneAsymmetricKey` version 0, no public key),
//!   because ring's own `generate_pkcs8` writes v2, which OpenSSL 3.0 refuses ("unsupported").
//! - RSA with the `rsa` crate (ring cannot generate RSA keys): public exponent 65537, two primes
//!   of half the size each, found by `num-bigint-dig`'s `gen_prime` (the same routine
//!   `rsa::RsaPrivateKey::new` uses) on several threads at once, then assembled and validated by
//!   `RsaPrivateKey::from_p_q`. Written as PKCS#8 (`BEGIN PRIVATE KEY`), as OpenSSL 3 and
//!   opendkim-genkey write it.
//!
//! Secrets are held in `Zeroizing` buffers where this module owns them, and `Debug` never prints
//! them. No file I/O here: `dkim::files` writes what [`PrivateKey::to_pem`] returns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use base64::Engine;
use ring::signature::KeyPair;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

use super::record::{DkimRecord, KeyType};

/// The key algorithm of a key pair (the record's `k=`).
pub type Algorithm = KeyType;

/// RSA sizes zonectl generates: 2048 by default; 3072 and 4096 allowed; 1024 only forced.
pub const RSA_DEFAULT_BITS: usize = 2048;

/// The DER prefix of an RFC 8410 PKCS#8 v1 Ed25519 private key: SEQUENCE { INTEGER 0,
/// AlgorithmIdentifier { 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "RSA keys of {0} bits are refused: 2048 (the default), 3072 or 4096; 1024 only with \
         --force (RFC 8301 forbids signing with less than 1024 and calls 1024 weak)"
    )]
    RsaBits(usize),
    #[error("the random number generator failed")]
    Random,
    #[error("RSA key generation failed: {0}")]
    Rsa(String),
    #[error("not a PEM private key (expected -----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)")]
    NotPem,
    #[error("the PEM body is not valid base64")]
    PemBase64,
    #[error("neither an Ed25519 nor an RSA private key in PKCS#8 or PKCS#1 form")]
    UnknownKey,
    #[error("the published public key cannot be read: {0}")]
    PublicKey(String),
}

/// What RSA sizes mean: allowed, allowed with a warning under `--force`, refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaBitsVerdict {
    Ok,
    /// 1024 with `--force`: allowed, but verifiers may call it weak (RFC 8301 §3.2).
    Weak,
}

/// Checks an RSA size against RFC 8301 and zonectl's rule (see [`KeyError::RsaBits`]).
pub fn check_rsa_bits(bits: usize, force: bool) -> Result<RsaBitsVerdict, KeyError> {
    match bits {
        2048 | 3072 | 4096 => Ok(RsaBitsVerdict::Ok),
        1024 if force => Ok(RsaBitsVerdict::Weak),
        _ => Err(KeyError::RsaBits(bits)),
    }
}

/// A private key and the public key it implies.
pub enum PrivateKey {
    Rsa(Box<RsaPrivateKey>),
    Ed25519 {
        seed: Zeroizing<[u8; 32]>,
        public: [u8; 32],
    },
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret: only what the public record shows.
        write!(f, "PrivateKey({} {} bits)", self.algorithm(), self.bits())
    }
}

impl PrivateKey {
    /// A new Ed25519 key from 32 bytes of the OS random source.
    pub fn generate_ed25519() -> Result<PrivateKey, KeyError> {
        use ring::rand::SecureRandom;
        let mut seed = Zeroizing::new([0u8; 32]);
        ring::rand::SystemRandom::new()
            .fill(&mut seed[..])
            .map_err(|_| KeyError::Random)?;
        PrivateKey::ed25519_from_seed(seed)
    }

    fn ed25519_from_seed(seed: Zeroizing<[u8; 32]>) -> Result<PrivateKey, KeyError> {
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed[..])
            .map_err(|_| KeyError::UnknownKey)?;
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        Ok(PrivateKey::Ed25519 { seed, public })
    }

    /// A new RSA key of `bits` bits (exponent 65537). The two primes are searched for on
    /// `threads` threads at once (at least 1); the first two distinct primes that make a valid
    /// key of exactly `bits` bits are used. Threads still searching when the key is found stop
    /// after their current candidate prime; nothing they find is used.
    pub fn generate_rsa(bits: usize, threads: usize) -> Result<PrivateKey, KeyError> {
        use num_bigint_dig::RandPrime;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<BigUint>();
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                // OsRng: getrandom(2) for every candidate, as RsaPrivateKey::new with OsRng.
                let mut rng = rsa::rand_core::OsRng;
                while !stop.load(Ordering::Relaxed) {
                    let p = rng.gen_prime(bits / 2);
                    if tx.send(p).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let e = BigUint::from(65_537u32);
        let mut pending: Option<BigUint> = None;
        let key = loop {
            let p = rx
                .recv()
                .map_err(|_| KeyError::Rsa("the prime search threads ended".into()))?;
            let Some(q) = pending.take() else {
                pending = Some(p);
                continue;
            };
            // from_p_q refuses p == q and an exponent not invertible mod λ(n), and validates
            // the key; a modulus one bit short cannot happen (gen_prime sets the top two bits)
            // but is checked all the same.
            match RsaPrivateKey::from_p_q(p.clone(), q, e.clone()) {
                Ok(k) if k.n().bits() == bits => break k,
                _ => pending = Some(p),
            }
        };
        stop.store(true, Ordering::Relaxed);
        Ok(PrivateKey::Rsa(Box::new(key)))
    }

    /// The algorithm (`k=`).
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PrivateKey::Rsa(_) => KeyType::Rsa,
            PrivateKey::Ed25519 { .. } => KeyType::Ed25519,
        }
    }

    /// The key size in bits (the modulus for RSA; 256 for Ed25519).
    pub fn bits(&self) -> usize {
        match self {
            PrivateKey::Rsa(k) => k.n().bits(),
            PrivateKey::Ed25519 { .. } => 256,
        }
    }

    /// The bytes of the record's `p=`: DER SubjectPublicKeyInfo (RSA) or the raw 32-byte key.
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            PrivateKey::Rsa(k) => RsaPublicKey::from(k.as_ref())
                .to_public_key_der()
                .expect("an RSA public key always encodes")
                .into_vec(),
            PrivateKey::Ed25519 { public, .. } => public.to_vec(),
        }
    }

    /// The DKIM record publishing this key.
    pub fn record(&self) -> DkimRecord {
        DkimRecord::new(self.algorithm(), self.public_key())
    }

    /// The PKCS#8 PEM document (`-----BEGIN PRIVATE KEY-----`, LF line endings).
    pub fn to_pem(&self) -> Zeroizing<String> {
        match self {
            PrivateKey::Rsa(k) => k
                .to_pkcs8_pem(LineEnding::LF)
                .expect("an RSA private key always encodes"),
            PrivateKey::Ed25519 { seed, .. } => {
                let mut der = Zeroizing::new(Vec::with_capacity(48));
                der.extend_from_slice(&ED25519_PKCS8_V1_PREFIX);
                der.extend_from_slice(&seed[..]);
                pem_encode("PRIVATE KEY", &der)
            }
        }
    }

    /// Reads a PEM private key: PKCS#8 (`PRIVATE KEY`; Ed25519 v1 or v2, or RSA) or PKCS#1
    /// (`RSA PRIVATE KEY`).
    pub fn from_pem(text: &str) -> Result<PrivateKey, KeyError> {
        let (label, der) = pem_decode(text)?;
        match label.as_str() {
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| PrivateKey::Rsa(Box::new(k)))
                .map_err(|_| KeyError::UnknownKey),
            "PRIVATE KEY" => {
                if der.len() == 48 && der[..16] == ED25519_PKCS8_V1_PREFIX {
                    let mut seed = Zeroizing::new([0u8; 32]);
                    seed.copy_from_slice(&der[16..]);
                    return PrivateKey::ed25519_from_seed(seed);
                }
                if let Ok(pair) = ring::signature::Ed25519KeyPair::from_pkcs8(&der) {
                    // A v2 document (ring's own): ring checks the public key it holds. The seed
                    // is not exposed by ring, but it is the inner OCTET STRING after the prefix.
                    if der.len() >= 48 && der[5..12] == ED25519_PKCS8_V1_PREFIX[5..12] {
                        let mut seed = Zeroizing::new([0u8; 32]);
                        seed.copy_from_slice(&der[16..48]);
                        let mut public = [0u8; 32];
                        public.copy_from_slice(pair.public_key().as_ref());
                        return Ok(PrivateKey::Ed25519 { seed, public });
                    }
                }
                RsaPrivateKey::from_pkcs8_der(&der)
                    .map(|k| PrivateKey::Rsa(Box::new(k)))
                    .map_err(|_| KeyError::UnknownKey)
            }
            _ => Err(KeyError::NotPem),
        }
    }
}

/// What a published `p=` says about its key: the size in bits, when it can be read. An RSA key
/// is a SubjectPublicKeyInfo (RFC 6376 §3.6.1, as `dkim keygen` publishes it) or the bare
/// RSAPublicKey some publish, which verifiers (dkimpy, for one) read too.
pub fn public_key_bits(key_type: KeyType, public_key: &[u8]) -> Result<usize, KeyError> {
    match key_type {
        KeyType::Ed25519 if public_key.len() == 32 => Ok(256),
        KeyType::Ed25519 => Err(KeyError::PublicKey(format!(
            "{} bytes, not 32",
            public_key.len()
        ))),
        KeyType::Rsa => RsaPublicKey::from_public_key_der(public_key)
            .or_else(|e| RsaPublicKey::from_pkcs1_der(public_key).map_err(|_| e))
            .map(|k| k.n().bits())
            .map_err(|e| KeyError::PublicKey(e.to_string())),
    }
}

/// Why verifiers cannot use the key a published key record holds, if they cannot: a `p=` that
/// is not a key of its type (an RSA key cut short when pasted), or an RSA key under 1024 bits,
/// which RFC 8301 §3.2 forbids verifiers to accept. A revoked record (empty `p=`) holds none.
pub fn unusable_key(record: &DkimRecord) -> Option<String> {
    if record.is_revoked() {
        return None;
    }
    match public_key_bits(record.key_type, &record.public_key) {
        Ok(bits) if record.key_type == KeyType::Rsa && bits < 1024 => Some(format!(
            "rsa {bits}: verifiers reject RSA keys under 1024 bits (RFC 8301 §3.2)"
        )),
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    }
}

/// A PEM document: `-----BEGIN label-----`, base64 in 64-column lines, `-----END label-----`.
fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = Zeroizing::new(format!("-----BEGIN {label}-----\n"));
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The label and DER bytes of the first PEM block in `text`.
fn pem_decode(text: &str) -> Result<(String, Zeroizing<Vec<u8>>), KeyError> {
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|l| {
            l.strip_prefix("-----BEGIN ")
                .and_then(|r| r.strip_suffix("-----"))
        })
        .ok_or(KeyError::NotPem)?
        .to_owned();
    let end = format!("-----END {label}-----");
    let mut b64 = Zeroizing::new(String::new());
    let mut ended = false;
    for l in lines {
        if l == end {
            ended = true;
            break;
        }
        b64.push_str(l);
    }
    if !ended {
        return Err(KeyError::NotPem);
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| KeyError::PemBase64)?;
    Ok((label, Zeroizing::new(der)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_sizes_follow_rfc_8301() {
        assert_eq!(check_rsa_bits(2048, false).unwrap(), RsaBitsVerdict::Ok);
        assert_eq!(check_rsa_bits(3072, false).unwrap(), RsaBitsVerdict::Ok);
        assert_eq!(check_rsa_bits(4096, true).unwrap(), RsaBitsVerdict::Ok);
        assert!(check_rsa_bits(1024, false).is_err());
        assert_eq!(check_rsa_bits(1024, true).unwrap(), RsaBitsVerdict::Weak);
        for bits in [512, 768, 1023, 2047, 2049, 8192] {
            assert!(check_rsa_bits(bits, true).is_err(), "{bits}");
        }
    }

    #[test]
    fn ed25519_round_trips_through_pkcs8_v1_pem() {
        let key = PrivateKey::generate_ed25519().unwrap();
        let pem = key.to_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let (_, der) = pem_decode(&pem).unwrap();
        assert_eq!(der.len(), 48, "v1: no public key inside");
        assert_eq!(der[..16], ED25519_PKCS8_V1_PREFIX);
        let back = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert_eq!(back.algorithm(), KeyType::Ed25519);
        assert_eq!(key.record().key_type, KeyType::Ed25519);
        // ring's v2 document of the same kind reads too.
        let rng = ring::rand::SystemRandom::new();
        let v2 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(v2.as_ref()).unwrap();
        let read = PrivateKey::from_pem(&pem_encode("PRIVATE KEY", v2.as_ref())).unwrap();
        assert_eq!(read.public_key(), pair.public_key().as_ref());
    }

    #[test]
    fn ed25519_public_key_is_the_rfc_8032_one() {
        // RFC 8032 §7.1 TEST 1 (the corpus's dkimpy/rfc8032_7_1.key).
        let seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let mut seed = Zeroizing::new([0u8; 32]);
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&seed_hex[2 * i..2 * i + 2], 16).unwrap();
        }
        let key = PrivateKey::ed25519_from_seed(seed).unwrap();
        let hex: String = key
            .public_key()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(format!("{key:?}"), "PrivateKey(ed25519 256 bits)");
    }

    #[test]
    fn rsa_key_round_trips_and_its_record_parses() {
        // One keygen for the whole module (debug builds are slow at it).
        let key = PrivateKey::generate_rsa(2048, 2).unwrap();
        assert_eq!(key.bits(), 2048);
        let pem = key.to_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let spki = key.public_key();
        assert_eq!(public_key_bits(KeyType::Rsa, &spki).unwrap(), 2048);
        let record = DkimRecord::from_rdata(&key.record().to_rdata()).unwrap();
        assert_eq!(record.public_key, spki);
        // PKCS#1 (`BEGIN RSA PRIVATE KEY`) of the same key reads as the same key.
        let PrivateKey::Rsa(k) = &key else {
            panic!("an RSA key")
        };
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let pkcs1 = k.to_pkcs1_pem(LineEnding::LF).unwrap();
        assert_eq!(PrivateKey::from_pem(&pkcs1).unwrap().public_key(), spki);
        assert!(!format!("{key:?}").contains("BEGIN"));
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(matches!(
            PrivateKey::from_pem("hello"),
            Err(KeyError::NotPem)
        ));
        assert!(matches!(
            PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n"),
            Err(KeyError::PemBase64)
        ));
        assert!(matches!(
            PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n"),
            Err(KeyError::UnknownKey)
        ));
        assert!(public_key_bits(KeyType::Rsa, &[1, 2, 3]).is_err());
    }
}
