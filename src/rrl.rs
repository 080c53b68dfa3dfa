//! Response rate limiting (RRL) for answers over UDP, as BIND, Knot (`mod-rrl`) and NSD do it,
//! so that a server on a public address is not a cheap amplifier in a reflection attack: a
//! forged query, sent "from" a victim, gets at most `rate` answers a second of one kind from
//! one network of clients; past that the answers are dropped, and every `slip`-th of them is
//! sent as a small truncated answer instead, so that a real client behind that network asks
//! again over TCP (which cannot be forged) and still gets its answer.
//!
//! Responses are counted in buckets named by the client's network (its address cut to a
//! prefix), the kind of response and a name ([`RateKey`]): an answer by the name asked for
//! and its type, an answer made from a wildcard or a DNAME by it, an NXDOMAIN or a NODATA
//! answer by the zone (so random names do not each get a bucket of their own), a referral by
//! the delegation, an error by the client's network alone. The buckets are a fixed table of
//! atomic words: each UDP thread reads and writes them without a lock, and a race between two
//! threads on one bucket loses at most a count.
//!
//! Pure: time is passed in ([`Limiter::seconds`] turns an instant into it).

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use ipnet::IpNet;

/// What a response is, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Records of the name and type asked for (also a CNAME to follow).
    #[default]
    Answer,
    /// Records made from a wildcard or a DNAME for a name that does not exist itself: counted
    /// by the wildcard or the DNAME.
    Synthesized,
    /// The name does not exist: counted by the zone.
    NxDomain,
    /// The name exists but has no records of the type asked for: counted by the zone.
    NoData,
    /// A delegation: counted by the delegated name.
    Referral,
    /// REFUSED, FORMERR, NOTIMP and the like: counted by the client's network alone.
    Error,
}

/// The bucket a response counts in, apart from the client: filled in by the wire layer as it
/// answers.
#[derive(Debug, Clone, Copy)]
pub struct RateKey {
    pub kind: Kind,
    /// The type asked for, for [`Kind::Answer`]; 0 otherwise.
    pub qtype: u16,
    /// The name the response counts by (lower-cased wire form), `name_len` bytes of it.
    name: [u8; 255],
    name_len: u8,
    /// Set for a request signed with a TSIG key that verified: never limited (it cannot be
    /// forged).
    pub signed: bool,
}

impl Default for RateKey {
    fn default() -> Self {
        RateKey {
            kind: Kind::Error,
            qtype: 0,
            name: [0; 255],
            name_len: 0,
            signed: false,
        }
    }
}

impl RateKey {
    /// Counts the response as `kind` by `name` (lower-cased wire form; cut at 255 bytes) and
    /// `qtype`.
    pub fn set(&mut self, kind: Kind, name: &[u8], qtype: u16) {
        let len = name.len().min(self.name.len());
        self.kind = kind;
        self.qtype = qtype;
        self.name[..len].copy_from_slice(&name[..len]);
        self.name_len = len as u8;
    }

    /// The name it counts by.
    pub fn name(&self) -> &[u8] {
        &self.name[..self.name_len as usize]
    }
}

/// What to do with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Over the rate: send a truncated answer with no records instead (TC set).
    Slip,
    /// Over the rate: send nothing.
    Drop,
}

/// The settings of `[rate_limit]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Responses a second per bucket.
    pub rate: u16,
    /// Every `slip`-th limited response is sent truncated; 0 drops them all.
    pub slip: u8,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    /// Clients never limited.
    pub exempt: Vec<IpNet>,
}

/// Seconds after which a bucket is forgotten.
const WINDOW: u16 = 60;

/// Buckets in the table (2 MB).
const SLOTS: usize = 1 << 18;

/// The bucket table. Each word holds a bucket: its tokens (16 bits), the second it was last
/// used (16 bits, wrapping), its count of limited responses towards the next slip (4 bits)
/// and a 28-bit tag from its key's hash, which tells its key from another one hashed to the
/// same place.
pub struct Limiter {
    settings: Settings,
    /// When it was made: [`Limiter::seconds`] counts from it.
    epoch: std::time::Instant,
    hasher: RandomState,
    /// A power of two long.
    table: Box<[AtomicU64]>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A bucket, unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    tokens: u16,
    stamp: u16,
    slip: u8,
    tag: u32,
}

impl Bucket {
    fn unpack(word: u64) -> Bucket {
        Bucket {
            tokens: word as u16,
            stamp: (word >> 16) as u16,
            slip: ((word >> 32) & 0xF) as u8,
            tag: (word >> 36) as u32,
        }
    }

    fn pack(self) -> u64 {
        u64::from(self.tokens)
            | u64::from(self.stamp) << 16
            | u64::from(self.slip & 0xF) << 32
            | u64::from(self.tag) << 36
    }

    /// Was it used within the window before `now`? (An unused word has a zero tag, which no
    /// key gets.)
    fn live(self, now: u16) -> bool {
        self.tag != 0 && now.wrapping_sub(self.stamp) <= WINDOW
    }
}

