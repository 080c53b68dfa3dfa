//! Who may transfer a zone: the request's TSIG signature checked, then the zone's
//! `transfer_allow` (or the global one). Over TCP the admitted get the zone; over UDP an IXFR
//! gets our SOA alone (RFC 1995 §2).

use std::net::IpAddr;

use crate::config::Access;
use crate::tsig::{self, Signer};
use crate::wire::{Signature, TransferRequest};

/// Why a transfer request was refused ([`admit`]).
pub(super) enum Refused {
    /// A TSIG record that cannot be read: FORMERR.
    Malformed,
    /// A signature that did not verify: NOTAUTH with the TSIG error.
    Signature { key: String, reason: &'static str },
    /// No `transfer_allow` entry admits the client with its key (or none): REFUSED.
    NotAllowed { key: Option<String> },
}

impl Refused {
    /// Logs the refusal of `client`'s request for `zone`.
    pub(super) fn log(&self, client: IpAddr, zone: &str) {
        match self {
            Refused::Malformed => {
                tracing::warn!(%client, %zone, "transfer refused: malformed TSIG record (FORMERR)")
            }
            Refused::Signature { key, reason } => {
                tracing::warn!(%client, %zone, key, "transfer refused: {reason}")
            }
            Refused::NotAllowed { key } => {
                tracing::info!(%client, %zone, key, "transfer refused: no transfer_allow entry admits this client with this key")
            }
        }
    }
}

/// Whether `client` may transfer the zone `request` asks for: the signer to answer with (if the
/// request was signed and verified), or why not, with the refusal written in `out`.
pub(super) fn admit(
    request: &TransferRequest<'_>,
    access: &Access,
    client: IpAddr,
    out: &mut Vec<u8>,
) -> Result<Option<Signer>, Refused> {
    let now = tsig::now();
    let signer = match request.verify(&access.keys, now) {
        Signature::Unsigned => None,
        Signature::Signed(signer) => Some(signer),
        Signature::Malformed => {
            request.refuse_malformed(out);
            return Err(Refused::Malformed);
        }
        Signature::Refused(refusal) => {
            let refused = Refused::Signature {
                key: refusal.key_name(),
                reason: refusal.reason(),
            };
            request.refuse_signature(refusal, out, now);
            return Err(refused);
        }
    };
    let acl = match request.zone_name() {
        Some(name) => access.transfer_for(&name),
        None => &access.transfer,
    };
    let key = signer.as_ref().map(|s| s.key().name());
    if !acl.allows(client, key) {
        let key = key.map(ToString::to_string);
        request.refuse(out, signer);
        return Err(Refused::NotAllowed { key });
    }
    Ok(signer)
}
