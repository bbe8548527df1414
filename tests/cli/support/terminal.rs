//! A real terminal for the tests: the built binary on a pseudo-terminal of a given width (24
//! lines) that is its controlling terminal, so the line discipline turns a typed Ctrl-C into
//! SIGINT and Ctrl-D into end of input, as a DBA's terminal does. No helper program (`script`)
//! in between.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;

use super::wait::{poll, wait_exit};
use super::{TestDb, syncctl_process};

/// `syncctl` on its own pseudo-terminal, and everything it wrote there so far.
pub(crate) struct Terminal {
    child: Child,
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl Terminal {
    /// Spawns `syncctl <args>` against `db` with stdin, stdout and stderr on a new pseudo-terminal
    /// `columns` wide that is its controlling terminal.
    pub(crate) fn spawn(db: &TestDb, args: &[&str], columns: u16) -> Terminal {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize { ws_row: 24, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty fills the two descriptors; no name buffer, default termios.
        let opened = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        // Close-on-exec: else every process spawned meanwhile (by this test or one running beside
        // it, and their children, e.g. a kept demo cluster's server) holds the pty open, and the
        // master never reads the end of the output.
        for fd in [master, slave] {
            // SAFETY: fcntl on descriptors this function just opened.
            assert_ne!(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) }, -1, "FD_CLOEXEC");
        }
        // SAFETY: both descriptors were just opened and are owned here alone.
        let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let child = {
            let mut cmd = syncctl_process(db.url());
            cmd.args(args)
                .env("TERM", "xterm")
                .stdin(Stdio::from(slave.try_clone().unwrap()))
                .stdout(Stdio::from(slave.try_clone().unwrap()))
                .stderr(Stdio::from(slave));
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                cmd.pre_exec(|| {
                    // A session of its own, with the pty (its stdin) as controlling terminal:
                    // then its process group is the terminal's foreground group, which a
                    // Ctrl-C written to the master signals.
                    if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            cmd.spawn().unwrap()
            // The command, and with it this process's copies of the slave, is dropped here, so
            // the master reads EIO once the child is gone.
        };
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut from = master.try_clone().unwrap();
        let into = Arc::clone(&screen);
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 {
                    break;
                }
                into.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal { child, master, screen, reader: Some(reader) }
    }

    /// What the terminal shows so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal shows `what`; returns everything so far.
    pub(crate) fn wait_for(&self, what: &str) -> String {
        poll(&format!("{what:?} on the terminal"), || Some(self.text()).filter(|t| t.contains(what)))
    }

    /// Types `keys` on the terminal.
    pub(crate) fn type_keys(&mut self, keys: &[u8]) {
        self.master.write_all(keys).unwrap();
    }

    /// Waits for the exit; returns the status and all the terminal showed.
    pub(crate) fn finish(mut self) -> (ExitStatus, String) {
        let status = wait_exit(&mut self.child);
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status, self.text())
    }
}

/// What `syncctl <args> --color never` wrote to a terminal `columns` wide (stdout and stderr,
/// as the terminal shows them, `\r` removed), and its exit code.
pub(crate) fn on_terminal(db: &TestDb, args: &[&str], columns: u16) -> (Option<i32>, String) {
    let (status, text) = Terminal::spawn(db, &[args, &["--color", "never"]].concat(), columns).finish();
    (status.code(), text.replace('\r', ""))
}

/// The lines of `text` wider than `columns` characters.
pub(crate) fn too_wide(text: &str, columns: usize) -> Vec<&str> {
    text.lines().filter(|l| l.chars().count() > columns).collect()
}
