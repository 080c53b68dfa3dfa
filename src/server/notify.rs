//! NOTIFY (RFC 1996): tells the configured secondaries that a zone's serial changed, so they
//! transfer it at once instead of at their next SOA refresh.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use tokio::net::UdpSocket;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::tsig::{self, Key, Signer};
use crate::wire::{notify_message, notify_reply};
use crate::zone::Zone;

/// How many times a NOTIFY is sent before giving up, and how long each waits for its answer
/// (RFC 1996 §3.6: retransmit, then give up).
const TRIES: u32 = 5;
const WAIT: Duration = Duration::from_secs(2);

/// Sends `zone`'s NOTIFY to `target` on a task of its own that retransmits until the secondary
/// answers; aborting the handle stops it (when a newer serial is to be notified). None outside
/// a Tokio runtime.
/// It goes out from the first of `sources` of the target's family, else from the address the
/// system picks, signed with `key` if the target has one (RFC 8945).
pub fn spawn(
    zone: &Zone,
    target: SocketAddr,
    key: Option<Arc<Key>>,
    sources: &[IpAddr],
) -> Option<AbortHandle> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let name = zone.origin().to_string();
    let serial = zone.serial().unwrap_or(0);
    let mut id = [0u8; 2];
    // An unpredictable ID, so an off-path host cannot forge the answer.
    if SystemRandom::new().fill(&mut id).is_err() {
        tracing::warn!(%target, zone = %name, "NOTIFY not sent: no random ID");
        return None;
    }
    let id = u16::from_be_bytes(id);
    let mut msg = notify_message(id, zone)?;
    // Retransmissions resend this message: its time stays within the fudge.
    let signer = key.map(|key| {
        let mut signer = Signer::request(key, tsig::now());
        signer.sign(&mut msg);
        signer
    });
    let source = sources
        .iter()
        .copied()
        .find(|s| s.is_ipv4() == target.is_ipv4())
        .unwrap_or(if target.is_ipv4() {
            IpAddr::from([0u8; 4])
        } else {
            IpAddr::from([0u16; 8])
        });
    let local = SocketAddr::new(source, 0);
    let task = send(local, target, msg, signer, id, name, serial);
    Some(runtime.spawn(task).abort_handle())
}

async fn send(
    local: SocketAddr,
    target: SocketAddr,
    msg: Vec<u8>,
    signer: Option<Signer>,
    id: u16,
    zone: String,
    serial: u32,
) {
    let sock = match UdpSocket::bind(local).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%target, %zone, %local, error = %e, "NOTIFY not sent: cannot send from this address");
            return;
        }
    };
    if let Err(e) = sock.connect(target).await {
        tracing::warn!(%target, %zone, error = %e, "NOTIFY not sent");
        return;
    }
    let mut buf = [0u8; 512];
    for _ in 0..TRIES {
        if let Err(e) = sock.send(&msg).await {
            tracing::warn!(%target, %zone, error = %e, "NOTIFY not sent");
            return;
        }
        let deadline = Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
                Err(_) => break,
                // Nobody listening (ICMP port unreachable): try again after the wait.
                Ok(Err(_)) => {
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
                // A signed NOTIFY wants a reply signed with the same key (RFC 8945 §5.3);
                // another one, maybe forged, does not stop the retransmissions.
                Ok(Ok(n))
                    if notify_reply(&buf[..n], id).is_some()
                        && signer
                            .as_ref()
                            .is_some_and(|s| !s.verifies_reply(&buf[..n], tsig::now())) =>
                {
                    tracing::warn!(%target, %zone, serial, "NOTIFY answer ignored: not signed with the key, or its signature does not verify");
                }
                Ok(Ok(n)) => match notify_reply(&buf[..n], id) {
                    Some(0) => {
                        tracing::info!(%target, %zone, serial, "NOTIFY acknowledged");
                        return;
                    }
                    Some(rcode) => {
                        tracing::warn!(%target, %zone, serial, rcode, "NOTIFY answered with an error (is zonectl allowed to notify it?)");
                        return;
                    }
                    None => {}
                },
            }
        }
    }
    tracing::warn!(%target, %zone, serial, "NOTIFY not answered after {TRIES} tries");
}
