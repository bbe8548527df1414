//! The harness of the CLI tests: a PostgreSQL server, a fresh database per test ([`TestDb`]),
//! the built `syncctl` binary with a clean environment ([`syncctl`]), and the fixtures. Every
//! helper more than one test file uses lives here or in a module of its own below (waits in
//! [`wait`], the three constraints in [`constraints`], writers under a rollout in [`writers`], a
//! proxy that holds the server's answers back in [`proxy`]); a test file never imports from
//! another.
//!
//! The server is the one `SYNCCTL_TEST_DATABASE_URL` names (a role that may CREATE DATABASE and
//! CREATE ROLE); without it, the first test that needs a server starts one shared throwaway
//! [`Cluster`] for the whole test process, stopped and deleted when the process exits. Tests
//! never skip for want of a server.

// Each test file uses only part of the harness; the rest is not dead, just unused there.
#![allow(dead_code)]

pub(crate) mod background;
pub(crate) mod bouncer;
pub(crate) mod cluster;
pub(crate) mod constraints;
pub(crate) mod fixtures;
mod pgurl;
pub(crate) mod proxy;
pub(crate) mod terminal;
pub(crate) mod wait;
pub(crate) mod writers;

use std::env;
use std::fmt::Write as _;
use std::process::{self, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use postgres::types::{FromSqlOwned, ToSql};
use postgres::{Client, NoTls, Row};
use serde_json::Value;

pub(crate) use cluster::{Cluster, ClusterOptions};

/// The environment variable naming the test server.
pub(crate) const TEST_URL_VAR: &str = "SYNCCTL_TEST_DATABASE_URL";

/// How long one `syncctl` run may take before `assert_cmd` kills it: a hung binary fails its
/// test instead of hanging the suite. Generous, and a test may set its own.
pub(crate) const SYNCCTL_TIMEOUT: Duration = Duration::from_mins(2);

/// The server the tests run against.
struct Server {
    /// A URL of the server's maintenance database, as a role that may create databases.
    admin_url: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The shared throwaway cluster, when there is no `SYNCCTL_TEST_DATABASE_URL`. Statics are
/// never dropped, so an `atexit` handler takes it out of here and drops it.
static SHARED_CLUSTER: Mutex<Option<Cluster>> = Mutex::new(None);

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        if let Some(url) = env::var(TEST_URL_VAR).ok().filter(|u| !u.trim().is_empty()) {
            return Server { admin_url: url };
        }
        let cluster = Cluster::start(ClusterOptions::default());
        let admin_url = cluster.url("postgres");
        *SHARED_CLUSTER.lock().unwrap_or_else(PoisonError::into_inner) = Some(cluster);
        // SAFETY: registers a plain `extern "C" fn()` that never unwinds.
        let rc = unsafe { libc::atexit(stop_shared_cluster) };
        assert_eq!(rc, 0, "atexit could not register the cluster's cleanup");
        Server { admin_url }
    })
}

/// Runs at process exit: stops and deletes the shared cluster.
extern "C" fn stop_shared_cluster() {
    // A panic must not unwind into libc's exit().
    let _ = std::panic::catch_unwind(|| {
        let cluster = SHARED_CLUSTER.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(cluster);
    });
}

/// The URL of the test server's maintenance database, as its admin role.
pub(crate) fn admin_url() -> String {
    server().admin_url.clone()
}

/// A new connection to the test server's maintenance database, as its admin role.
pub(crate) fn admin_client() -> Client {
    connect(&server().admin_url)
}

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"))
}

/// Quotes an SQL identifier (`a"b` → `"a""b"`).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Formats a database error with everything a failing test should show.
pub(crate) fn describe_sql_error(e: &postgres::Error) -> String {
    let Some(db) = e.as_db_error() else {
        return e.to_string();
    };
    let mut text = format!("{} [{}]: {}", db.severity(), db.code().code(), db.message());
    if let Some(detail) = db.detail() {
        let _ = write!(text, "\nDETAIL: {detail}");
    }
    if let Some(hint) = db.hint() {
        let _ = write!(text, "\nHINT: {hint}");
    }
    if let Some(position) = db.position() {
        let _ = write!(text, "\nPOSITION: {position:?}");
    }
    text
}

