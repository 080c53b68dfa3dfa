//! The test harness: an in-process server on `127.0.0.1:0` over a temporary zones directory, a
//! DNS client for UDP and TCP (hickory-proto for the wire format), the real `zonectl` binary for
//! the control verbs, `zonectl serve` as a subprocess, and a bounded poll helper.
//!
//! The server's log goes through `tracing` to libtest's captured output (threads spawned from a
//! test inherit its capture), so a failing test prints the log of its own server and a passing
//! one prints nothing.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tempfile::TempDir;
use zonectl::server::{ServeOptions, ServerHandle};

/// How long a DNS client waits for an answer that should come.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The DNS transports every answer rule is checked over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

pub use Transport::{Tcp, Udp};

/// Both transports, for `for t in BOTH`.
pub const BOTH: [Transport; 2] = [Udp, Tcp];

/// Sends the server's `tracing` output to the test's captured output.
fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("zonectl=debug"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .with_ansi(false)
            .with_thread_names(true)
            .try_init();
    });
}

/// A server running in this process over its own temporary directory:
/// `DIR/zones/*.zone` served, control socket `DIR/control.sock`.
pub struct TestServer {
    dir: TempDir,
    handle: Option<ServerHandle>,
    pub addr: SocketAddr,
}

impl TestServer {
    /// Writes `files` (name, contents) into a fresh zones directory and starts serving it.
    pub fn start(files: &[(&str, &str)]) -> TestServer {
        Self::start_on("127.0.0.1:0".parse().expect("valid address"), files)
    }

    /// Like [`TestServer::start`], listening on `listen` (port 0 picks a free one).
    pub fn start_on(listen: SocketAddr, files: &[(&str, &str)]) -> TestServer {
        Self::start_with(listen, zonectl::config::Config::default(), files)
    }

    /// Like [`TestServer::start_on`], with `config` (serial policies, zones…).
    pub fn start_with(
        listen: SocketAddr,
        config: zonectl::config::Config,
        files: &[(&str, &str)],
    ) -> TestServer {
        Self::start_in(listen, None, Some(config), files)
    }

    /// Serves `files` with the config file `DIR/zonectl.toml` holding `toml` (read again by a
    /// reload of every zone, as `zonectl serve --config` does). The directory and the zones
    /// directory are readable by every user (tests that run the CLI as other users need that).
    pub fn start_with_config_file(toml: &str, files: &[(&str, &str)]) -> TestServer {
        let listen = "127.0.0.1:0".parse().expect("valid address");
        Self::start_in(listen, Some(toml), None, files)
    }

    fn start_in(
        listen: SocketAddr,
        toml: Option<&str>,
        config: Option<zonectl::config::Config>,
        files: &[(&str, &str)],
    ) -> TestServer {
        use std::os::unix::fs::PermissionsExt;
        init_logging();
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let zones = dir.path().join("zones");
        fs::create_dir(&zones).expect("creating the zones directory");
        for (name, text) in files {
            if let Some(key) = name.strip_prefix("keys/") {
                // A secret for the keys directory, readable by its owner only.
                let path = dir.path().join("keys").join(key);
                fs::create_dir_all(path.parent().expect("in a directory"))
                    .expect("creating the keys directory");
                fs::write(&path, text).expect("writing a key file");
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                    .expect("making a key file private");
                continue;
            }
            fs::write(zones.join(name), text).expect("writing a zone file");
        }
        let (config, config_path) = match toml {
            Some(text) => {
                let path = dir.path().join("zonectl.toml");
                fs::write(&path, text).expect("writing the config file");
                for d in [dir.path(), zones.as_path()] {
                    fs::set_permissions(d, fs::Permissions::from_mode(0o755))
                        .expect("opening a directory to other users");
                }
                let config = zonectl::config::Config::load(&path).expect("a valid config");
                (config, Some(path))
            }
            None => (config.unwrap_or_default(), None),
        };
        let control = dir.path().join("control.sock");
        let udp_workers = config.udp_workers.unwrap_or(1);
        let handle = zonectl::server::start(ServeOptions {
            zones_dir: zones,
            keys_dir: dir.path().join("keys"),
            listen: vec![listen],
            listen_where_available: false,
            control,
            config,
            config_path,
            answer: zonectl::wire::AnswerConfig::default(),
            udp_workers,
            handle_signals: false,
        })
        .expect("starting the server");
        let addr = handle.addrs[0];
        TestServer {
            dir,
            handle: Some(handle),
            addr,
        }
    }

