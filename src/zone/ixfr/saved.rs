//! A zone's history of differences, saved when the server stops and taken back when it starts,
//! so that a restart does not send every secondary the whole zone at the next change (as Knot's
//! and BIND's journals keep IXFR across restarts).
//!
//! The saved history is taken back only for the very version it ends at: the file ends with a
//! digest of every record of that version (SOA included), and the zone as loaded at start
//! (its file and any journaled edits) must have the same digest. A zone changed while the
//! server was stopped (a hand edit, an offline `zonectl` command, a file restored from backup)
//! has another, and starts with no history, as after a fresh load. The digest is keyed with a
//! secret of the server's, so whoever may write a zone file cannot make another version that
//! passes for the one saved.
//!
//! Format (integers big-endian, names in uncompressed wire form, RDATA as a `u16` length and
//! the bytes, as [`push_packed`] packs it): the magic line `zonectl ixfr 2\n` (version 1 wrote
//! names with a length byte); a 16-byte check of all that follows; the origin; the version's
//! 16-byte digest;
//! the history's floor (a presence byte and a `u32`); whether the history is known (a byte);
//! the number of differences (`u32`), and each difference: its SOA before and after (TTL `u32`,
//! RDATA), then the nodes removed and those added, each list a `u32` count of (owner, `u32`
//! count of RRsets, each RRset's type `u16`, TTL `u32`, `u32` count of records and each
//! record's RDATA: a zone file may hold an RRset of more than 65535 records, though no message
//! can). Read with the bounds-checked cursor the RDATA decoder uses (`rdata::Reader`).
//!
//! Pure: bytes in, bytes out; the server reads and writes the file, and keeps the key.

use std::sync::Arc;

use super::{Diff, History, SoaRecord};
use crate::zone::rdata::Reader;
use crate::zone::{push_packed, Name, Node, RRset, RType, Soa, Zone};

const MAGIC: &[u8] = b"zonectl ixfr 2\n";

/// The key the digest and the check are made with: 16 random bytes the server keeps.
pub type Key = [u8; 16];

/// Why a saved history was not taken back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unused {
    /// The zone is not the version the history was saved with.
    #[error("the zone changed since it was saved")]
    Changed,
    /// The file is damaged, of another zone, or made with another key.
    #[error("{0}")]
    Bad(String),
}

/// The saved form of `zone`'s history.
pub fn encode(zone: &Zone, key: &Key) -> Vec<u8> {
    let history = zone.history();
    let mut body = Vec::new();
    body.extend_from_slice(zone.origin().as_wire());
    body.extend_from_slice(&digest(zone, key));
    put_opt(&mut body, history.floor);
    body.push(u8::from(history.known));
    put_u32(&mut body, history.diffs.len() as u32);
    for diff in &history.diffs {
        for soa in [&diff.from, &diff.to] {
            put_u32(&mut body, soa.ttl);
            push_packed(&mut body, &soa.rdata);
        }
        for nodes in [&diff.removed, &diff.added] {
            put_u32(&mut body, nodes.len() as u32);
            for (name, node) in nodes {
                body.extend_from_slice(name.as_wire());
                let sets: Vec<_> = node.rrsets().collect();
                put_u32(&mut body, sets.len() as u32);
                for set in sets {
                    put_u16(&mut body, set.rtype.0);
                    put_u32(&mut body, set.ttl);
                    put_u32(&mut body, set.len() as u32);
                    for rdata in set.rdatas() {
                        push_packed(&mut body, rdata);
                    }
                }
            }
        }
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&siphash128(key, &body));
    out.extend_from_slice(&body);
    out
}

/// The history saved in `bytes` with `key`, if `zone` is the version it was saved with.
pub fn decode(bytes: &[u8], zone: &Zone, key: &Key) -> Result<Arc<History>, Unused> {
    let bad = |why: &str| Unused::Bad(why.to_string());
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("not a zonectl IXFR history (version 2)"))?;
    let (check, body) = rest.split_at_checked(16).ok_or_else(|| bad("truncated"))?;
    if check != siphash128(key, body) {
        return Err(bad("damaged, or saved with another key"));
    }
    let mut r = Reader::new(body);
    let unreadable = || bad("unreadable (saved by another version of zonectl?)");
    let origin = r.name().ok_or_else(unreadable)?;
    if origin != *zone.origin() {
        return Err(Unused::Bad(format!("saved for {origin}")));
    }
    if r.take(16).ok_or_else(unreadable)? != digest(zone, key) {
        return Err(Unused::Changed);
    }
    let history = read_history(&mut r)
        .filter(|_| r.at_end())
        .ok_or_else(unreadable)?;
    let chained = history
        .diffs
        .windows(2)
        .all(|w| w[0].to.serial() == w[1].from.serial());
    let ends_here = history
        .diffs
        .last()
        .is_none_or(|d| Some(&d.to) == SoaRecord::of(zone).as_ref());
    if !chained || !ends_here {
        return Err(bad("its differences do not lead to the zone's serial"));
    }
    Ok(Arc::new(history))
}

