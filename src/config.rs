//! The configuration file (TOML) and its defaults. Command-line flags override it.
//!
//! Unknown keys are rejected by name, so a typo never silently does nothing.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::tsig::Keyring;
use crate::wire::{Identity, MAX_IDENTITY_LEN};
use crate::zone::rdata::hex_decode;
use crate::zone::serial::SerialPolicy;
use crate::zone::Name;

/// Default listen addresses: loopback only, IPv4 and IPv6.
pub const DEFAULT_LISTEN: [&str; 2] = ["127.0.0.1:5353", "[::1]:5353"];
/// Default control socket path.
pub const DEFAULT_CONTROL: &str = "zonectl.sock";
/// Default zones directory.
pub const DEFAULT_ZONES_DIR: &str = "zones";
/// Default keys directory.
pub const DEFAULT_KEYS_DIR: &str = "keys";

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Directory whose `*.zone` files are served.
    pub zones_dir: Option<PathBuf>,
    /// Directory of private keys: DKIM keys per zone, TSIG keys in `tsig/`.
    pub keys_dir: Option<PathBuf>,
    /// UDP and TCP listen addresses.
    pub listen: Option<Vec<SocketAddr>>,
    /// Control socket path.
    pub control: Option<PathBuf>,
    /// Largest UDP response sent to EDNS clients (default 1232).
    pub max_udp_payload: Option<u16>,
    /// UDP threads per listen address, taking turns on one socket (default: number of CPUs).
    pub udp_workers: Option<usize>,
    /// Serial policy for zones that do not set their own (default dateserial).
    pub serial_policy: Option<SerialPolicy>,
    /// Permission bits of the control socket, in octal (default "0600": the server's user
    /// only). A lab server where participants use the socket sets "0660" with `control_group`,
    /// or "0666"; each request is then checked against the zones' owners.
    pub control_mode: Option<String>,
    /// Group of the control socket (a name or a number).
    pub control_group: Option<String>,
    /// Milliseconds from an acknowledged edit to the rewrite of its zone file (default 200;
    /// edits made meanwhile share the write, like Knot's `zonefile-sync`).
    pub zonefile_sync_ms: Option<u64>,
    /// Days a DKIM key stays published after the signer stopped using it, before `dkim retire`
    /// may revoke it (default 7).
    pub dkim_grace_days: Option<u32>,
    /// DMARC aggregate reports (a directory, or a file) that `dmarc check` and `dmarc rollout`
    /// judge readiness by when not given `--reports`.
    pub dmarc_reports: Option<PathBuf>,
    /// Days of reports readiness counts, back from the newest (default 14).
    pub dmarc_report_days: Option<u32>,
    /// SMTP TLS reports (a directory, or a file) that `mta-sts check` judges readiness by when
    /// not given `--reports`; the days counted are `dmarc_report_days`.
    pub tlsrpt_reports: Option<PathBuf>,
    /// Clients allowed to transfer zones (AXFR and IXFR over TCP; over UDP an IXFR gets the
    /// SOA alone): addresses or prefixes such as
    /// "192.0.2.53" or "2001:db8::/64", each optionally followed by `key NAME`, a TSIG key in
    /// `keys/tsig` its requests must be signed with. None, the default, refuses every transfer.
    pub transfer_allow: Option<Vec<String>>,
    /// Secondaries sent a NOTIFY (RFC 1996) whenever a zone's serial changes: addresses, with
    /// a port or port 53, such as "192.0.2.53" or "[2001:db8::53]:5300", each optionally
    /// followed by `key NAME` to sign the NOTIFY with that TSIG key.
    pub notify: Option<Vec<String>>,
    /// The addresses NOTIFYs are sent from, one per family, such as ["192.0.2.1"]; by default
    /// the system picks one (BIND's `notify-source`, Knot's `via`).
    pub notify_source: Option<Vec<IpAddr>>,
    /// Response rate limiting over UDP: off unless the section is there.
    pub rate_limit: Option<RateLimitConfig>,
    /// The answer to `CH TXT id.server.` and `hostname.bind.` (RFC 4892), as Knot's
    /// `identity`: by default the host's name; "" refuses the question.
    pub identity: Option<String>,
    /// The answer to `CH TXT version.server.` and `version.bind.`: by default "zonectl" and
    /// its version; "" refuses the question.
    pub version: Option<String>,
    /// The name server identifier (RFC 5001) in the answers to queries that ask for it: text,
    /// or hexadecimal after "0x" (as Knot's `nsid`); by default the host's name; "" sends none.
    pub nsid: Option<String>,
    /// Per-zone settings.
    #[serde(default, rename = "zone")]
    pub zones: Vec<ZoneConfig>,
}