fn random_hex(len: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..len].to_owned()
}

/// A fresh, uniquely named database on the test server, dropped (`WITH (FORCE)`) together with
/// the roles made for it when this value drops.
///
/// Every helper opens its own short connection, so a `TestDb` can be shared between threads
/// and holds no session that could block what the test does.
pub(crate) struct TestDb {
    name: String,
    url: String,
    /// Roles made for this database (with their passwords), dropped after it.
    roles: Mutex<Vec<(String, Option<String>)>>,
}

impl TestDb {
    /// Creates `syncctl_t_<pid>_<counter>_<random>` (UTF8, C locale, from template0).
    #[allow(clippy::new_without_default)] // Creating a database is no default value.
    pub(crate) fn new() -> TestDb {
        let server = server();
        let name =
            format!("syncctl_t_{}_{}_{}", process::id(), DB_COUNTER.fetch_add(1, Ordering::Relaxed), random_hex(8));
        let sql = format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
            quote_ident(&name)
        );
        connect(&server.admin_url)
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}\nfailed: {}", describe_sql_error(&e)));
        let url = pgurl::with_database(&server.admin_url, &name);
        TestDb { name, url, roles: Mutex::new(Vec::new()) }
    }

    /// The database's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database as the admin role: what the binary gets as `DATABASE_URL`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The URL of this database as `role`, with `password` if given.
    pub(crate) fn url_as(&self, role: &str, password: Option<&str>) -> String {
        pgurl::with_user(&server().admin_url, &self.name, role, password)
    }

    /// The URL of this database as a role the harness made ([`readonly_role`],
    /// [`TestDb::create_role`]), with the password it gave that role.
    pub(crate) fn role_url(&self, role: &str) -> String {
        let password = self
            .lock_roles()
            .iter()
            .find(|(name, _)| name == role)
            .unwrap_or_else(|| panic!("role {role} was not made by this TestDb"))
            .1
            .clone();
        self.url_as(role, password.as_deref())
    }

    /// A new connection to this database as the admin role.
    pub(crate) fn client(&self) -> Client {
        Client::connect(&self.url, NoTls).unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.name))
    }

    /// Runs one or more statements (simple protocol); panics with the SQL error.
    pub(crate) fn execute(&self, sql: &str) {
        self.try_execute(sql).unwrap_or_else(|e| panic!("{sql}\nfailed: {}", describe_sql_error(&e)));
    }

    /// Runs one or more statements (simple protocol), returning the error for tests that
    /// expect one.
    pub(crate) fn try_execute(&self, sql: &str) -> Result<(), postgres::Error> {
        self.client().batch_execute(sql)
    }

    /// The rows of one query with `$n` parameters; panics with the SQL error.
    pub(crate) fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Vec<Row> {
        self.client().query(sql, params).unwrap_or_else(|e| panic!("{sql}\nfailed: {}", describe_sql_error(&e)))
    }

    /// The one row of a query with `$n` parameters; panics unless exactly one row comes back.
    pub(crate) fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Row {
        self.client().query_one(sql, params).unwrap_or_else(|e| panic!("{sql}\nfailed: {}", describe_sql_error(&e)))
    }

    /// The first column of the one row of `sql`.
    pub(crate) fn scalar<T: FromSqlOwned>(&self, sql: &str) -> T {
        self.query_one(sql, &[]).get(0)
    }

    /// `SELECT count(*) FROM <table> WHERE <condition>`; `table` is written as in SQL.
    pub(crate) fn count(&self, table: &str, condition: &str) -> i64 {
        self.scalar(&format!("SELECT count(*) FROM {table} WHERE {condition}"))
    }

    /// Creates a LOGIN role unique to this database, with a random password and the given
    /// extra attributes (e.g. `NOINHERIT`), and returns its name. It is dropped with the
    /// database; connect with [`TestDb::role_url`].
    pub(crate) fn create_role(&self, attributes: &str) -> String {
        let (role, password) = self.new_role();
        self.execute(&format!("CREATE ROLE {} LOGIN PASSWORD '{password}' {attributes}", quote_ident(&role)));
        role
    }

    /// Makes the harness drop `role` with this database (for roles a test made itself).
    pub(crate) fn register_role(&self, role: &str) {
        self.lock_roles().push((role.to_owned(), None));
    }

    /// A fresh role name with a random password, registered for dropping before it exists,
    /// so a failure half-way still cleans up.
    fn new_role(&self) -> (String, String) {
        let mut roles = self.lock_roles();
        let role = format!("{}_r{}", self.name, roles.len());
        let password = random_hex(16);
        roles.push((role.clone(), Some(password.clone())));
        (role, password)
    }

    fn lock_roles(&self) -> std::sync::MutexGuard<'_, Vec<(String, Option<String>)>> {
        self.roles.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort and never a panic: this may run while a failing test unwinds, and a
        // leftover database must not turn a passing test into a failing one.
        let Some(server) = SERVER.get() else { return };
        let mut admin = match Client::connect(&server.admin_url, NoTls) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("warning: cannot drop test database {}: {e}", self.name);
                return;
            }
        };
        let drop_db = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&self.name));
        if let Err(e) = admin.batch_execute(&drop_db) {
            eprintln!("warning: {drop_db}: {}", describe_sql_error(&e));
        }
        // Roles are cluster-wide and their grants on the database go with it, so they are
        // dropped only now.
        for (role, _) in self.lock_roles().iter() {
            let drop_role = format!("DROP ROLE IF EXISTS {}", quote_ident(role));
            if let Err(e) = admin.batch_execute(&drop_role) {
                eprintln!("warning: {drop_role}: {}", describe_sql_error(&e));
            }
        }
    }
}

