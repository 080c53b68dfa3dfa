//! Counters of what the server received and answered, for `zonectl stats` (what `knotc stats`
//! and `nsd-control stats_noreset` tell). A thread tallies a batch of messages in plain
//! integers ([`Tally`]) and adds them to its counters after it: each UDP thread has a set of
//! its own, on cache lines no other thread writes; TCP connections share one set. A request
//! sums them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crate::control::{Counted, ServerStats};

/// What one set of counters counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// A message received (a datagram, or a message on a TCP connection).
    Received,
    /// An answer with each RCODE: 0 to 5, then any other (NOTAUTH, BADVERS...).
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
    OtherRcode,
    /// An answer with TC set (too large for UDP, or slipped by rate limiting).
    Truncated,
    /// A message not answered: a response, garbage, an answer dropped by rate limiting, a
    /// zone transfer cut off by the client.
    NotAnswered,
    /// Answers over the rate: dropped, and sent truncated.
    RateDropped,
    RateSlipped,
    /// Zone transfers over TCP sent whole (the zone, its differences, or the SOA alone to a
    /// client that is current; each also counts as a NOERROR answer), and refused.
    Transfers,
    TransfersRefused,
    /// TXT questions in class IN for a mail-authentication record, told by the name's first
    /// labels: `_dmarc.`, `SELECTOR._domainkey.`, `_mta-sts.`, `_smtp._tls.`, `SELECTOR._bimi.`.
    Dmarc,
    Dkim,
    MtaSts,
    TlsRpt,
    Bimi,
}

const COUNTERS: usize = Counter::Bimi as usize + 1;

/// One set of counters, alone on its cache lines.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Counters([AtomicU64; COUNTERS]);

impl Counters {
    /// Adds `tally` and clears it.
    pub fn add(&self, tally: &mut Tally) {
        for (counter, n) in self.0.iter().zip(&mut tally.0) {
            if *n != 0 {
                counter.fetch_add(*n, Relaxed);
                *n = 0;
            }
        }
    }

    fn get(&self, counter: Counter) -> u64 {
        self.0[counter as usize].load(Relaxed)
    }
}

/// Counts kept by one thread until it adds them to its [`Counters`].
#[derive(Debug, Default)]
pub struct Tally([u64; COUNTERS]);

impl Tally {
    #[inline]
    pub fn count(&mut self, counter: Counter) {
        self.count_n(counter, 1);
    }

    #[inline]
    pub fn count_n(&mut self, counter: Counter, n: u64) {
        self.0[counter as usize] += n;
    }

    /// Counts `answer`, a response about to be sent, by its RCODE and its TC bit.
    #[inline]
    pub fn answered(&mut self, answer: &[u8]) {
        let [_, _, flags, low, _, _, an0, an1, ns0, ns1, ar0, ar1, ..] = *answer else {
            return;
        };
        let rcode = match low & 0x0f {
            // An error with an extended RCODE (BADVERS) has 0 in the header: no record in the
            // answer and authority sections, and no TC (RFC 6891 §6.1.3).
            0 if flags & 0x02 == 0 && [an0, an1, ns0, ns1] == [0; 4] && [ar0, ar1] != [0; 2] => {
                extended_rcode(answer)
            }
            low => u16::from(low),
        };
        self.count(match rcode {
            0 => Counter::NoError,
            1 => Counter::FormErr,
            2 => Counter::ServFail,
            3 => Counter::NxDomain,
            4 => Counter::NotImp,
            5 => Counter::Refused,
            _ => Counter::OtherRcode,
        });
        if flags & 0x02 != 0 {
            self.count(Counter::Truncated);
        }
        // The question, echoed in the answer: a name with an underscore label first or second
        // may be a mail-authentication record's; other names are passed over in a few steps.
        if let (Some([0, 1]), Some(&first)) = (answer.get(4..6), answer.get(12)) {
            let underscore = |at: usize| answer.get(at) == Some(&b'_');
            if underscore(13) || underscore(12 + 1 + usize::from(first) + 1) {
                if let Some(record) = mail_record(&answer[12..]) {
                    self.count(record);
                }
            }
        }
    }
}

/// The mail-authentication record `question` (a name, type and class) asks for, if it is a TXT
/// question in class IN for one.
#[cold]
fn mail_record(question: &[u8]) -> Option<Counter> {
    let (mut first, mut second): (&[u8], &[u8]) = (&[], &[]);
    let mut at = 0;
    for i in 0.. {
        let len = usize::from(*question.get(at)?);
        if len == 0 || len > 63 {
            at += 1;
            if len > 63 {
                return None; // compressed: not a question as echoed
            }
            break;
        }
        let label = question.get(at + 1..at + 1 + len)?;
        match i {
            0 => first = label,
            1 => second = label,
            _ => {}
        }
        at += 1 + len;
    }
    if question.get(at..at + 4)? != [0, 16, 0, 1] {
        return None;
    }
    let is = |label: &[u8], want: &[u8]| label.eq_ignore_ascii_case(want);
    Some(if is(first, b"_dmarc") {
        Counter::Dmarc
    } else if is(first, b"_mta-sts") {
        Counter::MtaSts
    } else if is(first, b"_smtp") && is(second, b"_tls") {
        Counter::TlsRpt
    } else if is(second, b"_domainkey") {
        Counter::Dkim
    } else if is(second, b"_bimi") {
        Counter::Bimi
    } else {
        return None;
    })
}

