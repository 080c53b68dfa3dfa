//! The answer path alone, without sockets: parse a query, look it up, encode the answer.
//! `cargo bench --bench answer` prints nanoseconds per query for the benchmark's query mix on
//! a 100k-host zone. Under `valgrind --tool=callgrind` it gives repeatable instruction counts.
//! With `RRL=1` each answer is also counted for response rate limiting (`[rate_limit]`), at a
//! rate no bucket reaches, as a server on a public address would.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use zonectl::rrl::{Limiter, RateKey, Settings, Verdict};
use zonectl::tsig::Keyring;
use zonectl::wire::{respond, respond_counted, AnswerConfig, Transport};
use zonectl::zone::parse::parse_zone_str;
use zonectl::zone::{Name, Zone, ZoneSet};

const HOSTS: usize = 100_000;

fn zone_text() -> String {
    let mut t = String::from(
        "$ORIGIN bench.example.\n$TTL 3600\n@ SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\n@ MX 10 mail\n\
         @ TXT \"v=spf1 ip4:198.18.0.25 mx -all\"\n_dmarc TXT \"v=DMARC1; p=quarantine\"\n\
         ns A 198.18.0.53\nmail A 198.18.0.25\n",
    );
    t.push_str(&format!(
        "sel1._domainkey TXT \"v=DKIM1; k=rsa; p={}\" \"{}\"\n",
        "x".repeat(200),
        "y".repeat(190)
    ));
    for i in 0..HOSTS {
        t.push_str(&format!(
            "h{i} A 198.18.{}.{}\nh{i} AAAA 2001:db8::{:x}:{:x}\nh{i} TXT \"host {i}\"\n",
            (i >> 8) & 255,
            i & 255,
            i >> 16,
            i & 0xffff
        ));
    }
    t
}

fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![(id >> 8) as u8, id as u8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    // OPT: EDNS(0), 1232 bytes.
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
    q
}

fn main() {
    let origin = Name::parse("bench.example.", None).unwrap();
    let entries = parse_zone_str(&zone_text(), Path::new("bench.zone"), &origin).unwrap();
    let zone = Zone::from_records(&origin, &entries);
    let mut set = ZoneSet::new();
    set.insert(Arc::new(zone));
    // The bench/run mix: 40 % mail TXT, 30 % A, 10 % AAAA, 10 % MX, 10 % NXDOMAIN.
    let mut seed = 42u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let queries: Vec<Vec<u8>> = (0..10_000)
        .map(|i| {
            let h = next() % HOSTS;
            let (name, t) = match next() % 10 {
                0 => ("bench.example.".to_string(), 16),
                1 => ("_dmarc.bench.example.".to_string(), 16),
                2 => ("sel1._domainkey.bench.example.".to_string(), 16),
                3 => (format!("h{h}.bench.example."), 16),
                4..=6 => (format!("h{h}.bench.example."), 1),
                7 => (format!("h{h}.bench.example."), 28),
                8 => ("bench.example.".to_string(), 15),
                _ => (format!("nx{h}.bench.example."), 1),
            };
            query(i as u16, &name, t)
        })
        .collect();
    let config = AnswerConfig::default();
    let keys = Keyring::default();
    let mut out = Vec::with_capacity(4096);
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100);
    let limiter = std::env::var_os("RRL").map(|_| {
        Limiter::new(Settings {
            rate: 10_000,
            slip: 2,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
            exempt: Vec::new(),
        })
    });
    let client = "198.51.100.7".parse().unwrap();
    let mut rate = RateKey::default();
    let start = Instant::now();
    let mut bytes = 0usize;
    let mut limited = 0usize;
    for round in 0..rounds {
        for q in &queries {
            match &limiter {
                None => {
                    respond(&set, &config, &keys, q, Transport::Udp, &mut out);
                }
                Some(l) => {
                    respond_counted(&set, &config, &keys, q, &mut out, &mut rate);
                    // A second per round: no bucket reaches the rate.
                    limited += usize::from(l.check(client, &rate, round as u32) != Verdict::Send);
                }
            }
            bytes += out.len();
        }
    }
    let n = rounds * queries.len();
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!(
        "answer path{}: {n} queries, {ns:.0} ns/query, {:.0} bytes/answer",
        if limiter.is_some() {
            format!(" with rate limiting ({limited} limited)")
        } else {
            String::new()
        },
        bytes as f64 / n as f64
    );
}
