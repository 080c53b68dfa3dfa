//! The running server: binds the DNS sockets and the control socket, loads the zones, and runs
//! the UDP workers, the TCP listener, the control listener, the zones-directory watcher and the
//! single zone manager that owns every change to the served data.
//!
//! Served data is one immutable [`ZoneSet`] behind an [`ArcSwap`]: query threads load it
//! without locking; only the zone manager stores a new one.

mod admit;
mod control;
mod histories;
mod manager;
mod notify;
mod stats;
mod tcp;
mod udp;
mod watch;

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use arc_swap::ArcSwap;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::wire::AnswerConfig;
use crate::zone::ZoneSet;

pub use manager::ManagerMsg;

/// Everything `serve` needs, already merged from the config file and the flags.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub zones_dir: PathBuf,
    /// Where the TSIG keys are (its `tsig` directory), read again by `reload` of every zone.
    pub keys_dir: PathBuf,
    pub listen: Vec<SocketAddr>,
    /// Listen on `listen` only where the host has the address (the defaults: a machine without
    /// IPv6 still serves on 127.0.0.1). Addresses given explicitly must all bind.
    pub listen_where_available: bool,
    pub control: PathBuf,
    /// The config file's contents (zone names, files, policies, owners).
    pub config: Config,
    /// The config file, re-read by `reload` of every zone (new lab zones and their owners).
    pub config_path: Option<PathBuf>,
    pub answer: AnswerConfig,
    /// UDP threads per listen address; they take turns on the address's one socket.
    pub udp_workers: usize,
    /// Install SIGTERM/SIGINT (stop) and SIGHUP (reload all) handlers.
    pub handle_signals: bool,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("zones directory {}: {error}; create it or pass --zones-dir", path.display())]
    ZonesDir {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("another `zonectl serve` is already running on zones directory {} (it holds {}); stop it first", dir.display(), lock.display())]
    AlreadyRunning { dir: PathBuf, lock: PathBuf },
    #[error("control socket {} is in use by a running server; stop it first or pass another --control PATH", path.display())]
    ControlInUse { path: PathBuf },
    #[error("control socket {}: a file that is not a socket is there; pass another --control PATH (or move the file away)", path.display())]
    ControlNotSocket { path: PathBuf },
    #[error("control socket {}: {error}", path.display())]
    Control {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("no listen address could be bound; pass --listen ADDR:PORT")]
    NoListener,
    #[error("starting the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("config: {0}")]
    Config(String),
}

/// A running server. Dropping it does not stop it; call [`ServerHandle::stop`].
pub struct ServerHandle {
    /// The addresses actually bound (UDP and TCP share each one), useful with port 0.
    pub addrs: Vec<SocketAddr>,
    pub control_path: PathBuf,
    shutdown: CancellationToken,
    stop_udp: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    runtime: Option<JoinHandle<()>>,
    /// Held for the server's lifetime: the exclusive lock on the zones directory.
    _lock: File,
}

impl ServerHandle {
    /// Asks the server to stop and waits until every thread has ended.
    pub fn stop(mut self) {
        self.shutdown.cancel();
        self.join();
    }

    /// Waits until the server stops (by a signal, when signal handling is on).
    pub fn wait(mut self) {
        self.join();
    }

    /// Waits for the runtime thread (which ends when the server is told to stop), then stops
    /// and joins the UDP workers and removes the control socket.
    fn join(&mut self) {
        if let Some(rt) = self.runtime.take() {
            let _ = rt.join();
        }
        self.stop_udp.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.control_path);
    }
}

/// Loads the zones, binds every socket and starts serving. Returns once queries are answered.
pub fn start(opts: ServeOptions) -> Result<ServerHandle, ServeError> {
    let mode = opts.config.control_mode().map_err(ServeError::Config)?;
    let group = match &opts.config.control_group {
        Some(g) => Some(crate::users::gid_of(g).ok_or_else(|| {
            ServeError::Config(format!("control_group {g:?} is not a group on this system"))
        })?),
        None => None,
    };
    let lock = lock_zones_dir(&opts.zones_dir)?;
    let control_listener = bind_control(&opts.control, mode, group)?;
    let control_path = opts.control.clone();
    start_bound(opts, lock, control_listener).inspect_err(|_| {
        // Leave nothing behind that looks like a live server.
        let _ = std::fs::remove_file(&control_path);
    })
}

