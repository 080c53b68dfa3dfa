//! DNS over TCP (RFC 7766): two-byte length-prefixed messages, several queries per connection,
//! idle connections closed after a timeout.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::wire::{respond, AnswerConfig, Transport};
use crate::zone::ZoneSet;

/// How long a connection may sit idle between queries.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;

/// Accepts connections until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    zones: Arc<ArcSwap<ZoneSet>>,
    config: AnswerConfig,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.cancelled() => return,
        };
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(v) => v,
                Err(e) => { tracing::debug!(error = %e, "tcp accept"); continue; }
            },
            _ = shutdown.cancelled() => return,
        };
        let zones = zones.clone();
        let token = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection(stream, zones, config) => {}
                _ = token.cancelled() => {}
            }
            drop(permit);
        });
    }
}

async fn connection(mut stream: TcpStream, zones: Arc<ArcSwap<ZoneSet>>, config: AnswerConfig) {
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
        let send = {
            let snapshot = zones.load();
            respond(&snapshot, &config, &buf[..len], Transport::Tcp, &mut out)
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
