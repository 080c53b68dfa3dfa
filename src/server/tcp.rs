//! DNS over TCP (RFC 7766): two-byte length-prefixed messages, several queries per connection,
//! idle connections closed after a timeout. Zone transfers (AXFR, IXFR) are answered here only,
//! to the clients `transfer_allow` admits.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use ipnet::IpNet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::wire::{respond, transfer_request, AnswerConfig, Transferred, Transport};
use crate::zone::ZoneSet;

/// How long a connection may sit idle between queries.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;

/// Transfer messages encoded ahead of the connection's writes.
const TRANSFER_QUEUE: usize = 4;

/// Accepts connections until `shutdown`. Clients in `transfer_allow` may transfer zones.
pub async fn serve(
    listener: TcpListener,
    zones: Arc<ArcSwap<ZoneSet>>,
    config: AnswerConfig,
    transfer_allow: Arc<[IpNet]>,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.cancelled() => return,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(v) => v,
                Err(e) => { tracing::debug!(error = %e, "tcp accept"); continue; }
            },
            _ = shutdown.cancelled() => return,
        };
        let zones = zones.clone();
        let token = shutdown.clone();
        // An IPv4 client of a dual-stack socket is judged by its IPv4 address.
        let ip = peer.ip().to_canonical();
        let may_transfer = transfer_allow.iter().any(|net| net.contains(&ip));
        tokio::spawn(async move {
            tokio::select! {
                _ = connection(stream, zones, config, may_transfer.then_some(ip)) => {}
                _ = token.cancelled() => {}
            }
            drop(permit);
        });
    }
}

/// Answers the queries on one connection; `transferer` is the client's address if it may
/// transfer zones.
async fn connection(
    mut stream: TcpStream,
    zones: Arc<ArcSwap<ZoneSet>>,
    config: AnswerConfig,
    transferer: Option<IpAddr>,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 65535];
    let mut out = Vec::with_capacity(4096);
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(IDLE_TIMEOUT, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let len = u16::from_be_bytes(len) as usize;
        match tokio::time::timeout(IDLE_TIMEOUT, stream.read_exact(&mut buf[..len])).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let send = match (transfer_request(&buf[..len]), transferer) {
            (Some(_), Some(client)) => {
                if transfer(&mut stream, &zones, buf[..len].to_vec(), client).await {
                    continue;
                }
                return;
            }
            (Some(request), None) => {
                request.refuse(&mut out);
                true
            }
            (None, _) => {
                let snapshot = zones.load();
                respond(&snapshot, &config, &buf[..len], Transport::Tcp, &mut out)
            }
        };
        if !send {
            return;
        }
        let mut msg = Vec::with_capacity(out.len() + 2);
        msg.extend_from_slice(&(out.len() as u16).to_be_bytes());
        msg.extend_from_slice(&out);
        if stream.write_all(&msg).await.is_err() {
            return;
        }
    }
}

/// Sends the zone that `query` (a [`transfer_request`]) asks for from the current snapshot,
/// which stays the same for the whole transfer whatever reloads happen meanwhile. The messages
/// are encoded on a blocking thread, a few ahead of the writes, so a large zone is never held
/// whole in memory. False if the connection failed.
async fn transfer(
    stream: &mut TcpStream,
    zones: &Arc<ArcSwap<ZoneSet>>,
    query: Vec<u8>,
    client: IpAddr,
) -> bool {
    let snapshot = zones.load_full();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(TRANSFER_QUEUE);
    let encoder = tokio::task::spawn_blocking(move || {
        let request = transfer_request(&query).expect("checked by the caller");
        let zone = request.zone_text();
        let outcome = request.answer(&snapshot, |msg| {
            let mut framed = Vec::with_capacity(msg.len() + 2);
            framed.extend_from_slice(&(msg.len() as u16).to_be_bytes());
            framed.extend_from_slice(msg);
            tx.blocking_send(framed).is_ok()
        });
        (zone, outcome)
    });
    let mut ok = true;
    while let Some(msg) = rx.recv().await {
        // A client that stops reading is dropped like an idle one, and frees its snapshot.
        let written = tokio::time::timeout(IDLE_TIMEOUT, stream.write_all(&msg)).await;
        if !matches!(written, Ok(Ok(()))) {
            ok = false;
            break;
        }
    }
    // Dropping the receiver ends an encoder still sending to a client that went away.
    drop(rx);
    match encoder.await {
        Err(e) => {
            tracing::error!(%client, error = %e, "zone transfer failed");
            ok = false;
        }
        Ok((zone, _)) if !ok => {
            tracing::warn!(%client, %zone, "zone transfer cut off by the client")
        }
        Ok((zone, Transferred::Zone(records))) => {
            tracing::info!(%client, %zone, records, "zone transferred")
        }
        Ok((zone, Transferred::UpToDate)) => {
            tracing::info!(%client, %zone, "IXFR: the client's copy is current")
        }
        Ok((zone, Transferred::NotServed)) => {
            tracing::info!(%client, %zone, "transfer refused: not a zone served here (NOTAUTH)")
        }
        Ok((zone, Transferred::Cut)) => {
            tracing::warn!(%client, %zone, "zone transfer failed: a record is too large for a message (SERVFAIL sent)")
        }
    }
    ok
}