/// Settings for one zone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// The zone's origin, e.g. `apple.example`.
    pub name: String,
    /// The zone file, relative to the zones directory unless absolute (default `NAME.zone`).
    pub file: Option<PathBuf>,
    /// Serial policy for edits of this zone.
    pub serial_policy: Option<SerialPolicy>,
    /// The Unix user (name or uid) who may run the control verbs and edits on this zone
    /// besides the server's user and root.
    pub owner: Option<String>,
    /// A Unix group (name or gid) whose members may do the same.
    pub owner_group: Option<String>,
    /// The DMARC rollout's stages, e.g. `["none", "quarantine t=y", "reject"]`
    /// (default `none → quarantine (t=y) → quarantine → reject (t=y) → reject`).
    pub dmarc_ladder: Option<Vec<String>>,
    /// Minimum days at a DMARC rollout stage before `rollout next` (default 7).
    pub dmarc_min_dwell_days: Option<u32>,
    /// The zone's MTA-STS policy file, as the web server serves it: what `mta-sts check` and
    /// `mta-sts publish` read when not given `--policy`.
    pub mta_sts_policy: Option<PathBuf>,
    /// Who may transfer this zone, in place of the global `transfer_allow` (as a zone's
    /// `allow-transfer` replaces the global one in BIND); `[]` refuses every transfer of it.
    pub transfer_allow: Option<Vec<String>>,
    /// Whom to notify of this zone's new serials, in place of the global `notify`; `[]`
    /// notifies nobody.
    pub notify: Option<Vec<String>>,
}