/// The rest of a saved history, after the digest: the floor, whether it is known, and the
/// differences.
fn read_history(r: &mut Reader<'_>) -> Option<History> {
    let floor = (r.u8()? != 0).then_some(r.u32()?);
    let known = r.u8()? != 0;
    let mut diffs = Vec::new();
    for _ in 0..r.u32()? {
        let (from, to) = (read_soa(r)?, read_soa(r)?);
        let (removed, added) = (read_nodes(r)?, read_nodes(r)?);
        let records = 2 + [&removed, &added]
            .iter()
            .flat_map(|nodes| nodes.iter().map(|(_, n)| n.record_count()))
            .sum::<usize>();
        diffs.push(Arc::new(Diff {
            from,
            to,
            removed,
            added,
            records,
        }));
    }
    // The zone's limit is the one the history was kept to (the digest says it is the same
    // zone), so nothing is dropped here.
    let records = diffs.iter().map(|d| d.records).sum();
    Some(History {
        diffs,
        records,
        known,
        floor,
    })
}

/// A digest of every record of `zone` (owner, type, TTL and RDATA), in no particular order:
/// the sum of each record's SipHash-2-4-128, so the order in which a version holds its names
/// and records does not matter. A large zone's names are shared out among the CPUs (it runs
/// while the server starts or stops, with nothing else to do: 3M records took 0.45 s on one).
pub fn digest(zone: &Zone, key: &Key) -> [u8; 16] {
    let nodes: Vec<(&Name, &Node)> = zone.nodes().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let share = nodes.len().div_ceil(threads).max(10_000);
    let sum = std::thread::scope(|scope| {
        let parts: Vec<_> = nodes
            .chunks(share)
            .map(|part| scope.spawn(|| records_sum(part, key)))
            .collect();
        parts
            .into_iter()
            .map(|p| p.join().expect("digest thread"))
            .fold(0u128, u128::wrapping_add)
    });
    sum.to_be_bytes()
}

/// The sum of the hashes of the records of `nodes`.
fn records_sum(nodes: &[(&Name, &Node)], key: &Key) -> u128 {
    let mut sum = 0u128;
    let mut record = Vec::with_capacity(512);
    for (name, node) in nodes {
        for set in node.rrsets() {
            for rdata in set.rdatas() {
                record.clear();
                record.extend_from_slice(name.as_wire());
                record.extend_from_slice(&set.rtype.0.to_be_bytes());
                record.extend_from_slice(&set.ttl.to_be_bytes());
                record.extend_from_slice(rdata);
                sum = sum.wrapping_add(u128::from_be_bytes(siphash128(key, &record)));
            }
        }
    }
    sum
}

/// SipHash-2-4 of `data` with 128 bits of output, under `key`: unlike the standard library's
/// hasher, whose algorithm may change between Rust releases, it is the same in every build of
/// the server, and the digest is compared with one saved by another build.
fn siphash128(key: &Key, data: &[u8]) -> [u8; 16] {
    let (k0, k1) = key.split_at(8);
    let word = |k: &[u8]| u64::from_le_bytes(k.try_into().expect("8 bytes"));
    siphash24((word(k0), word(k1)), data, true)
}

/// SipHash-2-4 (Aumasson and Bernstein, 2012) with the key `(k0, k1)`: the 64-bit output in
/// the first 8 bytes (little-endian, the rest zero), or the 128-bit variant's output.
fn siphash24((k0, k1): (u64, u64), data: &[u8], wide: bool) -> [u8; 16] {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d ^ if wide { 0xee } else { 0 },
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut compress = |m: u64| {
        v[3] ^= m;
        round(&mut v);
        round(&mut v);
        v[0] ^= m;
    };
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        compress(u64::from_le_bytes(w.try_into().expect("8 bytes")));
    }
    let tail = words.remainder();
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    last[7] = data.len() as u8;
    compress(u64::from_le_bytes(last));
    let mut out = [0u8; 16];
    v[2] ^= if wide { 0xee } else { 0xff };
    for _ in 0..4 {
        round(&mut v);
    }
    out[..8].copy_from_slice(&(v[0] ^ v[1] ^ v[2] ^ v[3]).to_le_bytes());
    if wide {
        v[1] ^= 0xdd;
        for _ in 0..4 {
            round(&mut v);
        }
        out[8..].copy_from_slice(&(v[0] ^ v[1] ^ v[2] ^ v[3]).to_le_bytes());
    }
    out
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_opt(out: &mut Vec<u8>, v: Option<u32>) {
    out.push(u8::from(v.is_some()));
    put_u32(out, v.unwrap_or(0));
}

