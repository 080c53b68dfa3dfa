//! UDP workers: blocking threads sharing one socket per address, taking turns to wait on it
//! (leader/follower). Only the leader blocks in `recvmmsg`; it keeps the turn while each
//! wake-up brings less than a full batch, so at moderate load one thread answers everything and
//! every sleep and wake-up is paid once per batch rather than once per thread. A full batch
//! means queries are queueing: the leader hands the turn to the next thread before answering,
//! so under saturation every worker answers in parallel. The answer path takes no lock and
//! spawns nothing per query; each wake-up receives up to [`BATCH`] datagrams with one
//! `recvmmsg` and sends the answers with one `sendmmsg`, as Knot and NSD do.
//!
//! On a wildcard address (`0.0.0.0`, `::`) each query's destination address is received with
//! it (`IP_PKTINFO`, `IPV6_PKTINFO`) and its answer is sent from that address: a client drops
//! an answer from another address than it asked (RFC 2181 §4.1), and the kernel would pick the
//! source by its routes on a host with several addresses.

use std::mem::MaybeUninit;
use std::net::{IpAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use super::admit::admit;
use super::stats::{Counter, Counters, Tally};
use crate::config::Access;
use crate::rrl::{self, Kind, RateKey, Verdict};
use crate::wire::{
    is_refused, respond, respond_counted, transfer_request, AnswerConfig, Transferred, Transport,
};
use crate::zone::ZoneSet;

/// Datagrams handled per system call.
const BATCH: usize = 32;
/// Receive buffer per datagram: a query larger than this is not a query we answer.
const MAX_QUERY: usize = 4096;

/// How often a UDP thread looks at the stop flag: the socket's read timeout, and the longest a
/// thread waits for the turn.
pub const STOP_POLL: Duration = Duration::from_millis(200);

/// Room for one `IP_PKTINFO` or `IPV6_PKTINFO` control message (`CMSG_SPACE` of the larger,
/// 20-byte `in6_pktinfo`, is 40 on 64-bit Linux), in `u64`s for its alignment.
const CONTROL_WORDS: usize = 8;

/// Asks the kernel for each datagram's destination address, on a socket bound to a wildcard
/// address.
pub fn receive_destination(sock: &socket2::Socket, ipv6: bool) -> std::io::Result<()> {
    let (level, name) = if ipv6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)
    } else {
        (libc::IPPROTO_IP, libc::IP_PKTINFO)
    };
    let on: libc::c_int = 1;
    // SAFETY: a valid socket and a pointer to an int of the size given.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Turns the destination-address control message received with a query into the one that