impl Limiter {
    pub fn new(settings: Settings) -> Limiter {
        Limiter::with_slots(settings, SLOTS)
    }

    /// A limiter of `slots` buckets (a power of two).
    fn with_slots(settings: Settings, slots: usize) -> Limiter {
        debug_assert!(slots.is_power_of_two() && slots >= 2);
        Limiter {
            settings,
            epoch: std::time::Instant::now(),
            hasher: RandomState::new(),
            table: (0..slots).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// `at` in whole seconds since the limiter was made: the time [`Limiter::check`] takes.
    pub fn seconds(&self, at: std::time::Instant) -> u32 {
        at.saturating_duration_since(self.epoch).as_secs() as u32
    }

    /// The network `client` counts in: its address cut to the configured prefix.
    pub fn network(&self, client: IpAddr) -> IpNet {
        let client = client.to_canonical();
        let len = match client {
            IpAddr::V4(_) => self.settings.ipv4_prefix,
            IpAddr::V6(_) => self.settings.ipv6_prefix,
        };
        IpNet::new(client, len)
            .map(|n| n.trunc())
            .unwrap_or_else(|_| IpNet::from(client))
    }

    /// Counts a response of `key` to `client` at `now` (seconds from any fixed start): whether
    /// to send it, send it truncated, or drop it.
    pub fn check(&self, client: IpAddr, key: &RateKey, now: u32) -> Verdict {
        if key.signed || self.settings.exempt.iter().any(|n| n.contains(&client)) {
            return Verdict::Send;
        }
        let net = self.network(client);
        let hash = self
            .hasher
            .hash_one((net, key.kind as u8, key.qtype, key.name()));
        // A tag of 0 marks an unused word.
        let tag = ((hash >> 36) as u32).max(1);
        let now = now as u16;
        let first = hash as usize & (self.table.len() - 1);
        // Two places for each key, side by side: its own bucket if either holds it, else the
        // one not in use or used longer ago.
        let (at, found) = [first, first ^ 1]
            .into_iter()
            .map(|i| (i, Bucket::unpack(self.table[i].load(Ordering::Relaxed))))
            .min_by_key(|(_, b)| {
                if b.tag == tag && b.live(now) {
                    (0, 0)
                } else if !b.live(now) {
                    (1, 0)
                } else {
                    (2, u32::from(WINDOW) - u32::from(now.wrapping_sub(b.stamp)))
                }
            })
            .expect("two places");
        let rate = self.settings.rate;
        let mut bucket = if found.tag == tag && found.live(now) {
            let elapsed = u32::from(now.wrapping_sub(found.stamp));
            let refill = (elapsed * u32::from(rate)).min(u32::from(u16::MAX)) as u16;
            Bucket {
                tokens: found.tokens.saturating_add(refill).min(rate),
                stamp: now,
                ..found
            }
        } else {
            Bucket {
                tokens: rate,
                stamp: now,
                slip: 0,
                tag,
            }
        };
        let verdict = if bucket.tokens > 0 {
            bucket.tokens -= 1;
            Verdict::Send
        } else if self.settings.slip == 0 {
            Verdict::Drop
        } else {
            bucket.slip = (bucket.slip + 1) % self.settings.slip;
            if bucket.slip == 0 {
                Verdict::Slip
            } else {
                Verdict::Drop
            }
        };
        self.table[at].store(bucket.pack(), Ordering::Relaxed);
        verdict
    }
}

/// Turns the response in `out` into its truncated form: the header with TC set and no record
/// counted but the question, and the question. Leaves `out` alone if it holds no whole
/// question.
pub fn truncate(out: &mut Vec<u8>) {
    const HEADER: usize = 12;
    if out.len() < HEADER {
        return;
    }
    let qdcount = u16::from_be_bytes([out[4], out[5]]);
    let mut end = HEADER;
    if qdcount == 1 {
        match crate::zone::name::wire_name_len(&out[HEADER..]) {
            Some(len) if HEADER + len + 4 <= out.len() => end = HEADER + len + 4,
            _ => return,
        }
    } else if qdcount != 0 {
        return;
    }
    out.truncate(end);
    out[2] |= 0x02; // TC
    out[6..12].fill(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: u16, slip: u8) -> Limiter {
        Limiter::new(Settings {
            rate,
            slip,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
            exempt: vec!["192.0.2.128/25".parse().unwrap()],
        })
    }

    fn key(kind: Kind, name: &[u8], qtype: u16) -> RateKey {
        let mut k = RateKey::default();
        k.set(kind, name, qtype);
        k
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Verdicts for `n` responses of `key` to `client` at second `now`, as S, T (slip) and D.
    fn run(l: &Limiter, client: &str, key: &RateKey, now: u32, n: usize) -> String {
        (0..n)
            .map(|_| match l.check(ip(client), key, now) {
                Verdict::Send => 'S',
                Verdict::Slip => 'T',
                Verdict::Drop => 'D',
            })
            .collect()
    }

    const MAIL: &[u8] = b"\x04mail\x07example\x00";

    #[test]
    fn a_bucket_sends_its_rate_a_second_then_every_slip_th_truncated() {
        let l = limiter(3, 2);
        let k = key(Kind::Answer, MAIL, 1);
        assert_eq!(run(&l, "198.51.100.7", &k, 100, 9), "SSSDTDTDT");
        // The next second refills it; two seconds later it is full again, not fuller.
        assert_eq!(run(&l, "198.51.100.7", &k, 101, 4), "SSSD");
        assert_eq!(run(&l, "198.51.100.7", &k, 103, 5), "SSSTD");
        // Slip 1 truncates every limited answer, slip 0 truncates none.
        let l = limiter(1, 1);
        assert_eq!(run(&l, "198.51.100.7", &k, 5, 4), "STTT");
        let l = limiter(1, 0);
        assert_eq!(run(&l, "198.51.100.7", &k, 5, 4), "SDDD");
    }

    #[test]
    fn buckets_are_per_network_kind_name_and_type() {
        let l = limiter(1, 0);
        let a = key(Kind::Answer, MAIL, 1);
        assert_eq!(run(&l, "198.51.100.7", &a, 0, 2), "SD");
        // The same /24 shares it; the next /24, or another /56 in IPv6, does not.
        assert_eq!(run(&l, "198.51.100.200", &a, 0, 1), "D");
        assert_eq!(run(&l, "198.51.101.7", &a, 0, 1), "S");
        assert_eq!(run(&l, "2001:db8:0:1::1", &a, 0, 2), "SD");
        assert_eq!(run(&l, "2001:db8:0:2::1", &a, 0, 1), "D", "the same /56");
        assert_eq!(run(&l, "2001:db8:1::1", &a, 0, 1), "S");
        // An IPv4 client seen as an IPv4-mapped address is the same client.
        assert_eq!(run(&l, "::ffff:198.51.100.9", &a, 0, 1), "D");
        // Another type, another name, another kind: buckets of their own.
        assert_eq!(
            run(&l, "198.51.100.7", &key(Kind::Answer, MAIL, 28), 0, 1),
            "S"
        );
        let www = key(Kind::Answer, b"\x03www\x07example\x00", 1);
        assert_eq!(run(&l, "198.51.100.7", &www, 0, 1), "S");
        assert_eq!(
            run(&l, "198.51.100.7", &key(Kind::NoData, MAIL, 1), 0, 1),
            "S"
        );
    }

    #[test]
    fn exempt_and_signed_requests_are_never_limited() {
        let l = limiter(1, 0);
        let k = key(Kind::NxDomain, b"\x07example\x00", 0);
        assert_eq!(run(&l, "192.0.2.200", &k, 0, 5), "SSSSS");
        assert_eq!(
            run(&l, "192.0.2.7", &k, 0, 2),
            "SD",
            "outside the exempt /25"
        );
        let mut signed = k;
        signed.signed = true;
        assert_eq!(run(&l, "192.0.2.7", &signed, 0, 3), "SSS");
    }

    #[test]
    fn a_bucket_unused_for_the_window_starts_full_and_others_take_its_place() {
        let l = limiter(2, 0);
        let k = key(Kind::Error, b"", 0);
        assert_eq!(run(&l, "203.0.113.1", &k, 10, 3), "SSD");
        assert_eq!(
            run(&l, "203.0.113.1", &k, 10 + u32::from(WINDOW) + 1, 3),
            "SSD"
        );
        // Many more keys than places: each still gets its rate; the latest are remembered.
        let l = Limiter::with_slots(limiter(1, 0).settings.clone(), 64);
        let client = |i: u32| IpAddr::from(std::net::Ipv4Addr::from(i << 8));
        for i in 0..1000 {
            assert_eq!(
                l.check(client(i), &k, 7),
                Verdict::Send,
                "client {}",
                client(i)
            );
        }
        assert_eq!(l.check(client(999), &k, 7), Verdict::Drop);
    }

    #[test]
    fn a_truncated_answer_keeps_the_header_and_question_only() {
        // ID 1, QR AA, NXDOMAIN, one question, one authority record, one additional (OPT).
        let mut out = vec![0, 1, 0x84, 0x03, 0, 1, 0, 0, 0, 1, 0, 1];
        out.extend_from_slice(MAIL);
        out.extend_from_slice(&[0, 1, 0, 1]);
        let question_end = out.len();
        out.extend_from_slice(&[0xC0, 0x0C, 0, 6, 0, 1, 0, 0, 0, 60, 0, 0]);
        let mut t = out.clone();
        truncate(&mut t);
        assert_eq!(t.len(), question_end);
        assert_eq!(&t[..12], &[0, 1, 0x86, 0x03, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(t[12..], out[12..question_end]);
        // A question cut short: left alone.
        let mut cut = out[..16].to_vec();
        truncate(&mut cut);
        assert_eq!(cut, out[..16]);
    }
}