/// The rest of [`start`], once the zones directory is locked and the control socket bound.
fn start_bound(
    opts: ServeOptions,
    lock: File,
    control_listener: std::os::unix::net::UnixListener,
) -> Result<ServerHandle, ServeError> {
    // Read again, with the rest of the config, by a reload of every zone.
    let access = Arc::new(ArcSwap::from_pointee(
        opts.config
            .access(&opts.keys_dir)
            .map_err(ServeError::Config)?,
    ));
    let zones = Arc::new(ArcSwap::from_pointee(ZoneSet::new()));
    let stats = Arc::new(stats::Stats::new(crate::clock::unix_now()));
    let mut mgr = manager::Manager::new(
        stats.clone(),
        opts.zones_dir.clone(),
        opts.config.clone(),
        opts.config_path.clone(),
        zones.clone(),
        opts.keys_dir.clone(),
        access.clone(),
    );
    mgr.load_all_initial();

    let mut tcp_listeners = Vec::new();
    let mut udp_sockets = Vec::new();
    let mut addrs = Vec::new();
    for addr in &opts.listen {
        let (tcp, udp) = match bind_pair(*addr) {
            Ok(pair) => pair,
            Err(ServeError::Bind { addr, error })
                if opts.listen_where_available
                    && error.kind() == std::io::ErrorKind::AddrNotAvailable =>
            {
                tracing::warn!(%addr, error = %error, "address not available on this host; not listening on it");
                continue;
            }
            Err(e) => return Err(e),
        };
        addrs.push(
            tcp.local_addr()
                .map_err(|error| ServeError::Bind { addr: *addr, error })?,
        );
        tcp_listeners.push(tcp);
        udp_sockets.push(Arc::new(udp));
    }

    if addrs.is_empty() {
        return Err(ServeError::NoListener);
    }
    let shutdown = CancellationToken::new();
    let stop_udp = Arc::new(AtomicBool::new(false));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("zonectl-rt")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let manager_tx = tx.clone();
    let token = shutdown.clone();
    let zones_dir = opts.zones_dir.clone();
    let answer = opts.answer.clone();
    let handle_signals = opts.handle_signals;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), ServeError>>();
    let control_path = opts.control.clone();
    let udp_zones = zones.clone();
    let tcp_access = access.clone();
    let tcp_counters = stats.tcp();
    let rt_thread = std::thread::Builder::new()
        .name("zonectl-main".into())
        .spawn(move || {
            runtime.block_on(async move {
                let started = (|| -> Result<_, ServeError> {
                    let mut tcps = Vec::new();
                    for l in tcp_listeners {
                        let addr = l.local_addr().map_err(ServeError::Runtime)?;
                        let l = tokio::net::TcpListener::from_std(l)
                            .map_err(|error| ServeError::Bind { addr, error })?;
                        tcps.push(l);
                    }
                    let ctl =
                        tokio::net::UnixListener::from_std(control_listener).map_err(|error| {
                            ServeError::Control {
                                path: control_path.clone(),
                                error,
                            }
                        })?;
                    Ok((tcps, ctl))
                })();
                let (tcps, ctl) = match started {
                    Ok(v) => v,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                for l in tcps {
                    let serving = tcp::Serving {
                        zones: zones.clone(),
                        config: answer.clone(),
                        access: tcp_access.clone(),
                        counters: tcp_counters.clone(),
                    };
                    tokio::spawn(tcp::serve(l, serving, token.clone()));
                }
                tokio::spawn(control::serve(ctl, tx.clone(), token.clone()));
                // The watcher lives as long as this task; dropping it stops the notifications.
                let _watcher = watch::start(&zones_dir, tx.clone());
                // Handlers are in place before anything is answered, so a signal sent right
                // after start-up is never met by the default action.
                if handle_signals {
                    match Signals::install() {
                        Ok(sigs) => {
                            tokio::spawn(sigs.run(tx.clone(), token.clone()));
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(ServeError::Runtime(e)));
                            return;
                        }
                    }
                }
                let _ = ready_tx.send(Ok(()));
                mgr.run(manager_tx, rx, token).await;
            });
        })
        .map_err(ServeError::Runtime)?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            stop_udp.store(true, Ordering::Relaxed);
            return Err(e);
        }
        Err(_) => {
            return Err(ServeError::Runtime(std::io::Error::other(
                "server thread ended while starting",
            )))
        }
    }
    // UDP answers start last, once TCP, the control socket and the signal handlers are up.
    let mut threads = Vec::new();
    let workers = udp_sockets.iter().flat_map(|sock| {
        let turn = Arc::new(udp::Turn::default());
        (0..opts.udp_workers.max(1)).map(move |_| (sock.clone(), turn.clone()))
    });
    for (i, (sock, turn)) in workers.enumerate() {
        let zones = udp_zones.clone();
        let access = access.clone();
        let stop = stop_udp.clone();
        let answer = opts.answer.clone();
        let counters = stats.new_udp();
        match std::thread::Builder::new()
            .name(format!("udp-{i}"))
            .spawn(move || udp::serve(sock, turn, zones, access, answer, counters, stop))
        {
            Ok(t) => threads.push(t),
            Err(e) => {
                shutdown.cancel();
                stop_udp.store(true, Ordering::Relaxed);
                let _ = rt_thread.join();
                for t in threads {
                    let _ = t.join();
                }
                return Err(ServeError::Runtime(e));
            }
        }
    }
    tracing::info!(addrs = ?addrs, control = %opts.control.display(), "serving");
    Ok(ServerHandle {
        addrs,
        control_path: opts.control,
        shutdown,
        stop_udp,
        threads,
        runtime: Some(rt_thread),
        _lock: lock,
    })
}