/// sends its answer from that address: `IP_PKTINFO` as received, with no interface so that
/// routing picks it (its `ipi_spec_dst` is the local address the query came to, which for a
/// broadcast query is the interface's own), or `IPV6_PKTINFO` as received (address and
/// interface, which a link-local address needs). False if `control` (`len` bytes of it filled,
/// `flags` the message's) holds neither or was cut short.
fn answer_from_destination(
    control: &mut [u64; CONTROL_WORDS],
    len: usize,
    flags: libc::c_int,
) -> bool {
    let hdr_len = std::mem::size_of::<libc::cmsghdr>();
    if flags & libc::MSG_CTRUNC != 0 || len < hdr_len || len > std::mem::size_of_val(control) {
        return false;
    }
    let first = control.as_mut_ptr().cast::<libc::cmsghdr>();
    // SAFETY: `control` is 8-byte aligned and its first `len` bytes, at least a cmsghdr, were
    // written by the kernel; the header is read by value.
    let cmsg = unsafe { first.read() };
    #[allow(clippy::unnecessary_cast)] // a u32 in some C libraries
    let cmsg_len = cmsg.cmsg_len as usize;
    if cmsg_len > len {
        return false;
    }
    // SAFETY: CMSG_DATA only offsets the pointer, which covers all of `control`.
    let data = unsafe { libc::CMSG_DATA(first) };
    let fits = |size: usize| data as usize - first as usize + size <= cmsg_len;
    match (cmsg.cmsg_level, cmsg.cmsg_type) {
        (libc::IPPROTO_IP, libc::IP_PKTINFO) if fits(std::mem::size_of::<libc::in_pktinfo>()) => {
            // SAFETY: the kernel wrote an in_pktinfo there, inside `control` (lengths checked);
            // 4-byte alignment holds at CMSG_DATA of an 8-byte aligned buffer.
            unsafe { (*data.cast::<libc::in_pktinfo>()).ipi_ifindex = 0 };
            true
        }
        (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => fits(std::mem::size_of::<libc::in6_pktinfo>()),
        _ => false,
    }
}

/// Answers in `out` an IXFR over UDP from `client` that [`respond`] refused, if the zone's
/// `transfer_allow` admits the client: with our SOA alone, which tells a client that is behind
/// to ask again over TCP (RFC 1995 §2). A refused request gets the refusal TCP would send
/// (REFUSED, or the TSIG error); an AXFR, and a query that is no transfer, keep `respond`'s
/// answer. Refusals are not logged: a UDP source address can be forged at will.
fn ixfr_over_udp(
    query: &[u8],
    client: IpAddr,
    zones: &ZoneSet,
    config: &AnswerConfig,
    access: &Access,
    out: &mut Vec<u8>,
) {
    let Some(request) = transfer_request(query, config).and_then(|r| r.over_udp()) else {
        return;
    };
    let Ok(signer) = admit(&request, access, client, out) else {
        return;
    };
    let outcome = request.answer(request.zone(zones).map(|z| &**z), signer, |msg| {
        out.clear();
        out.extend_from_slice(msg);
        true
    });
    let zone = request.zone_text();
    match outcome {
        Transferred::UpToDate => {
            tracing::debug!(%client, %zone, "IXFR over UDP: the client's copy is current")
        }
        Transferred::AskOverTcp => {
            tracing::debug!(%client, %zone, "IXFR over UDP: the client is behind, our SOA tells it to ask over TCP")
        }
        other => tracing::debug!(%client, %zone, ?other, "IXFR over UDP"),
    }
}

/// The address a datagram came from, if it is IPv4 or IPv6.
fn peer(addr: &libc::sockaddr_storage) -> Option<IpAddr> {
    match i32::from(addr.ss_family) {
        libc::AF_INET => {
            // SAFETY: the kernel wrote a sockaddr_in there (its family says so); the storage
            // is large and aligned enough for any socket address.
            let sin =
                unsafe { &*(addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Some(IpAddr::from(
                u32::from_be(sin.sin_addr.s_addr).to_be_bytes(),
            ))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, a sockaddr_in6.
            let sin6 =
                unsafe { &*(addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Some(IpAddr::from(sin6.sin6_addr.s6_addr))
        }
        _ => None,
    }
}

/// How often, at most, a UDP thread that rate-limits responses says so in the log.
const RATE_LOG_EVERY: Duration = Duration::from_secs(10);

/// The responses a UDP thread limited since it last logged them.
#[derive(Default)]
struct Limited {
    dropped: u64,
    slipped: u64,
    /// The latest: to whom, and what.
    latest: Option<(IpAddr, Kind)>,
    /// When they were last logged.
    logged: Option<Instant>,
}

impl Limited {
    /// Logs the responses limited since the last time, if any were and that was at least
    /// [`RATE_LOG_EVERY`] ago (the first at once).
    fn log(&mut self, limiter: &rrl::Limiter, now: Instant) {
        let Some((client, kind)) = self.latest else {
            return;
        };
        if self
            .logged
            .is_some_and(|t| now.duration_since(t) < RATE_LOG_EVERY)
        {
            return;
        }
        tracing::warn!(
            dropped = self.dropped,
            truncated = self.slipped,
            latest = %limiter.network(client),
            kind = ?kind,
            "responses over the rate limit (responses_per_second = {}) since the last report",
            limiter.settings().rate,
        );
        *self = Limited {
            logged: Some(now),
            ..Limited::default()
        };
    }
}

/// The turn to wait on a socket: held by at most one of the threads that share it.
#[derive(Debug, Default)]
pub struct Turn {
    taken: Mutex<bool>,
    free: Condvar,
}

impl Turn {
    /// Waits for the turn; false if `stop` was set meanwhile.
    fn take(&self, stop: &AtomicBool) -> bool {
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        while *taken {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            taken = self
                .free
                .wait_timeout(taken, STOP_POLL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *taken = true;
        true
    }

    /// Hands the turn to one waiting thread.
    fn pass(&self) {
        *self.taken.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.free.notify_one();
    }
}

/// The turn, held: passed on when dropped.
struct Holding<'a>(&'a Turn);

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.0.pass();
    }
}

/// Answers queries on `sock`, taking turns with the other threads given the same `turn`, until
/// `stop` is set (checked at least every read timeout). Signed queries are checked with the
/// TSIG keys of `access`.
pub fn serve(
    sock: Arc<UdpSocket>,
    turn: Arc<Turn>,
    zones: Arc<ArcSwap<ZoneSet>>,
    access: Arc<ArcSwap<Access>>,
    config: AnswerConfig,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let fd = sock.as_raw_fd();
    let mut bufs = vec![[0u8; MAX_QUERY]; BATCH];
    let mut outs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(4096)).collect();
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut addrs: Vec<libc::sockaddr_storage> =
        vec![unsafe { MaybeUninit::zeroed().assume_init() }; BATCH];
    let mut iovs: Vec<libc::iovec> = vec![
        libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0
        };
        BATCH
    ];
    // SAFETY: mmsghdr is plain old data; all-zero is a valid value.
    let mut msgs: Vec<libc::mmsghdr> = vec![unsafe { MaybeUninit::zeroed().assume_init() }; BATCH];
    let mut send_iovs = iovs.clone();
    let mut send_msgs = msgs.clone();
    // On a wildcard address: each query's destination, for its answer's source.
    let pktinfo = sock.local_addr().is_ok_and(|a| a.ip().is_unspecified());
    let mut controls = vec![[0u64; CONTROL_WORDS]; if pktinfo { BATCH } else { 0 }];

    let mut limited = Limited::default();
    let mut rate = RateKey::default();
    let mut tally = Tally::default();
    // Holding the turn; dropping it passes the turn on, also if this thread ends by a panic,
    // so the other threads go on answering.
    let mut holding = None;
    while !stop.load(Ordering::Relaxed) {
        if holding.is_none() {
            if !turn.take(&stop) {
                break;
            }
            holding = Some(Holding(&turn));
        }
        for i in 0..BATCH {
            iovs[i] = libc::iovec {
                iov_base: bufs[i].as_mut_ptr().cast(),
                iov_len: MAX_QUERY,
            };
            let hdr = &mut msgs[i].msg_hdr;
            hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            hdr.msg_iov = &mut iovs[i];
            hdr.msg_iovlen = 1;
            (hdr.msg_control, hdr.msg_controllen) = match controls.get_mut(i) {
                Some(c) => (c.as_mut_ptr().cast(), std::mem::size_of_val(c) as _),
                None => (std::ptr::null_mut(), 0),
            };
            hdr.msg_flags = 0;
            msgs[i].msg_len = 0;
        }
        // SAFETY: every header points at live buffers owned by this function, sized as declared.
        // MSG_WAITFORONE blocks (up to SO_RCVTIMEO) for the first datagram only.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                msgs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n <= 0 {
            let err = std::io::Error::last_os_error();
            if !matches!(
                err.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
            ) {
                tracing::debug!(error = %err, "udp receive");
            }
            continue;
        }
        if n as usize == BATCH {
            // Queries are queueing: let the next thread receive while this one answers.
            holding = None;
        }
        tally.count_n(Counter::Received, n as u64);
        let snapshot = zones.load();
        let access = access.load();
        // Rate limiting, if on: the limiter, and the time of this batch.
        let limiting = access.rate_limit.as_deref().map(|l| (l, Instant::now()));
        let mut to_send = 0;
        for i in 0..n as usize {
            let len = msgs[i].msg_len as usize;
            if msgs[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                tally.count(Counter::NotAnswered);
                continue; // larger than any real query: drop it
            }
            let (query, out) = (&bufs[i][..len], &mut outs[i]);
            let answered = match limiting {
                Some(_) => respond_counted(&snapshot, &config, &access.keys, query, out, &mut rate),
                None => respond(&snapshot, &config, &access.keys, query, Transport::Udp, out),
            };
            if !answered {
                tally.count(Counter::NotAnswered);
                continue;
            }
            if is_refused(out) {
                if let Some(client) = peer(&addrs[i]) {
                    ixfr_over_udp(query, client, &snapshot, &config, &access, out);
                }
            }
            if let Some((limiter, now)) = limiting {
                if let Some(client) = peer(&addrs[i]) {
                    match limiter.check(client, &rate, limiter.seconds(now)) {
                        Verdict::Send => {}
                        Verdict::Slip => {
                            rrl::truncate(out);
                            tally.count(Counter::RateSlipped);
                            limited.slipped += 1;
                            limited.latest = Some((client, rate.kind));
                        }
                        Verdict::Drop => {
                            tally.count(Counter::RateDropped);
                            tally.count(Counter::NotAnswered);
                            limited.dropped += 1;
                            limited.latest = Some((client, rate.kind));
                            continue;
                        }
                    }
                }
            }
            tally.answered(out);
            send_iovs[to_send] = libc::iovec {
                iov_base: outs[i].as_mut_ptr().cast(),
                iov_len: outs[i].len(),
            };
            let received_control = msgs[i].msg_hdr.msg_controllen as usize;
            let received_flags = msgs[i].msg_hdr.msg_flags;
            let hdr = &mut send_msgs[to_send].msg_hdr;
            hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
            hdr.msg_iov = &mut send_iovs[to_send];
            hdr.msg_iovlen = 1;
            (hdr.msg_control, hdr.msg_controllen) = (std::ptr::null_mut(), 0);
            if let Some(c) = controls.get_mut(i) {
                if answer_from_destination(c, received_control, received_flags) {
                    (hdr.msg_control, hdr.msg_controllen) =
                        (c.as_mut_ptr().cast(), received_control as _);
                }
            }
            to_send += 1;
        }
        counters.add(&mut tally);
        if let Some((limiter, now)) = limiting {
            limited.log(limiter, now);
        }
        drop((snapshot, access));
        let mut sent = 0;
        while sent < to_send {
            // SAFETY: headers `sent..to_send` point at live answer buffers and peer addresses.
            let r = unsafe {
                libc::sendmmsg(
                    fd,
                    send_msgs[sent..].as_mut_ptr(),
                    (to_send - sent) as libc::c_uint,
                    0,
                )
            };
            if r <= 0 {
                let err = std::io::Error::last_os_error();
                if err.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                // One bad destination must not drop the rest of the batch.
                tracing::debug!(error = %err, "udp send");
                sent += 1;
            } else {
                sent += r as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A control buffer holding one control message of `level`/`kind` with `payload`.
    fn control(
        level: libc::c_int,
        kind: libc::c_int,
        payload: &[u8],
    ) -> ([u64; CONTROL_WORDS], usize) {
        let mut c = [0u64; CONTROL_WORDS];
        let hdr = std::mem::size_of::<libc::cmsghdr>();
        let len = hdr + payload.len();
        let first = c.as_mut_ptr().cast::<libc::cmsghdr>();
        // SAFETY: the buffer is aligned for and larger than the header plus these payloads.
        unsafe {
            first.write(libc::cmsghdr {
                cmsg_len: len as _,
                cmsg_level: level,
                cmsg_type: kind,
            });
            std::ptr::copy_nonoverlapping(payload.as_ptr(), libc::CMSG_DATA(first), payload.len());
        }
        (c, len)
    }

    #[test]
    fn answers_leave_from_the_address_the_query_came_to() {
        // IPv4: interface 3, local address 127.0.0.2, header destination 127.0.0.2.
        let mut info = [0u8; 12];
        info[..4].copy_from_slice(&3i32.to_ne_bytes());
        info[4..8].copy_from_slice(&[127, 0, 0, 2]);
        info[8..].copy_from_slice(&[127, 0, 0, 2]);
        let (mut c, len) = control(libc::IPPROTO_IP, libc::IP_PKTINFO, &info);
        assert!(answer_from_destination(&mut c, len, 0));
        let (sent, _) = control(libc::IPPROTO_IP, libc::IP_PKTINFO, &{
            let mut want = info;
            want[..4].copy_from_slice(&0i32.to_ne_bytes());
            want
        });
        assert_eq!(c, sent, "the interface cleared, the local address kept");
        // IPv6 goes back as received.
        let (mut c, len) = control(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, &[7; 20]);
        let received = c;
        assert!(answer_from_destination(&mut c, len, 0));
        assert_eq!(c, received);
        // Cut short, too short, or another message: answered without one.
        let (mut c, len) = control(libc::IPPROTO_IP, libc::IP_PKTINFO, &info);
        assert!(!answer_from_destination(&mut c, len, libc::MSG_CTRUNC));
        assert!(!answer_from_destination(&mut c, len - 1, 0));
        let (mut c, len) = control(libc::IPPROTO_IP, libc::IP_PKTINFO, &info[..8]);
        assert!(!answer_from_destination(&mut c, len, 0));
        let (mut c, len) = control(libc::SOL_SOCKET, libc::SCM_RIGHTS, &[0; 4]);
        assert!(!answer_from_destination(&mut c, len, 0));
    }

    #[test]
    fn one_thread_holds_the_turn_until_it_passes_it_on() {
        let turn = Arc::new(Turn::default());
        let stop = Arc::new(AtomicBool::new(false));
        assert!(turn.take(&stop));
        let (tx, rx) = mpsc::channel();
        let waiter = {
            let (turn, stop) = (turn.clone(), stop.clone());
            std::thread::spawn(move || tx.send(turn.take(&stop)).expect("send"))
        };
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "a second thread took a turn that was held"
        );
        turn.pass();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(true));
        waiter.join().expect("waiter");
    }

    #[test]
    fn a_thread_that_panics_holding_the_turn_passes_it_on() {
        let turn = Arc::new(Turn::default());
        let stop = Arc::new(AtomicBool::new(false));
        let panicking = {
            let (turn, stop) = (turn.clone(), stop.clone());
            std::thread::spawn(move || {
                assert!(turn.take(&stop));
                let _holding = Holding(&turn);
                panic!("a bug in the answer path");
            })
        };
        assert!(panicking.join().is_err());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(turn.take(&stop)).expect("send"));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(true));
    }

    #[test]
    fn a_thread_waiting_for_the_turn_gives_up_when_told_to_stop() {
        let turn = Arc::new(Turn::default());
        let stop = Arc::new(AtomicBool::new(false));
        assert!(turn.take(&stop));
        let waiter = {
            let (turn, stop) = (turn.clone(), stop.clone());
            std::thread::spawn(move || turn.take(&stop))
        };
        stop.store(true, Ordering::Relaxed);
        assert!(!waiter.join().expect("waiter"), "took a held turn");
    }
}
