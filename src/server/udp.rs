//! UDP workers: one blocking thread per SO_REUSEPORT socket, so the kernel spreads queries over
//! the workers and the answer path takes no lock and makes no task per query.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::wire::{respond, AnswerConfig, Transport};
use crate::zone::ZoneSet;

/// Answers queries on `sock` until `stop` is set.
pub fn serve(
    sock: UdpSocket,
    zones: Arc<ArcSwap<ZoneSet>>,
    config: AnswerConfig,
    stop: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 65535];
    let mut out = Vec::with_capacity(4096);
    while !stop.load(Ordering::Relaxed) {
        let (len, peer) = match sock.recv_from(&mut buf) {
            Ok(v) => v,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(e) => {
                tracing::debug!(error = %e, "udp receive");
                continue;
            }
        };
        let snapshot = zones.load();
        if respond(&snapshot, &config, &buf[..len], Transport::Udp, &mut out) {
            if let Err(e) = sock.send_to(&out, peer) {
                tracing::debug!(error = %e, %peer, "udp send");
            }
        }
    }
}
