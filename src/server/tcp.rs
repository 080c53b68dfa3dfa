//! DNS over TCP (RFC 7766): two-byte length-prefixed messages, several queries per connection,
//! idle connections closed after a timeout. Zone transfers (AXFR, IXFR) are sent here, to the
//! clients `transfer_allow` admits ([`admit`]), signed with TSIG when the request is; over UDP
//! an IXFR gets the SOA alone.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::admit::admit;
use super::stats::{Counter, Counters, Tally};
use crate::config::Access;
use crate::tsig::Signer;
use crate::wire::{respond, transfer_request, AnswerConfig, Transferred, Transport};
use crate::zone::{Zone, ZoneSet};

/// How long a connection may sit idle between queries.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;

/// Transfer messages encoded ahead of the connection's writes.
const TRANSFER_QUEUE: usize = 4;
/// Most zone transfers sent at once (BIND's `transfers-out` default); more are refused, and the
/// secondaries retry later. Each holds a blocking thread and its zone's snapshot.
const MAX_TRANSFERS: usize = 10;
static TRANSFERS: Semaphore = Semaphore::const_new(MAX_TRANSFERS);

/// What the connections of a listener answer from, and count in.
#[derive(Clone)]
pub struct Serving {
    pub zones: Arc<ArcSwap<ZoneSet>>,
    pub config: AnswerConfig,
    /// Who may transfer zones, and the TSIG keys.
    pub access: Arc<ArcSwap<Access>>,
    pub counters: Arc<Counters>,
}

/// Accepts connections until `shutdown`. Clients `access` allows may transfer zones.
pub async fn serve(listener: TcpListener, serving: Serving, shutdown: CancellationToken) {
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
        let token = shutdown.clone();
        let serving = serving.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection(stream, serving, peer.ip()) => {}
                _ = token.cancelled() => {}
            }
            drop(permit);
        });
    }
}

/// Answers the queries of `client` on one connection. Whether it may transfer zones is decided
/// at each request, so a reload that takes it out of `transfer_allow` applies at once.
async fn connection(mut stream: TcpStream, serving: Serving, client: IpAddr) {
    let Serving {
        zones,
        config,
        access,
        counters,
    } = serving;
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 65535];
    let mut out = Vec::with_capacity(4096);
    'queries: loop {
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
        let mut tally = Tally::default();
        tally.count(Counter::Received);
        let send = match transfer_request(&buf[..len], &config) {
            Some(request) => 'refused: {
                let access = access.load_full();
                let zone = request.zone_text();
                let signer = match admit(&request, &access, client, &mut out) {
                    Ok(signer) => signer,
                    Err(refused) => {
                        refused.log(client, &zone);
                        tally.count(Counter::TransfersRefused);
                        break 'refused true;
                    }
                };
                if let Ok(_permit) = TRANSFERS.try_acquire() {
                    counters.add(&mut tally);
                    // The transfer holds its zone only, not every zone served.
                    let served = request.zone(&zones.load()).cloned();
                    let query = buf[..len].to_vec();
                    if transfer(
                        &mut stream,
                        served,
                        query,
                        &config,
                        signer,
                        client,
                        &counters,
                    )
                    .await
                    {
                        continue 'queries;
                    }
                    return;
                } else {
                    tracing::warn!(%client, %zone, "transfer refused: {MAX_TRANSFERS} transfers are running");
                    tally.count(Counter::TransfersRefused);
                    request.refuse(&mut out, signer);
                }
                true
            }
            None => {
                let snapshot = zones.load();
                let access = access.load();
                respond(
                    &snapshot,
                    &config,
                    &access.keys,
                    &buf[..len],
                    Transport::Tcp,
                    &mut out,
                )
            }
        };
        if !send {
            tally.count(Counter::NotAnswered);
            counters.add(&mut tally);
            return;
        }
        tally.answered(&out);
        counters.add(&mut tally);
        if !send_message(&mut stream, &out).await {
            return;
        }
    }
}

/// A DNS message with its two-byte length prefix (RFC 1035 §4.2.2).
fn framed(msg: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    framed.extend_from_slice(msg);
    framed
}

/// Writes one message; false if the connection failed.
async fn send_message(stream: &mut TcpStream, msg: &[u8]) -> bool {
    stream.write_all(&framed(msg)).await.is_ok()
}

/// Answers `query` (a [`transfer_request`]) from `zone`: the zone it asks for as served when it
/// came (or nothing), whatever reloads happen meanwhile, signed by `signer` if it was signed.
/// The messages are encoded on a blocking thread, a few ahead of the writes, so a large zone is
/// never copied whole. Counted in `counters` by how it ended. False if the connection failed.
async fn transfer(
    stream: &mut TcpStream,
    zone: Option<Arc<Zone>>,
    query: Vec<u8>,
    config: &AnswerConfig,
    signer: Option<Signer>,
    client: IpAddr,
    counters: &Counters,
) -> bool {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(TRANSFER_QUEUE);
    let config = config.clone();
    let encoder = tokio::task::spawn_blocking(move || {
        let request = transfer_request(&query, &config).expect("checked by the caller");
        let name = request.zone_text();
        let outcome = request.answer(zone.as_deref(), signer, |msg| {
            tx.blocking_send(framed(msg)).is_ok()
        });
        (name, outcome)
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
    let ended = encoder.await;
    let mut tally = Tally::default();
    match &ended {
        Ok((_, Transferred::Zone(_) | Transferred::Increments { .. }))
        | Ok((_, Transferred::UpToDate | Transferred::AskOverTcp))
            if ok =>
        {
            tally.count(Counter::Transfers);
            tally.count(Counter::NoError);
        }
        Ok((_, Transferred::NotServed)) if ok => tally.count(Counter::OtherRcode), // NOTAUTH
        Ok((_, Transferred::Cut)) if ok => tally.count(Counter::ServFail),
        // Cut off by the client, or the encoder failed.
        _ => tally.count(Counter::NotAnswered),
    }
    counters.add(&mut tally);
    match ended {
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
        Ok((
            zone,
            Transferred::Increments {
                from,
                to,
                diffs,
                records,
            },
        )) => {
            tracing::info!(%client, %zone, from, to, diffs, records, "zone transferred incrementally (IXFR)")
        }
        Ok((zone, Transferred::UpToDate | Transferred::AskOverTcp)) => {
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