    /// The config file of [`TestServer::start_with_config_file`].
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("zonectl.toml")
    }

    pub fn zones_dir(&self) -> PathBuf {
        self.dir.path().join("zones")
    }

    pub fn zone_path(&self, file: &str) -> PathBuf {
        self.zones_dir().join(file)
    }

    /// The zone file `file` once the server has written every acknowledged edit into it (edits
    /// reach the file a moment after they are served).
    pub fn synced_text(&self, file: &str) -> String {
        let request = zonectl::control::Request::Sync { zone: None };
        match zonectl::control::call(&self.control_path(), &request) {
            Ok(zonectl::control::Response::Done { outcomes }) => {
                assert!(outcomes.iter().all(|o| o.ok), "sync: {outcomes:?}")
            }
            other => panic!("sync: {other:?}"),
        }
        fs::read_to_string(self.zone_path(file)).expect("reading a zone file")
    }

    pub fn control_path(&self) -> PathBuf {
        self.dir.path().join("control.sock")
    }

    /// The temporary directory (for files that are not zone files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Asks `name`/`rtype` over UDP, without EDNS.
    pub fn udp(&self, name: &str, rtype: RecordType) -> Message {
        self.query(Udp, name, rtype)
    }

    /// Asks `name`/`rtype` over TCP, without EDNS.
    pub fn tcp(&self, name: &str, rtype: RecordType) -> Message {
        self.query(Tcp, name, rtype)
    }

    /// Asks `name`/`rtype` over `t`, without EDNS.
    pub fn query(&self, t: Transport, name: &str, rtype: RecordType) -> Message {
        self.query_with(t, &request(name, rtype))
    }

    /// Sends `msg` and decodes the answer, checking that its ID and question match.
    pub fn query_with(&self, t: Transport, msg: &Message) -> Message {
        let bytes = msg.to_vec().expect("encoding the query");
        let raw = self
            .exchange(t, &bytes, ANSWER_TIMEOUT)
            .unwrap_or_else(|| panic!("no answer over {t:?} to {msg}"));
        let resp = decode(&raw);
        assert_eq!(resp.metadata.id, msg.metadata.id, "answer ID over {t:?}");
        assert_eq!(resp.queries, msg.queries, "question echoed over {t:?}");
        resp
    }

    /// Sends raw bytes and returns the raw answer, or `None` if the server sent nothing within
    /// `timeout` (UDP) or closed the connection (TCP).
    pub fn exchange(&self, t: Transport, packet: &[u8], timeout: Duration) -> Option<Vec<u8>> {
        match t {
            Udp => {
                let sock = self.udp_socket(timeout);
                sock.send(packet).expect("sending a UDP query");
                let mut buf = vec![0u8; 65535];
                match sock.recv(&mut buf) {
                    Ok(n) => Some(buf[..n].to_vec()),
                    Err(e) if is_timeout(&e) => None,
                    Err(e) => panic!("receiving a UDP answer: {e}"),
                }
            }
            Tcp => {
                let mut stream = TcpStream::connect(self.addr).expect("connecting over TCP");
                stream.set_read_timeout(Some(timeout)).expect("timeout");
                let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(packet);
                stream.write_all(&framed).expect("sending a TCP query");
                read_tcp_message(&mut stream)
            }
        }
    }

    /// A UDP socket connected to the server.
    pub fn udp_socket(&self, timeout: Duration) -> UdpSocket {
        let local = if self.addr.is_ipv6() {
            "[::1]:0"
        } else {
            "127.0.0.1:0"
        };
        let sock = UdpSocket::bind(local).expect("binding a UDP client socket");
        sock.connect(self.addr).expect("connecting the UDP socket");
        sock.set_read_timeout(Some(timeout)).expect("timeout");
        sock
    }

    /// The SOA serial served for `zone` over `t`, if the answer has one.
    pub fn serial(&self, t: Transport, zone: &str) -> Option<u32> {
        soa_serial(&self.query(t, zone, RecordType::SOA))
    }

    /// Runs the real `zonectl` binary against this server's control socket.
    pub fn ctl(&self, args: &[&str]) -> Ctl {
        zonectl_in(self.dir.path(), Some(&self.control_path()), args)
    }

    /// Writes `config` as the server's config file, and asks the server to reload it.
    pub fn reload_config(&self, config: &str) -> Ctl {
        std::fs::write(self.config_path(), config).expect("writing the config");
        self.ctl(&["reload"])
    }

    /// `zonectl --zones-dir … --server … ARGS`: an edit verb against this server, verified on
    /// its address.
    pub fn edit_ctl(&self, args: &[&str]) -> Ctl {
        let zones = self.zones_dir().display().to_string();
        let server = self.addr.to_string();
        let mut all = vec!["--zones-dir", zones.as_str(), "--server", server.as_str()];
        all.extend_from_slice(args);
        self.ctl(&all)
    }

    /// The TXT served at `name`, the same over UDP and TCP (none for NXDOMAIN).
    pub fn served_txt(&self, name: &str) -> Vec<String> {
        let [udp, tcp] =
            BOTH.map(|t| txt_answers(&self.query(t, name, hickory_proto::rr::RecordType::TXT)));
        assert_eq!(udp, tcp, "UDP and TCP disagree at {name}");
        udp
    }

    /// `zonectl status` output, for assertion messages.
    pub fn status_text(&self) -> String {
        let out = self.ctl(&["status"]);
        format!("{}{}", out.stdout, out.stderr)
    }

    /// One zone's `status --json` object.
    pub fn status_json(&self, zone: &str) -> serde_json::Value {
        let out = self.ctl(&["--json", "status", zone]);
        let value: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("status --json is not JSON ({e}): {out}"));
        value
            .as_array()
            .and_then(|zones| zones.first())
            .cloned()
            .unwrap_or_else(|| panic!("status --json lists no zone: {out}"))
    }

    /// Replaces a zone file the way vim and `sed -i` do: write a temporary file in the same
    /// directory, then rename it over the old one.
    pub fn write_zone_atomic(&self, file: &str, text: &str) {
        let tmp = self.zones_dir().join(format!(".{file}.tmp"));
        fs::write(&tmp, text).expect("writing the temporary file");
        fs::rename(&tmp, self.zone_path(file)).expect("renaming over the zone file");
    }

    /// Rewrites a zone file in place, the way many editors do: truncate, then write.
    pub fn write_zone_truncate(&self, file: &str, text: &str) {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .create(true)
            .open(self.zone_path(file))
            .expect("opening the zone file");
        f.write_all(text.as_bytes()).expect("writing the zone file");
        f.sync_all().expect("syncing the zone file");
    }

    /// Writes a zone file atomically (the common case).
    pub fn write_zone(&self, file: &str, text: &str) {
        self.write_zone_atomic(file, text);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if std::thread::panicking() && self.control_path().exists() {
            // The log is in the captured output already; add the state the user would see.
            eprintln!("--- zonectl status at failure ---\n{}", self.status_text());
        }
        if let Some(h) = self.handle.take() {
            h.stop();
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Reads one length-prefixed DNS message; `None` if the connection ends first.
pub fn read_tcp_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return None,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
        Err(e) => panic!("reading a TCP answer: {e}"),
    }
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    stream
        .read_exact(&mut buf)
        .expect("reading a TCP answer body");
    Some(buf)
}