/// Creates a LOGIN role unique to `db` that may only connect to it, use the schema of `table`
/// and SELECT from `table` (written as in SQL, e.g. `"Sync Ops".user_sync_status`). Returns
/// the role's name; connect with [`TestDb::role_url`]. Dropped with `db`.
pub(crate) fn readonly_role(db: &TestDb, table: &str) -> String {
    let schema: String = db
        .query_one(
            "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = $1::text::regclass",
            &[&table],
        )
        .get(0);
    let (role, password) = db.new_role();
    let role_q = quote_ident(&role);
    db.execute(&format!(
        "CREATE ROLE {role_q} LOGIN PASSWORD '{password}';
         GRANT CONNECT ON DATABASE {db_q} TO {role_q};
         GRANT USAGE ON SCHEMA {schema_q} TO {role_q};
         GRANT SELECT ON {table} TO {role_q};",
        db_q = quote_ident(db.name()),
        schema_q = quote_ident(&schema),
    ));
    role
}

/// The md5 of all rows of `table` (written as in SQL), in a fixed order: equal digests before
/// and after a command mean it changed nothing.
pub(crate) fn table_digest(db: &TestDb, table: &str) -> String {
    db.scalar(&format!("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), md5('')) FROM {table} t"))
}

/// The built `syncctl` binary, with a clean environment (only PATH and HOME kept) and
/// `DATABASE_URL` set to `db`'s URL.
pub(crate) fn syncctl(db: &TestDb) -> assert_cmd::Command {
    let mut cmd = syncctl_bare();
    cmd.env("DATABASE_URL", db.url());
    cmd
}