impl ZoneConfig {
    /// Who owns the zone, for messages: `user001`, `group workshop`, or both.
    pub fn owners_text(&self) -> Option<String> {
        match (&self.owner, &self.owner_group) {
            (Some(u), Some(g)) => Some(format!("{u} and group {g}")),
            (Some(u), None) => Some(u.clone()),
            (None, Some(g)) => Some(format!("group {g}")),
            (None, None) => None,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.into(),
            error,
        })?;
        Config::parse(&text, path)
    }

    /// Parses config text; `path` is for error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        // `-` reads standard input on the command line; from here it would wait on a terminal.
        for (setting, value) in [
            ("dmarc_reports", &config.dmarc_reports),
            ("tlsrpt_reports", &config.tlsrpt_reports),
        ] {
            if value.as_deref() == Some(Path::new("-")) {
                return Err(ConfigError::Parse {
                    path: path.into(),
                    message: format!(
                        "{setting} = \"-\": standard input is for the command line \
                         (--reports -); name a directory or a file"
                    ),
                });
            }
        }
        Ok(config)
    }

    /// The control socket's permission bits (`control_mode`, default 0600).
    pub fn control_mode(&self) -> Result<u32, String> {
        match &self.control_mode {
            None => Ok(0o600),
            Some(text) => u32::from_str_radix(text.trim_start_matches("0o"), 8)
                .ok()
                .filter(|m| *m <= 0o777)
                .ok_or_else(|| {
                    format!("control_mode {text:?} is not octal permission bits such as \"0660\"")
                }),
        }
    }

    /// `notify` as targets: an address alone means port 53; `key NAME` signs with that TSIG key.
    pub fn notify_targets(&self) -> Result<Vec<NotifyTarget>, String> {
        NotifyTarget::parse(self.notify.iter().flatten())
    }

    /// `transfer_allow`, checked: see [`TransferAcl::parse`].
    pub fn transfer_acl(&self) -> Result<TransferAcl, String> {
        TransferAcl::parse(self.transfer_allow.iter().flatten())
    }

    /// Who may transfer zones, whom to notify, and the TSIG keys both name: `transfer_allow`,
    /// `notify` (global, and each zone's own) and the keys in `keys_dir/tsig`. Every key named
    /// must be there.
    pub fn access(&self, keys_dir: &Path) -> Result<Access, String> {
        let transfer = self.transfer_acl()?;
        let notify = self.notify_targets()?;
        let mut zones = Vec::new();
        for z in &self.zones {
            if z.transfer_allow.is_none() && z.notify.is_none() {
                continue;
            }
            let name = Name::parse(&z.name, Some(&Name::root()))
                .map_err(|e| format!("zone {:?}: bad name: {e}", z.name))?
                .to_lowercase();
            let in_zone = |e: String| format!("zone {name}: {e}");
            let own = ZoneAccess {
                transfer: z
                    .transfer_allow
                    .as_ref()
                    .map(TransferAcl::parse)
                    .transpose()
                    .map_err(in_zone)?,
                notify: z
                    .notify
                    .as_ref()
                    .map(NotifyTarget::parse)
                    .transpose()
                    .map_err(in_zone)?,
            };
            zones.push((name, own));
        }
        let keys_at = keys_dir.join(TSIG_KEYS_DIR);
        let keys = Keyring::load(&keys_at).map_err(|e| e.to_string())?;
        let rate_limit = match &self.rate_limit {
            Some(r) => Some(std::sync::Arc::new(crate::rrl::Limiter::new(r.settings()?))),
            None => None,
        };
        let access = Access {
            transfer,
            notify,
            zones,
            keys,
            rate_limit,
        };
        for (setting, key) in access.keys_named() {
            if access.keys.get(key).is_none() {
                return Err(format!(
                    "{setting} names TSIG key {key}, which is not in {}: create it with \
                     `zonectl tsig generate {key}` or copy its file there (mode 0600)",
                    keys_at.display()
                ));
            }
        }
        Ok(access)
    }

    /// What the server tells of itself: `identity`, `version` and `nsid`, with `hostname` as
    /// the default identity and NSID.
    pub fn server_identity(&self, hostname: &str) -> Result<Identity, String> {
        // `hex`: the setting may be hexadecimal after "0x" (the NSID, as Knot reads it).
        let setting = |name: &str, value: &Option<String>, default: &str, hex: bool| {
            let value = value.as_deref().unwrap_or(default);
            let bytes =
                match value.strip_prefix("0x") {
                    Some(digits) if hex => hex_decode(digits)
                        .filter(|b| !b.is_empty())
                        .ok_or_else(|| {
                            format!("{name} {value:?}: after \"0x\", two hex digits for each byte")
                        })?,
                    _ => value.as_bytes().to_vec(),
                };
            if bytes.len() > MAX_IDENTITY_LEN {
                return Err(format!(
                    "{name} is {} bytes long; at most {MAX_IDENTITY_LEN} fit",
                    bytes.len()
                ));
            }
            Ok(bytes)
        };
        let version = concat!("zonectl ", env!("CARGO_PKG_VERSION"));
        // A host name too long for a TXT string is left out rather than refusing to start.
        let host = if hostname.len() <= MAX_IDENTITY_LEN {
            hostname
        } else {
            ""
        };
        Ok(Identity {
            name: setting("identity", &self.identity, host, false)?,
            version: setting("version", &self.version, version, false)?,
            nsid: setting("nsid", &self.nsid, host, true)?,
        })
    }

    /// The serial policy of the zone `origin`: its `[[zone]]` entry's, else the global one,
    /// else the default (dateserial).
    pub fn serial_policy_for(&self, origin: &str) -> SerialPolicy {
        self.zone(origin)
            .and_then(|z| z.serial_policy)
            .or(self.serial_policy)
            .unwrap_or_default()
    }

    /// The zone settings for `origin` (absolute or not; case-insensitive), if configured.
    pub fn zone(&self, origin: &str) -> Option<&ZoneConfig> {
        let want = origin.trim_end_matches('.');
        self.zones
            .iter()
            .find(|z| z.name.trim_end_matches('.').eq_ignore_ascii_case(want))
    }
}