/// A query for `name`/`rtype`, RD clear, no EDNS.
pub fn request(name: &str, rtype: RecordType) -> Message {
    let mut msg = Message::query();
    msg.add_query(Query::query(
        Name::from_ascii(name).expect("valid query name"),
        rtype,
    ));
    msg
}

/// A query for `name`/`rtype` with EDNS(0) advertising `udp_size`.
pub fn request_edns(name: &str, rtype: RecordType, udp_size: u16) -> Message {
    let mut msg = request(name, rtype);
    let mut edns = Edns::new();
    edns.set_max_payload(udp_size);
    msg.set_edns(edns);
    msg
}

pub fn decode(raw: &[u8]) -> Message {
    Message::from_vec(raw).unwrap_or_else(|e| panic!("undecodable answer ({e}): {raw:02x?}"))
}

/// The serial of the first SOA in the answer section.
pub fn soa_serial(msg: &Message) -> Option<u32> {
    msg.answers.iter().find_map(|r| match &r.data {
        hickory_proto::rr::RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

/// TXT strings of every TXT record in the answer section, each record's strings joined.
pub fn txt_answers(msg: &Message) -> Vec<String> {
    msg.answers
        .iter()
        .filter_map(|r| match &r.data {
            hickory_proto::rr::RData::TXT(txt) => Some(
                txt.txt_data
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<String>(),
            ),
            _ => None,
        })
        .collect()
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a run of the `zonectl` binary printed, and how it exited.
#[derive(Debug)]
pub struct Ctl {
    /// Exit code; -1 if it was killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Ctl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The `zonectl` binary under test.
pub fn zonectl_bin() -> &'static str {
    env!("CARGO_BIN_EXE_zonectl")
}

/// Runs `zonectl [--control CONTROL] ARGS` in `cwd`, with no `ZONECTL_CONTROL` from the
/// environment.
pub fn zonectl_in(cwd: &Path, control: Option<&Path>, args: &[&str]) -> Ctl {
    zonectl_as(None, cwd, control, args)
}

/// [`zonectl_in`] run as the user `uid` (with primary group `gid`) when given: needs root.
pub fn zonectl_as(
    user: Option<(u32, u32)>,
    cwd: &Path,
    control: Option<&Path>,
    args: &[&str],
) -> Ctl {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(zonectl_bin());
    if let Some((uid, gid)) = user {
        // std drops root's supplementary groups when it sets the uid.
        cmd.uid(uid).gid(gid);
    }
    if let Some(c) = control {
        cmd.arg("--control").arg(c);
    }
    let out = cmd
        .args(args)
        .current_dir(cwd)
        .env_remove("ZONECTL_CONTROL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("running zonectl");
    Ctl {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A minimal, valid zone `test.example.` with the given serial and extra records.
pub fn small_zone(serial: u32, extra: &str) -> String {
    format!(
        "$ORIGIN test.example.\n\
         $TTL 3600\n\
         @    IN SOA ns.test.example. hostmaster.test.example. {serial} 3600 900 1209600 300\n\
         @    IN NS  ns\n\
         ns   IN A   192.0.2.53\n\
         www  IN A   192.0.2.80\n\
         {extra}"
    )
}

/// `zonectl serve` running as a child process; killed (by PID) when dropped.
pub struct ServeProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub control: PathBuf,
    stderr_path: PathBuf,
}

/// How `zonectl serve` ended when it was expected to run.
#[derive(Debug)]
pub struct ServeFailed {
    pub code: Option<i32>,
    pub stderr: String,
}

impl ServeProcess {
    /// Starts `zonectl serve` on a free port and waits until its control socket answers.
    /// Retries with another port if the chosen one was taken meanwhile.
    pub fn start(zones_dir: &Path, control: &Path, log_dir: &Path) -> ServeProcess {
        Self::start_configured(zones_dir, control, log_dir, None)
    }

    /// [`ServeProcess::start`] with `--config CONFIG` when given.
    pub fn start_configured(
        zones_dir: &Path,
        control: &Path,
        log_dir: &Path,
        config: Option<&Path>,
    ) -> ServeProcess {
        let mut last = None;
        for attempt in 0..5 {
            let port = free_port();
            match Self::spawn_on(zones_dir, port, control, log_dir, config) {
                Ok(p) => return p,
                Err(e) if e.stderr.contains("cannot listen") => {
                    last = Some(format!("attempt {attempt}: {e:?}"));
                }
                Err(e) => panic!("zonectl serve did not start: {e:?}"),
            }
        }
        panic!("zonectl serve found no free port: {last:?}")
    }

    /// Starts `zonectl serve` on `port`; `Err` if it exits before its control socket answers.
    pub fn start_on(
        zones_dir: &Path,
        port: u16,
        control: &Path,
        log_dir: &Path,
    ) -> Result<ServeProcess, ServeFailed> {
        Self::spawn_on(zones_dir, port, control, log_dir, None)
    }

    /// [`ServeProcess::start_on`] with `--config CONFIG`.
    pub fn start_on_configured(
        zones_dir: &Path,
        port: u16,
        control: &Path,
        log_dir: &Path,
        config: &Path,
    ) -> Result<ServeProcess, ServeFailed> {
        Self::spawn_on(zones_dir, port, control, log_dir, Some(config))
    }

    fn spawn_on(
        zones_dir: &Path,
        port: u16,
        control: &Path,
        log_dir: &Path,
        config: Option<&Path>,
    ) -> Result<ServeProcess, ServeFailed> {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let stderr_path = log_dir.join(format!("serve-{port}-{}.log", unique()));
        let stderr = fs::File::create(&stderr_path).expect("creating the log file");
        let mut command = Command::new(zonectl_bin());
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let child = command
            .arg("serve")
            .arg("--zones-dir")
            .arg(zones_dir)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--control")
            .arg(control)
            .current_dir(log_dir)
            .env_remove("ZONECTL_CONTROL")
            // The default log level, as an operator runs it.
            .env_remove("RUST_LOG")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawning zonectl serve");
        let mut proc = ServeProcess {
            child: Some(child),
            addr,
            control: control.to_path_buf(),
            stderr_path,
        };
        // Ready when it answers DNS on its own port: its control socket may be another
        // server's, which is what some tests are about.
        let ready = wait_until(Duration::from_secs(20), || {
            proc.exited().is_some() || proc.answers_dns()
        });
        if let Some(code) = proc.exited() {
            proc.child = None;
            return Err(ServeFailed {
                code,
                stderr: proc.log(),
            });
        }
        assert!(ready, "zonectl serve never answered:\n{}", proc.log());
        Ok(proc)
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    /// The signals the process has handlers for (`SigCgt` in `/proc/PID/status`), as a mask
    /// with bit `signo - 1` set for each.
    pub fn caught_signals(&self) -> u64 {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("reading /proc/PID/status");
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .expect("a SigCgt line");
        u64::from_str_radix(line.trim(), 16).expect("a hex mask")
    }

    /// Does the process handle `signal` (rather than die of it)?
    pub fn catches(&self, signal: i32) -> bool {
        self.caught_signals() & (1 << (signal - 1)) != 0
    }

    /// Sends `signal` to the server, by its PID. For a signal the server handles, first waits
    /// (bounded) until its handler is installed: see
    /// `process::signal_handlers_are_installed_before_the_first_answer` for why.
    pub fn signal(&self, signal: i32) {
        if signal != libc::SIGKILL {
            let installed = wait_until(Duration::from_secs(5), || self.catches(signal));
            assert!(installed, "no handler for signal {signal}:\n{}", self.log());
        }
        // SAFETY: kill(2) on the PID of a child we started and have not yet reaped, so the PID
        // cannot have been reused by another process.
        let rc = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid());
    }

    /// `Some(exit code)` once the process has ended (`None` inside if killed by a signal).
    pub fn exited(&mut self) -> Option<Option<i32>> {
        let child = self.child.as_mut()?;
        child
            .try_wait()
            .expect("checking the child")
            .map(|status| status.code())
    }

    /// Waits (bounded) for the process to end and returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let mut code = None;
        let ended = wait_until(timeout, || match self.exited() {
            Some(c) => {
                code = c;
                true
            }
            None => false,
        });
        assert!(ended, "zonectl serve did not exit:\n{}", self.log());
        self.child = None;
        code
    }

    /// Does anything answer a DNS query on this server's port (within 200 ms)?
    fn answers_dns(&self) -> bool {
        let bytes = request("test.", RecordType::SOA)
            .to_vec()
            .expect("encoding");
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut buf = [0u8; 512];
        sock.send_to(&bytes, self.addr).is_ok() && sock.recv(&mut buf).is_ok()
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Asks `name`/`rtype` over `t`.
    pub fn query(&self, t: Transport, name: &str, rtype: RecordType) -> Message {
        self.query_with(t, &request(name, rtype))
    }

    /// Sends `msg` over `t` and decodes the answer.
    pub fn query_with(&self, t: Transport, msg: &Message) -> Message {
        let bytes = msg.to_vec().expect("encoding");
        let raw = match t {
            Udp => {
                let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
                sock.connect(self.addr).expect("connect");
                sock.set_read_timeout(Some(ANSWER_TIMEOUT))
                    .expect("timeout");
                sock.send(&bytes).expect("send");
                let mut buf = vec![0u8; 65535];
                let n = sock
                    .recv(&mut buf)
                    .unwrap_or_else(|e| panic!("no UDP answer ({e}):\n{}", self.log()));
                buf.truncate(n);
                buf
            }
            Tcp => {
                let mut stream = TcpStream::connect(self.addr)
                    .unwrap_or_else(|e| panic!("TCP connect ({e}):\n{}", self.log()));
                stream
                    .set_read_timeout(Some(ANSWER_TIMEOUT))
                    .expect("timeout");
                let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&bytes);
                stream.write_all(&framed).expect("send");
                read_tcp_message(&mut stream).expect("a TCP answer")
            }
        };
        decode(&raw)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Child::kill signals this child's PID only.
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- zonectl serve log ---\n{}", self.log());
        }
    }
}

/// A port free for both UDP and TCP on 127.0.0.1 at the moment of asking.
pub fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("binding UDP port 0");
        let port = udp.local_addr().expect("local address").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP")
}

/// A number unique within this test process.
fn unique() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