/// The built `syncctl` binary with a clean environment (only PATH and HOME kept): no
/// `DATABASE_URL`, no PG* variables, no `SYNCCTL_*`, `NO_COLOR` or `CI`.
pub(crate) fn syncctl_bare() -> assert_cmd::Command {
    let mut cmd =
        assert_cmd::Command::cargo_bin("syncctl").unwrap_or_else(|e| panic!("the syncctl binary was not built: {e}"));
    cmd.env_clear();
    for key in ["PATH", "HOME"] {
        if let Some(value) = env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.timeout(SYNCCTL_TIMEOUT);
    cmd
}

/// The built `syncctl` binary as a plain [`std::process::Command`], for tests that spawn,
/// signal and reap it themselves: clean environment (only PATH and HOME kept), `DATABASE_URL`
/// set to `url`, stdin closed.
pub(crate) fn syncctl_process(url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("syncctl"));
    cmd.env_clear()
        .envs(["PATH", "HOME"].iter().filter_map(|k| env::var_os(k).map(|v| (k, v))))
        .env("DATABASE_URL", url)
        .stdin(std::process::Stdio::null());
    cmd
}

/// The built `syncctl` binary run to its end with `args`, against the database at `url` (a
/// server other than the test server's, a pooler, several hosts), with a clean environment.
pub(crate) fn run_at(url: &str, args: &[&str]) -> Output {
    syncctl_bare().env("DATABASE_URL", url).args(args).output().unwrap()
}

/// The JSON document `bytes` holds (a run's stdout); panics with the text when it is not JSON.
pub(crate) fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// `bytes` (a run's stdout or stderr) as text, invalid UTF-8 replaced.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A run's stderr as text, for assertions and their messages.
pub(crate) fn stderr(out: &Output) -> String {
    text(&out.stderr)
}

/// The time a release note in `error_message` ends with (`… released by syncctl reap: … at
/// 2026-12-02T11:12:30Z`); panics unless it is RFC 3339, the one timestamp format of the tool.
pub(crate) fn note_time(error: &str) -> chrono::DateTime<chrono::FixedOffset> {
    let (_, time) = error.rsplit_once(" at ").unwrap_or_else(|| panic!("no ` at <time>` in {error:?}"));
    chrono::DateTime::parse_from_rfc3339(time).unwrap_or_else(|e| panic!("{time:?} in {error:?} is not RFC 3339: {e}"))
}

/// The rest of one of reap's lines for people after its timestamp, which must be RFC 3339 to
/// the second (cron appends the lines to a log).
pub(crate) fn after_timestamp(line: &str) -> &str {
    let (at, rest) = line.split_once(' ').unwrap_or_else(|| panic!("no timestamp: {line:?}"));
    chrono::DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("{at:?} is not RFC 3339 ({e}): {line:?}"));
    assert!(!at.contains('.'), "to the second: {line:?}");
    rest
}

/// `syncctl <command> --output TARGET` for a device (a link to /dev/null stands in for
/// /dev/stdout), a FIFO and a directory: each refused with `code` before any work, and each left
/// as it was. Then `--output -` with `--json`: its stdout, and no file named `-` made.
pub(crate) fn output_refusals(db: &TestDb, command: &str, code: i32) -> Vec<u8> {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("stdout");
    std::os::unix::fs::symlink("/dev/null", &device).unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let directory = dir.path().join("directory");
    std::fs::create_dir(&directory).unwrap();
    for (target, what) in [(&device, "a device"), (&fifo, "a FIFO"), (&directory, "a directory")] {
        let out = syncctl(db).args([command, "--output", target.to_str().unwrap()]).output().unwrap();
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{command} --output {target:?}: {stderr}");
        assert!(stderr.contains(&format!("is {what}, not a regular file")), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(std::fs::read_link(&device).unwrap(), std::path::Path::new("/dev/null"));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::read_dir(&directory).unwrap().next().is_none(), "nothing written into the directory");

    let out = syncctl(db).current_dir(dir.path()).args([command, "--json", "--output", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.path().join("-").exists(), "`-` is stdout, not a file named -");
    out.stdout
}