/// Where the TSIG keys live, under the keys directory.
pub const TSIG_KEYS_DIR: &str = "tsig";

/// An entry's address part, and the TSIG key it names after ` key `, if any.
fn split_key<'a>(setting: &str, entry: &'a str) -> Result<(&'a str, Option<Name>), String> {
    let mut words = entry.split_whitespace();
    let addr = words.next().unwrap_or("");
    match (words.next(), words.next(), words.next()) {
        (None, _, _) => Ok((addr, None)),
        (Some("key"), Some(name), None) => Name::parse(name, Some(&Name::root()))
            .map(|n| (addr, Some(n.to_lowercase())))
            .map_err(|e| format!("{setting} {entry:?}: bad key name: {e}")),
        _ => Err(format!(
            "{setting} {entry:?}: expected an address, optionally followed by `key NAME`"
        )),
    }
}

/// A secondary to notify, and the TSIG key to sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyTarget {
    pub addr: SocketAddr,
    pub key: Option<Name>,
}

impl NotifyTarget {
    /// Reads `notify` entries: an address alone means port 53; `key NAME` signs with that TSIG
    /// key.
    pub fn parse<'a>(
        entries: impl IntoIterator<Item = &'a String>,
    ) -> Result<Vec<NotifyTarget>, String> {
        entries
            .into_iter()
            .map(|entry| {
                let (text, key) = split_key("notify", entry)?;
                let addr = text
                    .parse::<SocketAddr>()
                    .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                    .map_err(|_| {
                        format!(
                            "notify {entry:?} is not an address such as \"192.0.2.53\", \
                             \"192.0.2.53:5300\" or \"[2001:db8::53]:5300 key xfr.example\""
                        )
                    })?;
                Ok(NotifyTarget { addr, key })
            })
            .collect()
    }
}

/// What the server checks requests against and signs with, read from the config and the keys
/// directory at start and again by each reload of every zone.
#[derive(Debug, Default)]
pub struct Access {
    /// The global `transfer_allow`.
    pub transfer: TransferAcl,
    /// The global `notify`.
    pub notify: Vec<NotifyTarget>,
    /// Zones (lower-cased origins) with their own `transfer_allow` or `notify`.
    pub zones: Vec<(Name, ZoneAccess)>,
    pub keys: Keyring,
    /// `[rate_limit]`'s buckets, if it is set: new ones at each reload of the config.
    pub rate_limit: Option<std::sync::Arc<crate::rrl::Limiter>>,
}

/// A zone's own `transfer_allow` and `notify`, each replacing the global one when set.
#[derive(Debug, Default)]
pub struct ZoneAccess {
    pub transfer: Option<TransferAcl>,
    pub notify: Option<Vec<NotifyTarget>>,
}

impl Access {
    /// Who may transfer the zone `zone` (lower-cased): its own `transfer_allow`, else the
    /// global one.
    pub fn transfer_for(&self, zone: &Name) -> &TransferAcl {
        self.own(zone)
            .and_then(|z| z.transfer.as_ref())
            .unwrap_or(&self.transfer)
    }

    /// Whom to notify of the zone `zone`'s (lower-cased) new serials: its own `notify`, else
    /// the global one.
    pub fn notify_for(&self, zone: &Name) -> &[NotifyTarget] {
        self.own(zone)
            .and_then(|z| z.notify.as_deref())
            .unwrap_or(&self.notify)
    }

    fn own(&self, zone: &Name) -> Option<&ZoneAccess> {
        self.zones.iter().find(|(n, _)| n == zone).map(|(_, z)| z)
    }

