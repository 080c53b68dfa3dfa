//! UDP workers: one blocking thread per SO_REUSEPORT socket, so the kernel spreads queries over
//! the workers and the answer path takes no lock and spawns nothing per query. Each wake-up
//! receives up to [`BATCH`] datagrams with one `recvmmsg` and sends the answers with one
//! `sendmmsg`, as Knot and NSD do.

use std::mem::MaybeUninit;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::wire::{respond, AnswerConfig, Transport};
use crate::zone::ZoneSet;

/// Datagrams handled per system call.
const BATCH: usize = 32;
/// Receive buffer per datagram: a query larger than this is not a query we answer.
const MAX_QUERY: usize = 4096;

/// Answers queries on `sock` until `stop` is set (checked at least every read timeout).
pub fn serve(
    sock: UdpSocket,
    zones: Arc<ArcSwap<ZoneSet>>,
    config: AnswerConfig,
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

    while !stop.load(Ordering::Relaxed) {
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
            hdr.msg_control = std::ptr::null_mut();
            hdr.msg_controllen = 0;
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
        let snapshot = zones.load();
        let mut to_send = 0;
        for i in 0..n as usize {
            let len = msgs[i].msg_len as usize;
            if msgs[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                continue; // larger than any real query: drop it
            }
            if !respond(
                &snapshot,
                &config,
                &bufs[i][..len],
                Transport::Udp,
                &mut outs[i],
            ) {
                continue;
            }
            send_iovs[to_send] = libc::iovec {
                iov_base: outs[i].as_mut_ptr().cast(),
                iov_len: outs[i].len(),
            };
            let hdr = &mut send_msgs[to_send].msg_hdr;
            hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
            hdr.msg_iov = &mut send_iovs[to_send];
            hdr.msg_iovlen = 1;
            to_send += 1;
        }
        drop(snapshot);
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