/// The whole RCODE of an answer (a header and more) with an empty answer and authority
/// section and an additional one: the header's, with the upper bits from the OPT record if it
/// is the first additional record (as our answers have it).
#[cold]
fn extended_rcode(answer: &[u8]) -> u16 {
    let low = u16::from(answer[3] & 0x0f);
    // The question, if there is one: a name of labels (answers copy it uncompressed), then type
    // and class.
    let mut at = 12;
    match answer[4..6] {
        [0, 0] => {}
        [0, 1] => {
            while let Some(&len) = answer.get(at) {
                at += 1 + usize::from(len);
                if len == 0 {
                    break;
                }
            }
            at += 4;
        }
        _ => return low,
    }
    // The OPT record: its root owner, type 41, UDP size, then the extended RCODE byte.
    let opt = at;
    match answer.get(opt..opt + 6) {
        Some([0, 0, 41, _, _, high]) => u16::from(*high) << 4 | low,
        _ => low,
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
            dmarc: sum(sets, Counter::Dmarc),
            dkim: sum(sets, Counter::Dkim),
            mta_sts: sum(sets, Counter::MtaSts),
            tlsrpt: sum(sets, Counter::TlsRpt),
            bimi: sum(sets, Counter::Bimi),
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
        let (mut ta, mut tb) = (Tally::default(), Tally::default());
        // Headers: QR|AA and NXDOMAIN with the SOA; QR|TC and NOERROR; NOTAUTH (9).
        ta.answered(&header(0x84, 0x03, [1, 0, 1, 0]));
        tb.answered(&header(0x82, 0x00, [1, 0, 0, 0]));
        tb.answered(&header(0x80, 0x09, [1, 0, 0, 0]));
        tb.answered(&[0, 1]); // too short to be an answer: not counted
        ta.count(Counter::Received);
        tb.count(Counter::Received);
        a.add(&mut ta);
        b.add(&mut tb);
        b.add(&mut tb); // cleared by the first: nothing counted twice
        let mut tcp = Tally::default();
        tcp.count(Counter::TransfersRefused);
        stats.tcp().add(&mut tcp);
        let t = stats.totals();
        assert_eq!(t.started, 7);
        assert_eq!((t.udp.received, t.udp.nxdomain, t.udp.noerror), (2, 1, 1));
        assert_eq!((t.udp.truncated, t.udp.other_rcode), (1, 1));
        assert_eq!((t.tcp.transfers_refused, t.tcp.received), (1, 0));
    }

    /// A response header with `flags` (QR, AA, TC...), `rcode` and the counts of the question,
    /// answer, authority and additional sections.
    fn header(flags: u8, rcode: u8, counts: [u16; 4]) -> Vec<u8> {
        let mut h = vec![0, 1, flags, rcode];
        for c in counts {
            h.extend_from_slice(&c.to_be_bytes());
        }
        h
    }

    /// A NOERROR answer's header and question: `name` (dotted, no trailing dot), `qtype`, IN.
    fn asked(name: &str, qtype: u16) -> Vec<u8> {
        let mut a = header(0x84, 0, [1, 1, 0, 0]);
        for label in name.split('.') {
            a.push(label.len() as u8);
            a.extend_from_slice(label.as_bytes());
        }
        a.push(0);
        a.extend_from_slice(&qtype.to_be_bytes());
        a.extend_from_slice(&1u16.to_be_bytes());
        a
    }

    #[test]
    fn txt_questions_for_mail_authentication_records_are_counted_by_kind() {
        let mut t = Tally::default();
        for (name, qtype) in [
            ("_dmarc.apple.example", 16),
            ("_DMARC.sub.apple.example", 16),
            ("sel1._domainkey.apple.example", 16),
            ("_mta-sts.apple.example", 16),
            ("_smtp._tls.apple.example", 16),
            ("default._bimi.apple.example", 16),
            // Not counted: another type, other names with underscores, no underscore.
            ("_dmarc.apple.example", 1),
            ("_dmarcx.apple.example", 16),
            ("_tls._smtp.apple.example", 16),
            ("a.b._domainkey.apple.example", 16),
            ("apple.example", 16),
            ("_domainkey", 16),
        ] {
            t.answered(&asked(name, qtype));
        }
        let count = |c: Counter| t.0[c as usize];
        assert_eq!(count(Counter::Dmarc), 2);
        assert_eq!(count(Counter::Dkim), 1);
        assert_eq!(count(Counter::MtaSts), 1);
        assert_eq!(count(Counter::TlsRpt), 1);
        assert_eq!(count(Counter::Bimi), 1);
        assert_eq!(count(Counter::NoError), 12);
        // A question cut short is passed over.
        let cut = asked("_dmarc.apple.example", 16);
        t.answered(&cut[..cut.len() - 3]);
        assert_eq!(t.0[Counter::Dmarc as usize], 2);
    }

    #[test]
    fn badvers_counts_by_its_extended_rcode_and_an_empty_noerror_stays_noerror() {
        // example. A, then an OPT with extended RCODE 1 (BADVERS is 16: 1 << 4 | 0).
        let question = b"\x07example\x00\x00\x01\x00\x01";
        let opt = [0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0];
        let mut badvers = header(0x80, 0, [1, 0, 0, 1]);
        badvers.extend_from_slice(question);
        badvers.extend_from_slice(&opt);
        let mut without_opt = header(0x80, 0, [1, 0, 0, 0]);
        without_opt.extend_from_slice(question);
        let mut no_question = header(0x80, 0, [0, 0, 0, 1]);
        no_question.extend_from_slice(&opt);
        let mut t = Tally::default();
        t.answered(&badvers);
        t.answered(&no_question);
        t.answered(&without_opt);
        t.answered(&badvers[..badvers.len() - 8]); // the OPT cut short: the header's RCODE
        assert_eq!(t.0[Counter::OtherRcode as usize], 2);
        assert_eq!(t.0[Counter::NoError as usize], 2);
    }
}
