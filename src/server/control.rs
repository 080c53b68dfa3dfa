//! The control socket listener: one JSON request per connection line, answered by the zone
//! manager. Callers are identified by their peer credentials (SO_PEERCRED): the server's own
//! user and root may do everything; anyone else only what the zone manager allows them on the
//! zones the config says they own (see `Manager::authorize`). Who can connect at all is the
//! socket's mode and group (`control_mode`, `control_group`; by default 0600, the owner only).

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc::UnboundedSender, oneshot};
use tokio_util::sync::CancellationToken;

use super::ManagerMsg;
use crate::control::{Request, Response};

/// Longest request line accepted.
const MAX_REQUEST: usize = 1 << 20;

/// Accepts control connections until `shutdown`.
pub async fn serve(
    listener: UnixListener,
    tx: UnboundedSender<ManagerMsg>,
    shutdown: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => { tracing::warn!(error = %e, "control accept"); continue; }
            },
            _ = shutdown.cancelled() => return,
        };
        tokio::spawn(connection(stream, tx.clone()));
    }
}

/// Who sent a control request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    pub gid: u32,
    /// The server's own user or root: may do everything.
    pub admin: bool,
}

async fn connection(stream: UnixStream, tx: UnboundedSender<ManagerMsg>) {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let server_uid = unsafe { libc::geteuid() };
    let caller = stream.peer_cred().ok().map(|cred| Caller {
        uid: cred.uid(),
        gid: cred.gid(),
        admin: cred.uid() == 0 || cred.uid() == server_uid,
    });
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read.take(MAX_REQUEST as u64));
    let mut line = String::new();
    let response = if let Some(caller) = caller {
        match reader.read_line(&mut line).await {
            Ok(0) => return,
            Ok(_) => match serde_json::from_str::<Request>(&line) {
                Ok(req) => {
                    let (reply_tx, reply_rx) = oneshot::channel();
                    if tx.send(ManagerMsg::Control(req, caller, reply_tx)).is_err() {
                        return;
                    }
                    match reply_rx.await {
                        Ok(r) => r,
                        Err(_) => return,
                    }
                }
                Err(e) => Response::Error {
                    message: format!("bad request: {e}"),
                },
            },
            Err(_) => return,
        }
    } else {
        Response::Error {
            message: "permission denied: the caller's credentials cannot be read".into(),
        }
    };
    let mut out = serde_json::to_string(&response).expect("responses always serialize");
    out.push('\n');
    let _ = write.write_all(out.as_bytes()).await;
}
