//! The output of a command that changes things, relayed so that a reader going away cannot
//! stop the command half-way.
//!
//! Written to a closed pipe (`zonectl dmarc rollout next | head -1`), a process is killed by
//! SIGPIPE at that write, or, with SIGPIPE ignored, Rust's `println!` panics. Either way a
//! command that prints between two of its changes (the edit, then the rollout history; a
//! published DKIM key, then its state) would stop between them. So while such a command runs,
//! a stdout or stderr that is a pipe or a socket is replaced by a pipe to a thread that copies
//! everything on to where it pointed, and drops the rest once that fails. The command never
//! sees the failure and runs to its end. A stdout and stderr that are the same pipe (`2>&1`)
//! share one relay, which keeps their order.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::thread::JoinHandle;

/// The relays of stdout and stderr; dropping it delivers what is left and puts them back.
pub struct Relay {
    streams: Vec<Stream>,
}

struct Stream {
    /// The descriptors relayed (1, 2, or both).
    fds: Vec<RawFd>,
    /// What they pointed at before.
    saved: OwnedFd,
    thread: JoinHandle<()>,
}

impl Relay {
    /// Relays stdout and stderr where they are pipes or sockets, with SIGPIPE ignored. A
    /// descriptor that cannot be relayed is left as it is.
    pub fn start() -> Relay {
        // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        let out = pipe_identity(libc::STDOUT_FILENO);
        let err = pipe_identity(libc::STDERR_FILENO);
        let groups: Vec<Vec<RawFd>> = match (out, err) {
            (Some(o), Some(e)) if o == e => vec![vec![libc::STDOUT_FILENO, libc::STDERR_FILENO]],
            (o, e) => [(o, libc::STDOUT_FILENO), (e, libc::STDERR_FILENO)]
                .into_iter()
                .filter_map(|(id, fd)| id.map(|_| vec![fd]))
                .collect(),
        };
        let streams = groups
            .into_iter()
            .filter_map(|fds| relay(fds).ok())
            .collect();
        Relay { streams }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = io::stdout().flush();
        let _ = io::stderr().flush();
        for s in self.streams.drain(..) {
            // Pointing the descriptors back closes the pipe's last writer: the thread reads to
            // the end and stops.
            for &fd in &s.fds {
                // SAFETY: `saved` is an open descriptor owned here; `fd` is 1 or 2.
                unsafe { libc::dup2(s.saved.as_raw_fd(), fd) };
            }
            let _ = s.thread.join();
        }
    }
}

/// The device and inode of `fd` if it is a pipe or a socket (which fail once their reader goes
/// away), else None.
fn pipe_identity(fd: RawFd) -> Option<(u64, u64)> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a stat into the buffer when it returns 0.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat returned 0.
    let st = unsafe { st.assume_init() };
    let kind = st.st_mode & libc::S_IFMT;
    (kind == libc::S_IFIFO || kind == libc::S_IFSOCK).then_some((st.st_dev, st.st_ino))
}

/// Points `fds` (which share one target) at a new pipe whose reading end a thread copies to
/// that target.
fn relay(fds: Vec<RawFd>) -> io::Result<Stream> {
    let check = |r: libc::c_int| {
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r)
        }
    };
    // SAFETY: duplicating an open descriptor; the copy is owned by `saved` alone.
    let saved =
        unsafe { OwnedFd::from_raw_fd(check(libc::fcntl(fds[0], libc::F_DUPFD_CLOEXEC, 3))?) };
    let mut ends = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `ends` when it returns 0; each is owned once.
    let (reader, writer) = unsafe {
        check(libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC))?;
        (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1]))
    };
    let mut target = File::from(saved.try_clone()?);
    let thread = std::thread::Builder::new()
        .name("zonectl-output".into())
        .spawn(move || {
            let mut reader = File::from(reader);
            let mut buf = [0u8; 8192];
            let mut delivering = true;
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        delivering = delivering && target.write_all(&buf[..n]).is_ok();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        })?;
    for (i, &fd) in fds.iter().enumerate() {
        // SAFETY: `writer` and `saved` are open; dup2 makes `fd` (1 or 2) a copy of one.
        if let Err(e) = check(unsafe { libc::dup2(writer.as_raw_fd(), fd) }) {
            for &done in &fds[..i] {
                unsafe { libc::dup2(saved.as_raw_fd(), done) };
            }
            return Err(e);
        }
    }
    Ok(Stream { fds, saved, thread })
}
