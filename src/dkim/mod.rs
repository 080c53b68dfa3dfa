//! DKIM keys (RFC 6376, RFC 8301, RFC 8463): records, key pairs, the per-zone state file and the
//! rotation schedule.
//!
//! - [`record`] — pure: build the `v=DKIM1; k=…; p=…` TXT value, split it into ≤255-byte
//!   strings, parse published records back, the opendkim-genkey-shaped `.txt` file.
//! - [`key`] — key pairs: RSA (the `rsa` crate) and Ed25519 (`ring`) generation, PKCS#8 PEM
//!   encoding and decoding (Ed25519 in the RFC 8410 v1 form OpenSSL 3.0 reads), the public key a
//!   private key implies. Reads the OS random source; touches no file.
//! - [`state`] — pure: the state file (`keys/ZONE/dkim.toml`) model, and the schedule rules
//!   (activate after the TTL, retire after the grace period, remove after revocation) as
//!   functions of an injected clock.
//! - [`files`] — the one part that touches the filesystem: `keys/ZONE/` (0700), private keys
//!   created 0600 from the first byte, the state file written atomically, permission checks.
//!
//! Nothing here imports the CLI or the server (`files` uses `store`'s atomic write and lock);
//! `cli::dkim` wires these to the edit path.

pub mod files;
pub mod key;
pub mod record;
pub mod state;

pub use key::{Algorithm, PrivateKey};
pub use record::DkimRecord;