    /// Every TSIG key an entry names, with the setting that names it.
    fn keys_named(&self) -> Vec<(String, &Name)> {
        fn add<'a>(
            named: &mut Vec<(String, &'a Name)>,
            zone: String,
            acl: Option<&'a TransferAcl>,
            targets: Option<&'a [NotifyTarget]>,
        ) {
            for (_, key) in acl.into_iter().flat_map(|a| &a.0) {
                named.extend(key.as_ref().map(|k| (format!("{zone}transfer_allow"), k)));
            }
            for t in targets.into_iter().flatten() {
                named.extend(t.key.as_ref().map(|k| (format!("{zone}notify"), k)));
            }
        }
        let mut named = Vec::new();
        add(
            &mut named,
            String::new(),
            Some(&self.transfer),
            Some(&self.notify),
        );
        for (name, z) in &self.zones {
            add(
                &mut named,
                format!("zone {name}: "),
                z.transfer.as_ref(),
                z.notify.as_deref(),
            );
        }
        named
    }
}

/// The network `text` (from `entry` of `setting`) names: an address, or a prefix with no bits
/// set past its length (`192.0.2.0/24`, not `192.0.2.53/24`, which is a typo for one or the
/// other). IPv4 clients are matched by their IPv4 address, so IPv4-mapped IPv6 addresses are
/// refused: they would never match. `example` ends the error for what is not an address.
fn network(setting: &str, entry: &str, text: &str, example: &str) -> Result<IpNet, String> {
    let net = text
        .parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{setting} {entry:?} is not an IP address or prefix {example}"))?;
    if net != net.trunc() {
        return Err(format!(
            "{setting} {entry:?} has bits set past its prefix length: write the network ({}) or \
             the single address",
            net.trunc()
        ));
    }
    if let IpNet::V6(v6) = net {
        if v6.addr().to_ipv4_mapped().is_some() {
            return Err(format!(
                "{setting} {entry:?} is an IPv4-mapped IPv6 address: write it as IPv4, as IPv4 \
                 clients are matched"
            ));
        }
    }
    Ok(net)
}

/// `[rate_limit]`: response rate limiting over UDP (see [`crate::rrl`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Responses a second of one kind, for one name, to one network of clients (BIND's
    /// `responses-per-second`, Knot's `rate-limit`).
    pub responses_per_second: u32,
    /// Every `slip`-th response over the rate is sent truncated, so a real client asks again
    /// over TCP; the others are dropped (default 2, as BIND; 0 drops them all, 1 truncates all).
    pub slip: Option<u8>,
    /// Prefix length that makes IPv4 clients one network (default 24).
    pub ipv4_prefix: Option<u8>,
    /// Prefix length that makes IPv6 clients one network (default 56).
    pub ipv6_prefix: Option<u8>,
    /// Clients never limited: addresses or prefixes.
    pub exempt: Option<Vec<String>>,
}

