//! A throwaway PostgreSQL cluster: its own data directory, socket directory and port, created
//! with `initdb`, run with `pg_ctl`, stopped and deleted on drop. `syncctl demo` runs on one,
//! and so do the tests that stop, kill or restart a server (never the shared one).
//!
//! As root, every PostgreSQL program runs as the `postgres` OS user through `runuser`, because
//! `initdb` and `postgres` refuse to run as root.

use std::env;
use std::ffi::{CString, OsStr};
use std::fs;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

/// How long starting or stopping a server may take. Generous: a loaded machine can be slow.
const SERVER_DEADLINE: Duration = Duration::from_secs(120);

/// The superuser every throwaway cluster is created with, whoever runs it.
pub const SUPERUSER: &str = "postgres";

/// How to set up a throwaway cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Require a password (scram-sha-256) for TCP connections and give the superuser a random
    /// one (see [`Cluster::password`]); Unix-socket connections stay `trust`.
    pub password_auth: bool,
    /// Extra `postgresql.conf` lines, appended last so they override the defaults here.
    pub conf_lines: Vec<String>,
    /// Extra `pg_hba.conf` lines, put before the generated ones so they win.
    pub hba_lines: Vec<String>,
    /// Files written into the data directory before the first start, owned by the server's
    /// OS user with mode 0600 (as PostgreSQL demands of a TLS key).
    pub data_files: Vec<(String, Vec<u8>)>,
}

/// A running (or stopped) throwaway cluster. Dropping it stops the server
/// (`pg_ctl -m immediate stop`) and deletes its directories.
#[derive(Debug)]
pub struct Cluster {
    bin_dir: PathBuf,
    password: Option<String>,
    port: Mutex<u16>,
    // Holds data/, sock/ and server.log; deleted when the fields drop, after `Drop::drop` has
    // stopped the server.
    base: tempfile::TempDir,
}

impl Cluster {
    /// Creates, configures and starts a cluster.
    pub fn start(opts: ClusterOptions) -> Result<Cluster> {
        let bin_dir = find_bin_dir()?;
        let base = tempfile::Builder::new()
            .prefix("syncctl-pg-")
            .tempdir()
            .context("creating a temporary directory for a throwaway cluster")?;
        let password = opts.password_auth.then(|| format!("pw-{}", uuid::Uuid::new_v4().simple()));
        let cluster = Cluster { bin_dir, password, port: Mutex::new(0), base };
        // From here on an error drops `cluster`, which stops whatever was started and removes
        // the directories.
        cluster.init(opts)?;
        cluster.start_with_free_port()?;
        Ok(cluster)
    }

    /// Creates and starts a hot standby of `primary` (`pg_basebackup -R` over its Unix socket,
    /// streaming), on a port of its own.
    pub fn standby_of(primary: &Cluster) -> Result<Cluster> {
        let base = tempfile::Builder::new()
            .prefix("syncctl-pg-standby-")
            .tempdir()
            .context("creating a temporary directory for a standby")?;
        let cluster =
            Cluster { bin_dir: primary.bin_dir.clone(), password: primary.password.clone(), port: Mutex::new(0), base };
        if is_root() {
            chown_to_postgres(cluster.base.path())?;
        }
        fs::create_dir(cluster.socket_dir()).context("creating the socket directory")?;
        if is_root() {
            chown_to_postgres(&cluster.socket_dir())?;
        }
        let (data, sock, port) = (
            cluster.data_dir().display().to_string(),
            primary.socket_dir().display().to_string(),
            primary.port().to_string(),
        );
        let args =
            ["-D", &data, "-R", "-X", "stream", "-c", "fast", "-h", &sock, "-p", &port, "-U", SUPERUSER, "--no-sync"];
        let out = cluster.run_pg("pg_basebackup", &args)?;
        ensure!(out.status.success(), "pg_basebackup failed:\n{}", command_output(&out));
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(cluster.data_dir().join("postgresql.conf"))
            .context("opening postgresql.conf")?;
        writeln!(
            conf,
            "\n# a standby\nunix_socket_directories = '{}'\nhot_standby = on",
            cluster.socket_dir().display()
        )
        .context("writing postgresql.conf")?;
        cluster.start_with_free_port()?;
        Ok(cluster)
    }

