//! A real PgBouncer in front of the test server, with a default configuration (nothing in
//! `ignore_startup_parameters`, `default_pool_size = 2`), in transaction or session pooling:
//! what most production databases of applications like this one sit behind. Started per test
//! from Debian's `pgbouncer` (`.ci/run` installs it), as the `postgres` OS user when we are
//! root (it refuses to run as root), and stopped when the value drops.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::pgurl;

/// How the pooler hands server connections to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pooling {
    /// A server connection per transaction.
    Transaction,
    /// A server connection per client session.
    Session,
}

/// A running PgBouncer.
pub(crate) struct Bouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

const PROGRAM: &str = "/usr/sbin/pgbouncer";

impl Bouncer {
    /// Starts a PgBouncer in front of the server of `server_url`, with a default configuration.
    pub(crate) fn start(server_url: &str, pooling: Pooling) -> Bouncer {
        Bouncer::start_with(server_url, pooling, "")
    }

    /// Starts one with `extra` lines in its `[pgbouncer]` section (e.g. the common
    /// `ignore_startup_parameters = options`, which lets a client's startup options through
    /// unapplied).
    pub(crate) fn start_with(server_url: &str, pooling: Pooling, extra: &str) -> Bouncer {
        assert!(
            Path::new(PROGRAM).exists(),
            "{PROGRAM} is missing: the pooler tests need Debian's pgbouncer (apt-get install pgbouncer; .ci/run installs it)"
        );
        let (host, server_port, user, password) = pgurl::address(server_url);
        let dir = tempfile::tempdir().expect("a directory for pgbouncer");
        let port = free_port();
        let mode = match pooling {
            Pooling::Transaction => "transaction",
            Pooling::Session => "session",
        };
        let ini = format!(
            "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
             listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {users}\n\
             pool_mode = {mode}\ndefault_pool_size = 2\nmax_client_conn = 500\n{extra}\n",
            users = dir.path().join("userlist.txt").display()
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini).unwrap();
        // The server login uses the password of the auth file (trust on our side).
        std::fs::write(dir.path().join("userlist.txt"), format!("\"{user}\" \"{}\"\n", password.unwrap_or_default()))
            .unwrap();
        let mut command = Command::new(PROGRAM);
        command.arg(dir.path().join("pgbouncer.ini")).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let (uid, gid) = syncctl::cluster::postgres_ids().expect("the postgres OS user");
            for entry in [dir.path().to_path_buf(), dir.path().join("pgbouncer.ini"), dir.path().join("userlist.txt")] {
                std::os::unix::fs::chown(&entry, Some(uid), Some(gid)).unwrap();
            }
            command.uid(uid).gid(gid);
        }
        let mut child = command.spawn().expect("spawning pgbouncer");
        let begun = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut log = String::new();
                let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut log));
                panic!("pgbouncer exited with {status}: {log}");
            }
            assert!(begun.elapsed() < Duration::from_secs(30), "pgbouncer did not listen within 30 s");
            thread::sleep(Duration::from_millis(50));
        }
        // Its log goes nowhere: a full pipe must not stall it.
        if let Some(mut stderr) = child.stderr.take() {
            thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        }
        Bouncer { child, port, _dir: dir }
    }

    /// `url` (a database of the test server) as reached through this pooler.
    pub(crate) fn url(&self, url: &str) -> String {
        pgurl::with_address(url, "127.0.0.1", self.port)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