impl RateLimitConfig {
    /// The settings, checked.
    pub fn settings(&self) -> Result<crate::rrl::Settings, String> {
        let rate = self.responses_per_second;
        if !(1..=10_000).contains(&rate) {
            return Err(format!(
                "rate_limit.responses_per_second = {rate}: give 1 to 10000 (remove the \
                 [rate_limit] section to turn rate limiting off)"
            ));
        }
        let slip = self.slip.unwrap_or(2);
        if slip > 10 {
            return Err(format!("rate_limit.slip = {slip}: give 0 to 10"));
        }
        let prefix = |name: &str, value: Option<u8>, default: u8, max: u8| match value {
            None => Ok(default),
            Some(v) if (1..=max).contains(&v) => Ok(v),
            Some(v) => Err(format!("rate_limit.{name} = {v}: give 1 to {max}")),
        };
        let example = "such as \"192.0.2.0/24\" or \"2001:db8::/48\"";
        Ok(crate::rrl::Settings {
            rate: rate as u16,
            slip,
            ipv4_prefix: prefix("ipv4_prefix", self.ipv4_prefix, 24, 32)?,
            ipv6_prefix: prefix("ipv6_prefix", self.ipv6_prefix, 56, 128)?,
            exempt: self
                .exempt
                .iter()
                .flatten()
                .map(|e| network("rate_limit.exempt", e, e.trim(), example))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The clients allowed to transfer zones: address prefixes, each optionally with the TSIG key
/// its requests must be signed with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferAcl(Vec<(IpNet, Option<Name>)>);

impl TransferAcl {
    /// Reads `transfer_allow` entries: an address, or a prefix with no bits set past its length
    /// (`192.0.2.0/24`, not `192.0.2.53/24`, which is a typo for one or the other), optionally
    /// followed by `key NAME`. IPv4 clients are matched by their IPv4 address, so IPv4-mapped
    /// IPv6 entries are refused: they would never match.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a String>) -> Result<TransferAcl, String> {
        let example =
            "such as \"192.0.2.53\", \"192.0.2.0/24\" or \"2001:db8::/64 key xfr.example\"";
        entries
            .into_iter()
            .map(|entry| {
                let (text, key) = split_key("transfer_allow", entry)?;
                Ok((network("transfer_allow", entry, text, example)?, key))
            })
            .collect::<Result<_, _>>()
            .map(TransferAcl)
    }

    /// Does it admit no client at all?
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `client`, whose request was signed with the TSIG key `key` (already verified) or
    /// not signed, may transfer zones. An entry without a key admits its addresses signed or
    /// not; an entry with one admits only requests signed with it. An IPv4 client seen as an
    /// IPv4-mapped IPv6 address is matched as IPv4.
    pub fn allows(&self, client: IpAddr, key: Option<&Name>) -> bool {
        let client = client.to_canonical();
        self.0.iter().any(|(net, want)| {
            net.contains(&client) && want.as_ref().is_none_or(|w| Some(w) == key)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let err =
            Config::parse("zones_dir = \"z\"\nlisten_on = []\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("listen_on"), "{err}");
        let err = Config::parse(
            "[[zone]]\nname = \"a\"\nfiel = \"x\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("fiel"), "{err}");
    }

    #[test]
    fn transfer_allow_takes_addresses_and_prefixes() {
        let c = Config::parse(
            "transfer_allow = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\", \"2001:db8::/32\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let acl = c.transfer_acl().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for yes in [
            "127.0.0.1",
            "10.200.0.1",
            "::1",
            "2001:db8:ffff::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(acl.allows(ip(yes), None), "{yes}");
        }
        for no in [
            "127.0.0.2",
            "11.0.0.1",
            "::2",
            "2001:db9::1",
            "::ffff:127.0.0.2",
        ] {
            assert!(!acl.allows(ip(no), None), "{no}");
        }
        let none = Config::default().transfer_acl().unwrap();
        assert!(!none.allows(ip("127.0.0.1"), None), "nobody by default");
    }

    #[test]
    fn transfer_allow_entries_with_a_key_admit_only_requests_signed_with_it() {
        let c = Config::parse(
            "transfer_allow = [\"127.0.0.1 key XFR.example\", \"10.0.0.0/8\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let acl = c.transfer_acl().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let xfr = Name::parse("xfr.example.", None).unwrap();
        let other = Name::parse("other.example.", None).unwrap();
        assert!(acl.allows(ip("127.0.0.1"), Some(&xfr)));
        assert!(!acl.allows(ip("127.0.0.1"), None), "unsigned");
        assert!(!acl.allows(ip("127.0.0.1"), Some(&other)), "another key");
        // An entry without a key admits its addresses signed or not.
        assert!(acl.allows(ip("10.1.2.3"), None));
        assert!(acl.allows(ip("10.1.2.3"), Some(&other)));
    }

    #[test]
    fn access_needs_every_key_it_names_in_the_keys_directory() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let c = Config::parse(
            "transfer_allow = [\"127.0.0.1 key xfr.example\"]\nnotify = [\"127.0.0.1:5300 key xfr.example\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let err = c.access(tmp.path()).unwrap_err();
        assert!(
            err.contains("transfer_allow names TSIG key xfr.example., which is not in")
                && err.contains("zonectl tsig generate"),
            "{err}"
        );
        let dir = tmp.path().join(TSIG_KEYS_DIR);
        std::fs::create_dir(&dir).unwrap();
        let file = dir.join("xfr.key");
        let name = Name::parse("xfr.example.", None).unwrap();
        let text = crate::tsig::key_file_text(&name, crate::tsig::Algorithm::HmacSha256, b"s");
        std::fs::write(&file, text).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let access = c.access(tmp.path()).unwrap();
        assert_eq!(access.keys.len(), 1);
        assert_eq!(access.notify[0].key.as_ref(), Some(&name));
    }

    #[test]
    fn a_zone_s_own_transfer_allow_and_notify_replace_the_global_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Config::parse(
            "transfer_allow = [\"127.0.0.1\"]\nnotify = [\"192.0.2.53\"]\n\
             [[zone]]\nname = \"Apple.Example\"\ntransfer_allow = [\"10.0.0.0/8\"]\nnotify = []\n\
             [[zone]]\nname = \"orange.example.\"\ntransfer_allow = []\n\
             [[zone]]\nname = \"pear.example\"\nserial_policy = \"increment\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let access = c.access(tmp.path()).unwrap();
        let zone = |s: &str| Name::parse(s, None).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let (apple, orange, pear) = (
            zone("apple.example."),
            zone("orange.example."),
            zone("pear.example."),
        );
        assert!(access.transfer_for(&apple).allows(ip("10.1.2.3"), None));
        assert!(!access.transfer_for(&apple).allows(ip("127.0.0.1"), None));
        assert!(
            !access.transfer_for(&orange).allows(ip("127.0.0.1"), None),
            "[]: nobody"
        );
        assert!(
            access.transfer_for(&pear).allows(ip("127.0.0.1"), None),
            "the global list"
        );
        assert!(access.notify_for(&apple).is_empty(), "[]: nobody");
        assert_eq!(access.notify_for(&orange).len(), 1, "the global list");
        assert_eq!(access.zones.len(), 2, "pear sets neither");
        // A bad entry, or a key not in the keys directory, names its zone.
        for (zone_lines, want) in [
            (
                "transfer_allow = [\"10.0.0.1/8\"]",
                "zone apple.example.: transfer_allow \"10.0.0.1/8\" has bits set past its prefix length",
            ),
            ("notify = [\"nowhere\"]", "zone apple.example.: notify \"nowhere\" is not an address"),
            (
                "notify = [\"192.0.2.53 key xfr.example\"]",
                "zone apple.example.: notify names TSIG key xfr.example., which is not in",
            ),
        ] {
            let c = Config::parse(
                &format!("[[zone]]\nname = \"apple.example\"\n{zone_lines}\n"),
                Path::new("c.toml"),
            )
            .unwrap();
            let err = c.access(tmp.path()).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn notify_targets_default_to_port_53() {
        let c = Config::parse(
            "notify = [\"192.0.2.53\", \"127.0.0.1:5300\", \"2001:db8::53\", \"[::1]:5301\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let text: Vec<String> = c
            .notify_targets()
            .unwrap()
            .iter()
            .map(|t| t.addr.to_string())
            .collect();
        assert_eq!(
            text,
            [
                "192.0.2.53:53",
                "127.0.0.1:5300",
                "[2001:db8::53]:53",
                "[::1]:5301"
            ]
        );
        let bad = Config::parse("notify = [\"ns.example:53\"]\n", Path::new("c.toml"))
            .unwrap()
            .notify_targets()
            .unwrap_err();
        assert!(
            bad.contains("notify \"ns.example:53\" is not an address"),
            "{bad}"
        );
    }

    #[test]
    fn transfer_allow_refuses_entries_that_would_not_mean_what_they_say() {
        let err = |entry: &str| {
            Config::parse(
                &format!("transfer_allow = [\"{entry}\"]\n"),
                Path::new("c.toml"),
            )
            .unwrap()
            .transfer_acl()
            .unwrap_err()
        };
        assert!(err("10.0.0.0/33").contains("is not an IP address or prefix"));
        assert!(err("host.example").contains("is not an IP address or prefix"));
        let e = err("192.0.2.53/24");
        assert!(
            e.contains("bits set past its prefix length") && e.contains("192.0.2.0/24"),
            "{e}"
        );
        assert!(err("::ffff:192.0.2.53").contains("IPv4-mapped"));
        assert!(err("127.0.0.1 xfr").contains("optionally followed by `key NAME`"));
        assert!(err("127.0.0.1 key a b").contains("optionally followed by `key NAME`"));
        assert!(err("127.0.0.1 key a..b").contains("bad key name"));
    }

    #[test]
    fn identity_version_and_nsid_default_as_knot_s_and_may_be_turned_off() {
        let path = Path::new("zonectl.toml");
        let id = Config::default().server_identity("ns1").unwrap();
        assert_eq!(id.name, b"ns1");
        assert_eq!(id.nsid, b"ns1");
        assert_eq!(
            id.version,
            format!("zonectl {}", env!("CARGO_PKG_VERSION")).as_bytes()
        );
        let text = "identity = \"\"\nversion = \"\"\nnsid = \"0x6E7331\"\n";
        let id = Config::parse(text, path)
            .unwrap()
            .server_identity("ns1")
            .unwrap();
        assert!(id.name.is_empty() && id.version.is_empty());
        assert_eq!(id.nsid, b"ns1", "hex after 0x, as Knot reads it");
        let id = Config::parse("identity = \"0x41\"", path)
            .unwrap()
            .server_identity("h")
            .unwrap();
        assert_eq!(id.name, b"0x41", "only the NSID is read as hex");
        for (text, said) in [
            ("nsid = \"0x6E7\"", "two hex digits for each byte"),
            ("nsid = \"0xZZ\"", "two hex digits for each byte"),
            ("nsid = \"0x\"", "two hex digits for each byte"),
            ("nsid = \"0x+1\"", "two hex digits for each byte"),
        ] {
            let err = Config::parse(text, path)
                .unwrap()
                .server_identity("h")
                .unwrap_err();
            assert!(err.contains(said), "{text}: {err}");
        }
        let long = format!("version = \"{}\"", "v".repeat(256));
        let err = Config::parse(&long, path)
            .unwrap()
            .server_identity("h")
            .unwrap_err();
        assert_eq!(err, "version is 256 bytes long; at most 255 fit");
        let id = Config::default().server_identity(&"h".repeat(300)).unwrap();
        assert!(
            id.name.is_empty() && id.nsid.is_empty(),
            "a host name too long is left out"
        );
    }

    #[test]
    fn reports_from_standard_input_are_for_the_command_line_only() {
        let path = Path::new("zonectl.toml");
        for setting in ["dmarc_reports", "tlsrpt_reports"] {
            let err = Config::parse(&format!("{setting} = \"-\""), path).unwrap_err();
            assert!(
                err.to_string()
                    .contains("standard input is for the command line"),
                "{err}"
            );
            Config::parse(&format!("{setting} = \"./-\""), path).expect("a file named -");
        }
    }

    #[test]
    fn parses_zones_and_listen() {
        let c = Config::parse(
            "listen = [\"127.0.0.1:5300\"]\nserial_policy = \"increment\"\n[[zone]]\nname = \"apple.example\"\nfile = \"a.zone\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.listen.as_ref().unwrap()[0].port(), 5300);
        assert_eq!(c.serial_policy, Some(SerialPolicy::Increment));
        assert_eq!(
            c.zone("Apple.Example.").unwrap().file.as_deref(),
            Some(Path::new("a.zone"))
        );
    }
}