    /// Promotes a standby to primary (`pg_ctl promote`, waiting for it to finish).
    pub fn promote(&self) -> Result<()> {
        let timeout = SERVER_DEADLINE.as_secs().to_string();
        let out = self.pg_ctl(["-w", "-t", &timeout, "promote"])?;
        ensure!(out.status.success(), "pg_ctl promote failed: {}", command_output(&out));
        Ok(())
    }

    /// The URL of database `db`, as the superuser (with the password when there is one).
    pub fn url(&self, db: &str) -> String {
        let userinfo = match &self.password {
            Some(pw) => format!("{SUPERUSER}:{}", url_encode(pw)),
            None => SUPERUSER.to_owned(),
        };
        format!("postgres://{userinfo}@127.0.0.1:{}/{}", self.port(), url_encode(db))
    }

    /// The TCP port the server listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        *self.port.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The superuser's password, when the cluster was started with `password_auth`.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The directory holding the server's Unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> PathBuf {
        self.base.path().join("sock")
    }

    /// The data directory (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.base.path().join("data")
    }

    /// The server log file.
    pub fn log_path(&self) -> PathBuf {
        self.base.path().join("server.log")
    }

    /// The server log so far (empty if there is none yet).
    pub fn log(&self) -> String {
        fs::read(self.log_path()).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    /// The path of a PostgreSQL program (`psql`, `pg_isready`, …) of the same installation.
    pub fn pg_bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The postmaster's process id, while the server runs (read from `postmaster.pid`).
    pub fn postmaster_pid(&self) -> Option<i32> {
        let text = fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Whether the server is running (`pg_ctl status`).
    pub fn is_running(&self) -> bool {
        let data = self.data_dir();
        self.pg_command("pg_ctl", &[OsStr::new("-D"), data.as_os_str(), OsStr::new("status")])
            .output()
            .is_ok_and(|out| out.status.success())
    }

    /// The shell command that stops the server and deletes its directories, for a kept
    /// cluster: pg_ctl by its full path (Debian puts none on PATH), as the `postgres` OS user
    /// when we are root.
    pub fn stop_command(&self) -> String {
        let as_postgres = if is_root() { "runuser -u postgres -- " } else { "" };
        format!(
            "{as_postgres}{} -D {} stop -m fast && rm -rf {}",
            self.pg_bin("pg_ctl").display(),
            self.data_dir().display(),
            self.base.path().display()
        )
    }

    /// Leaves the cluster running and its directories in place; returns the directory that
    /// holds them (data/, sock/, server.log), for whoever stops it later.
    pub fn keep(self) -> PathBuf {
        let this = std::mem::ManuallyDrop::new(self);
        this.base.path().to_path_buf()
    }

    /// Stops the server abruptly, like a crash: `pg_ctl -m immediate stop`. The next start
    /// runs crash recovery. A stopped server is left as it is.
    pub fn stop_immediate(&self) -> Result<()> {
        self.stop("immediate")
    }

    /// Stops the server (fast mode) if it runs, then starts it again on the same port.
    pub fn restart(&self) -> Result<()> {
        self.stop("fast")?;
        self.start_server()
    }

    fn init(&self, opts: ClusterOptions) -> Result<()> {
        let as_root = is_root();
        if as_root {
            chown_to_postgres(self.base.path())?;
        }
        let sock = self.socket_dir();
        fs::create_dir(&sock).context("creating the socket directory")?;
        if as_root {
            chown_to_postgres(&sock)?;
        }

        let mut args: Vec<String> = vec![
            "-D".into(),
            self.data_dir().display().to_string(),
            "-U".into(),
            SUPERUSER.into(),
            "-E".into(),
            "UTF8".into(),
            "--locale=C".into(),
            // No fsync of the new cluster: it lives for one run.
            "--no-sync".into(),
            "--auth-local=trust".into(),
        ];
        let pwfile = self.base.path().join("pwfile");
        match &self.password {
            Some(pw) => {
                write_private_file(&pwfile, pw.as_bytes())?;
                args.push("--auth-host=scram-sha-256".into());
                args.push(format!("--pwfile={}", pwfile.display()));
            }
            None => args.push("--auth-host=trust".into()),
        }
        let out = self.run_pg("initdb", &args)?;
        let _ = fs::remove_file(&pwfile);
        ensure!(out.status.success(), "initdb failed:\n{}", command_output(&out));

        let data = self.data_dir();
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .context("opening postgresql.conf")?;
        let mut lines = vec![
            "# added by syncctl for a throwaway cluster".to_owned(),
            "listen_addresses = '127.0.0.1'".to_owned(),
            format!("unix_socket_directories = '{}'", sock.display()),
            // Only an OS crash could lose what fsync would protect, and the cluster is deleted
            // after the run anyway. synchronous_commit stays on: crash tests
            // (`stop_immediate`) rely on a committed transaction surviving.
            "fsync = off".to_owned(),
            "full_page_writes = off".to_owned(),
            // Tests run in parallel and some start many syncctl processes at once.
            "max_connections = 200".to_owned(),
        ];
        lines.extend(opts.conf_lines);
        writeln!(conf, "\n{}", lines.join("\n")).context("writing postgresql.conf")?;

        if !opts.hba_lines.is_empty() {
            let hba_path = data.join("pg_hba.conf");
            let generated = fs::read_to_string(&hba_path).context("reading pg_hba.conf")?;
            fs::write(&hba_path, format!("{}\n{generated}", opts.hba_lines.join("\n")))
                .context("writing pg_hba.conf")?;
        }
        for (name, contents) in &opts.data_files {
            write_private_file(&data.join(name), contents)?;
        }
        Ok(())
    }

    fn start_with_free_port(&self) -> Result<()> {
        // Picking a free port and binding it later races with other processes; a lost race
        // shows as a bind failure in the log, and we try again with another port.
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            *self.port.lock().unwrap_or_else(PoisonError::into_inner) = port;
            let mut conf = fs::OpenOptions::new()
                .append(true)
                .open(self.data_dir().join("postgresql.conf"))
                .context("opening postgresql.conf")?;
            // A later `port` line overrides an earlier one from a failed attempt.
            writeln!(conf, "port = {port}").context("writing postgresql.conf")?;
            match self.start_server() {
                Ok(()) => return Ok(()),
                Err(e) if self.log().contains("could not bind") => last = Some(e),
                Err(e) => return Err(e.context("starting the throwaway cluster")),
            }
        }
        Err(last
            .unwrap_or_else(|| anyhow::anyhow!("no attempt made"))
            .context("starting the throwaway cluster (no free port after 5 tries)"))
    }

    /// Starts the server with `pg_ctl -w` and then waits until it accepts connections.
    fn start_server(&self) -> Result<()> {
        let timeout = SERVER_DEADLINE.as_secs().to_string();
        let log = self.log_path().display().to_string();
        let out = self.pg_ctl(["-l", &log, "-w", "-t", &timeout, "start"])?;
        ensure!(
            out.status.success(),
            "pg_ctl start failed: {}\n--- server log ---\n{}",
            command_output(&out),
            self.log()
        );
        self.wait_until_accepting()
    }

    /// Polls `pg_isready` over the Unix socket, which stays trust whatever TCP requires.
    fn wait_until_accepting(&self) -> Result<()> {
        let deadline = Instant::now() + SERVER_DEADLINE;
        let (sock, port) = (self.socket_dir().display().to_string(), self.port().to_string());
        loop {
            let out =
                self.run_pg("pg_isready", &["-q", "-h", &sock, "-p", &port, "-U", SUPERUSER, "-d", "postgres"])?;
            if out.status.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the server does not accept connections\n--- server log ---\n{}", self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&self, mode: &str) -> Result<()> {
        if !self.is_running() {
            return Ok(());
        }
        let pid = self.postmaster_pid();
        let timeout = SERVER_DEADLINE.as_secs().to_string();
        let out = self.pg_ctl(["-m", mode, "-w", "-t", &timeout, "stop"])?;
        ensure!(out.status.success() || !self.is_running(), "pg_ctl stop -m {mode} failed:\n{}", command_output(&out));
        if let Some(pid) = pid {
            ensure!(wait_for_exit(pid), "postmaster {pid} still runs after pg_ctl stop");
        }
        Ok(())
    }

    fn pg_ctl<const N: usize>(&self, args: [&str; N]) -> Result<Output> {
        let data = self.data_dir().display().to_string();
        let mut all = vec!["-D", data.as_str()];
        all.extend(args);
        self.run_pg("pg_ctl", &all)
    }

    /// Runs one of the installation's programs (as `postgres` when we are root).
    fn run_pg<S: AsRef<OsStr>>(&self, program: &str, args: &[S]) -> Result<Output> {
        self.pg_command(program, args).output().with_context(|| format!("running {}", self.pg_bin(program).display()))
    }

    /// A command for one of the installation's programs, as the `postgres` OS user when we
    /// are root, without any PG* variable from our environment steering it elsewhere.
    fn pg_command<S: AsRef<OsStr>>(&self, program: &str, args: &[S]) -> Command {
        let bin = self.pg_bin(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        cmd.args(args).current_dir(self.base.path());
        for (key, _) in env::vars_os() {
            if key.to_string_lossy().starts_with("PG") {
                cmd.env_remove(key);
            }
        }
        cmd.env("LC_ALL", "C");
        cmd
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.is_running() {
            return;
        }
        let pid = self.postmaster_pid();
        if self.stop("immediate").is_err() && self.is_running() {
            // Last resort, so no server outlives its deleted data directory.
            if let Some(pid) = self.postmaster_pid() {
                // SAFETY: kill(2) with a pid read from our own cluster's pid file.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        if let Some(pid) = pid {
            wait_for_exit(pid);
        }
        // `base` (a TempDir) removes the directories when the fields drop.
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: the one `initdb` on PATH resolves
/// to, else the newest `/usr/lib/postgresql/<version>/bin`.
fn find_bin_dir() -> Result<PathBuf> {
    if let Some(path) = env::var_os("PATH") {
        for dir in env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if !initdb.is_file() || !dir.join("pg_ctl").is_file() {
                continue;
            }
            // PATH often holds symlinks (/usr/local/bin/initdb): the real directory also holds
            // the programs PATH may lack (postgres, pg_isready).
            let real = fs::canonicalize(&initdb)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .filter(|d| d.join("pg_ctl").is_file());
            return Ok(real.unwrap_or(dir));
        }
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version = name.split('.').map(str::parse).collect::<Result<Vec<u32>, _>>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no PostgreSQL server binaries found: put initdb and pg_ctl on PATH, or install PostgreSQL \
             under /usr/lib/postgresql/<version>/bin"
        ),
    }
}

/// Waits until process `pid` has exited; false if it still runs at the deadline. The
/// postmaster deletes its pid file (which `pg_ctl -w stop` waits for) just before it exits.
fn wait_for_exit(pid: i32) -> bool {
    let deadline = Instant::now() + SERVER_DEADLINE;
    while process_alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Whether process `pid` exists and is not a zombie (an orphaned postmaster may wait for a
/// reaper that never comes, but it is gone for our purposes).
pub fn process_alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may itself hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Asks the kernel for a free TCP port on 127.0.0.1.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).context("finding a free port")?.port())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of the `postgres` OS user (programs that refuse root run as it).
pub fn postgres_ids() -> Result<(libc::uid_t, libc::gid_t)> {
    let name = CString::new("postgres").context("a literal without NUL")?;
    // SAFETY: `passwd` is plain old data; all-zero is a valid value for getpwnam_r to fill.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, and `buf` outlives our use of `pwd` (we only
    // read its two integer fields). getpwnam_r is the thread-safe variant.
    let rc = unsafe { libc::getpwnam_r(name.as_ptr(), &raw mut pwd, buf.as_mut_ptr(), buf.len(), &raw mut result) };
    ensure!(rc == 0 && !result.is_null(), "running as root, but there is no `postgres` OS user to run the cluster as");
    Ok((pwd.pw_uid, pwd.pw_gid))
}

fn chown_to_postgres(path: &Path) -> Result<()> {
    let (uid, gid) = postgres_ids()?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("chown {} to postgres", path.display()))
}

/// Writes a file only the server's OS user can read.
fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("chmod {}", path.display()))?;
    if is_root() {
        chown_to_postgres(path)?;
    }
    Ok(())
}

/// What a failed command printed, for its error.
fn command_output(out: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Percent-encodes a URL component (RFC 3986 unreserved characters stay).
pub fn url_encode(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