/// A saved SOA record: TTL, then RDATA as [`push_packed`] writes it.
fn read_soa(r: &mut Reader<'_>) -> Option<SoaRecord> {
    let ttl = r.u32()?;
    let rdata = read_packed(r)?;
    Some(SoaRecord {
        ttl,
        rdata: rdata.into(),
        serial: Soa::from_rdata(rdata)?.serial,
    })
}

/// One RDATA as [`push_packed`] writes it: a 2-byte length and the bytes.
fn read_packed<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let len = r.u16()?;
    r.take(usize::from(len))
}

/// Saved nodes: a count, then each owner and its RRsets.
fn read_nodes(r: &mut Reader<'_>) -> Option<Vec<(Name, Node)>> {
    let mut nodes = Vec::new();
    for _ in 0..r.u32()? {
        let name = r.name()?;
        let mut sets = Vec::new();
        for _ in 0..r.u32()? {
            let rtype = RType(r.u16()?);
            let ttl = r.u32()?;
            // Packed as saved: without duplicates already (RRset::new would look for them, in
            // time quadratic in the records).
            let mut data = Vec::new();
            for _ in 0..r.u32()? {
                push_packed(&mut data, read_packed(r)?);
            }
            sets.push(RRset {
                rtype,
                ttl,
                data: data.into_boxed_slice(),
            });
        }
        nodes.push((name, Node::new(&sets)));
    }
    Some(nodes)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::zone::parse::parse_zone_str;

    #[test]
    fn an_rrset_of_more_than_65535_records_is_saved_whole() {
        let origin = Name::parse("example.", None).unwrap();
        let text =
            "$TTL 300\n@ SOA ns hostmaster 2 3600 900 1209600 300\n@ NS ns\nns A 192.0.2.53\n";
        let entries = parse_zone_str(text, Path::new("t.zone"), &origin).unwrap();
        let zone = Zone::from_records(&origin, &entries);
        let soa = |serial: u32| {
            let mut soa = SoaRecord::of(&zone).unwrap();
            Soa::set_serial(&mut soa.rdata, serial);
            soa.serial = serial;
            soa
        };
        let mut data = Vec::new();
        for i in 0..70_000u32 {
            push_packed(&mut data, &i.to_be_bytes());
        }
        let set = RRset {
            rtype: RType::A,
            ttl: 300,
            data: data.into_boxed_slice(),
        };
        let node = Node::new(&[set]);
        let name = Name::parse("big.example.", None).unwrap();
        let diff = Diff {
            from: soa(1),
            to: soa(2),
            removed: Vec::new(),
            added: vec![(name, node)],
            records: 70_002,
        };
        let history = Arc::new(History {
            diffs: vec![Arc::new(diff)],
            records: 70_002,
            known: true,
            floor: None,
        });
        let zone = zone.with_history(history);
        let key = [7; 16];
        let back = decode(&encode(&zone, &key), &zone, &key).expect("saved whole");
        let added = &back.since(1).expect("from 1")[0].added;
        assert_eq!(added[0].1.record_count(), 70_000);
    }

    #[test]
    fn siphash_matches_the_reference_vectors() {
        // vectors.h of the reference implementation: key 00..0f, message 00..(len-1).
        let key = (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908);
        let message: Vec<u8> = (0..64).collect();
        let narrow: [(usize, u64); 5] = [
            (0, 0x726f_db47_dd0e_0e31),
            (1, 0x74f8_39c5_93dc_67fd),
            (7, 0xab02_00f5_8b01_d137),
            (8, 0x93f5_f579_9a93_2462),
            (63, 0x958a_324c_eb06_4572),
        ];
        for (len, hash) in narrow {
            let out = siphash24(key, &message[..len], false);
            assert_eq!(out[..8], hash.to_le_bytes(), "length {len}");
        }
        let wide = [
            0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55,
            0x02, 0x93,
        ];
        assert_eq!(siphash24(key, &[], true), wide, "128 bits, length 0");
    }
}