/// SIGTERM/SIGINT stop the server; SIGHUP reloads every zone.
struct Signals {
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers now (must run inside the runtime).
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn run(mut self, tx: mpsc::UnboundedSender<ManagerMsg>, token: CancellationToken) {
        loop {
            tokio::select! {
                _ = self.hup.recv() => {
                    tracing::info!("SIGHUP: reloading every zone");
                    let _ = tx.send(ManagerMsg::ReloadAll);
                }
                _ = self.term.recv() => { tracing::info!("SIGTERM: stopping"); token.cancel(); return; }
                _ = self.int.recv() => { tracing::info!("SIGINT: stopping"); token.cancel(); return; }
                _ = token.cancelled() => return,
            }
        }
    }
}

/// Takes the exclusive lock that keeps two servers off one zones directory. The kernel drops a
/// `flock` when its holder dies, so a crashed server never leaves a stale lock behind.
fn lock_zones_dir(dir: &Path) -> Result<File, ServeError> {
    let meta = std::fs::metadata(dir).map_err(|error| ServeError::ZonesDir {
        path: dir.into(),
        error,
    })?;
    if !meta.is_dir() {
        return Err(ServeError::ZonesDir {
            path: dir.into(),
            error: std::io::Error::other("not a directory"),
        });
    }
    let lock_path = dir.join(crate::store::SERVER_LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|error| ServeError::ZonesDir {
            path: lock_path.clone(),
            error,
        })?;
    // A command that finds no server on its control socket looks whether one holds this lock
    // (`store::served_by_a_server`), taking it shared for an instant: tried again for a while,
    // a lock held that briefly is not taken for a running server.
    for _ in 0..20 {
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(file);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err(ServeError::AlreadyRunning {
        dir: dir.into(),
        lock: lock_path,
    })
}

/// Binds the control socket (mode 0600). A socket file nobody answers on is a leftover from a
/// crash and is replaced; one that answers belongs to a live server.
fn bind_control(
    path: &Path,
    mode: u32,
    group: Option<u32>,
) -> Result<std::os::unix::net::UnixListener, ServeError> {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::{UnixListener, UnixStream};
    let err = |error| ServeError::Control {
        path: path.into(),
        error,
    };
    // A socket left by a server that stopped is replaced; anything else there is the
    // operator's (a mistyped --control naming the config, say) and is left alone.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if !meta.file_type().is_socket() {
            return Err(ServeError::ControlNotSocket { path: path.into() });
        }
        match UnixStream::connect(path) {
            Ok(_) => return Err(ServeError::ControlInUse { path: path.into() }),
            Err(_) => std::fs::remove_file(path).map_err(err)?,
        }
    }
    let listener = UnixListener::bind(path).map_err(err)?;
    if let Some(gid) = group {
        std::os::unix::fs::chown(path, None, Some(gid)).map_err(err)?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(err)?;
    listener.set_nonblocking(true).map_err(err)?;
    Ok(listener)
}

/// Binds a TCP listener and a UDP socket on the same address and port. With port 0 the TCP port
/// is chosen first and UDP follows it, retrying if that UDP port is taken.
fn bind_pair(addr: SocketAddr) -> Result<(TcpListener, std::net::UdpSocket), ServeError> {
    let bind_err = |error| ServeError::Bind { addr, error };
    for _attempt in 0..20 {
        let tcp = bind_tcp(addr).map_err(bind_err)?;
        let port = tcp.local_addr().map_err(bind_err)?.port();
        let udp_addr = SocketAddr::new(addr.ip(), port);
        match bind_udp(udp_addr) {
            Ok(udp) => return Ok((tcp, udp)),
            Err(e) if addr.port() == 0 && e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(bind_err(e)),
        }
    }
    Err(bind_err(std::io::Error::other(
        "no port free for both UDP and TCP",
    )))
}

fn bind_tcp(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    sock.listen(1024)?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

fn bind_udp(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_recv_buffer_size(4 << 20)?;
    if addr.ip().is_unspecified() {
        udp::receive_destination(&sock, addr.is_ipv6())?;
    }
    sock.bind(&addr.into())?;
    // The thread waiting on the socket looks at the stop flag between timeouts.
    sock.set_read_timeout(Some(udp::STOP_POLL))?;
    Ok(sock.into())
}
