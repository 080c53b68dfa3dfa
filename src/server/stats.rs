//! Counters of what the server received and answered, for `zonectl stats` (what `knotc stats`
//! and `nsd-control stats_noreset` tell). Each UDP thread counts in a set of its own, on a
//! cache line no other thread writes; TCP connections share one set. A request sums them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crate::control::{Counted, ServerStats};

/// What one set of counters counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// A message received (a datagram, or a message on a TCP connection).
    Received,
    /// An answer with each RCODE of the header: 0 to 5, then any other.
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
    OtherRcode,
    /// An answer with TC set (too large for UDP, or slipped by rate limiting).
    Truncated,
    /// A message not answered: a response, garbage, or dropped by rate limiting.
    NotAnswered,
    /// Answers over the rate: dropped, and sent truncated.
    RateDropped,
    RateSlipped,
    /// Zone transfers answered (the zone, its differences, or the SOA alone), and refused.
    Transfers,
    TransfersRefused,
}

const COUNTERS: usize = Counter::TransfersRefused as usize + 1;

/// One set of counters, alone on its cache lines.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Counters([AtomicU64; COUNTERS]);

impl Counters {
    #[inline]
    pub fn add(&self, counter: Counter) {
        self.add_n(counter, 1);
    }

    #[inline]
    pub fn add_n(&self, counter: Counter, n: u64) {
        self.0[counter as usize].fetch_add(n, Relaxed);
    }

    /// Counts `answer`, a response about to be sent, by its RCODE and TC bit.
    #[inline]
    pub fn answered(&self, answer: &[u8]) {
        let Some(&[flags, rcode]) = answer.get(2..4).and_then(|b| <&[u8; 2]>::try_from(b).ok())
        else {
            return;
        };
        self.add(match rcode & 0x0f {
            0 => Counter::NoError,
            1 => Counter::FormErr,
            2 => Counter::ServFail,
            3 => Counter::NxDomain,
            4 => Counter::NotImp,
            5 => Counter::Refused,
            _ => Counter::OtherRcode,
        });
        if flags & 0x02 != 0 {
            self.add(Counter::Truncated);
        }
    }

    fn get(&self, counter: Counter) -> u64 {
        self.0[counter as usize].load(Relaxed)
    }
}

/// Every set of counters of a server, and when it started.
#[derive(Debug)]
pub struct Stats {
    udp: Mutex<Vec<Arc<Counters>>>,
    tcp: Arc<Counters>,
    started: i64,
}

impl Stats {
    /// No counters yet but TCP's, from `started` (UNIX seconds).
    pub fn new(started: i64) -> Stats {
        Stats {
            udp: Mutex::default(),
            tcp: Arc::default(),
            started,
        }
    }

    /// Counters for a new UDP thread.
    pub fn new_udp(&self) -> Arc<Counters> {
        let counters = Arc::new(Counters::default());
        self.udp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(counters.clone());
        counters
    }

    pub fn tcp(&self) -> Arc<Counters> {
        self.tcp.clone()
    }

    /// The sums, as the control socket carries them.
    pub fn totals(&self) -> ServerStats {
        let sum = |sets: &[Arc<Counters>], c| sets.iter().map(|s| s.get(c)).sum();
        let counted = |sets: &[Arc<Counters>]| Counted {
            received: sum(sets, Counter::Received),
            noerror: sum(sets, Counter::NoError),
            formerr: sum(sets, Counter::FormErr),
            servfail: sum(sets, Counter::ServFail),
            nxdomain: sum(sets, Counter::NxDomain),
            notimp: sum(sets, Counter::NotImp),
            refused: sum(sets, Counter::Refused),
            other_rcode: sum(sets, Counter::OtherRcode),
            truncated: sum(sets, Counter::Truncated),
            not_answered: sum(sets, Counter::NotAnswered),
            rate_dropped: sum(sets, Counter::RateDropped),
            rate_slipped: sum(sets, Counter::RateSlipped),
            transfers: sum(sets, Counter::Transfers),
            transfers_refused: sum(sets, Counter::TransfersRefused),
        };
        let udp = self.udp.lock().unwrap_or_else(|e| e.into_inner());
        ServerStats {
            started: self.started,
            udp: counted(&udp),
            tcp: counted(std::slice::from_ref(&self.tcp)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_count_by_their_rcode_and_tc_and_threads_are_summed() {
        let stats = Stats::new(7);
        let (a, b) = (stats.new_udp(), stats.new_udp());
        // Header bytes 2 and 3: QR|AA, then RCODE 3; QR|TC, then RCODE 0; RCODE 9 (NOTAUTH).
        a.answered(&[0, 1, 0x84, 0x03]);
        b.answered(&[0, 1, 0x82, 0x00]);
        b.answered(&[0, 1, 0x80, 0x09]);
        b.answered(&[0, 1]); // too short to be an answer: not counted
        a.add(Counter::Received);
        b.add(Counter::Received);
        stats.tcp().add(Counter::TransfersRefused);
        let t = stats.totals();
        assert_eq!(t.started, 7);
        assert_eq!((t.udp.received, t.udp.nxdomain, t.udp.noerror), (2, 1, 1));
        assert_eq!((t.udp.truncated, t.udp.other_rcode), (1, 1));
        assert_eq!((t.tcp.transfers_refused, t.tcp.received), (1, 0));
    }
}
