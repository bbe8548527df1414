//! Connection settings as libpq users expect them: a URL or key=value string first, then the
//! libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT,
//! PGCONNECT_TIMEOUT, PGOPTIONS, PGPASSFILE) for what it leaves out, then libpq's defaults.
//!
//! tokio-postgres knows neither the environment nor `verify-ca` / `verify-full`, so the TLS
//! parameters are taken out of the string before it parses the rest.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Result;
use tokio_postgres::config::{Host, SslMode as PgSslMode};

use crate::error::UsageError;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, without verification.
    Prefer,
    /// TLS, without verification (unless a root certificate is configured: then as verify-ca).
    Require,
    /// TLS, the server certificate must chain to the root certificate.
    VerifyCa,
    /// As verify-ca, and the certificate must name the host.
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "disable" | "allow" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(UsageError::with_hint(
                    format!("unknown sslmode '{other}'"),
                    "use disable, prefer, require, verify-ca or verify-full",
                ));
            }
        })
    }
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verification {
    /// Encrypt only (libpq's prefer and require without a root certificate).
    None,
    /// The chain must lead to these roots; the host name is not checked.
    Chain(PathBuf),
    /// Chain and host name.
    Full(PathBuf),
}

/// A client certificate (PEM) and its private key (PEM), for servers that ask for one
/// (`clientcert=verify-ca` / `verify-full` in pg_hba.conf, or `cert` authentication).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientCert {
    /// The certificate (chain) file.
    pub cert: PathBuf,
    /// The private key file.
    pub key: PathBuf,
}

/// The TLS parameters taken out of a URL or key=value string (tokio-postgres knows none of
/// them but sslmode, and syncctl applies them itself).
#[derive(Debug, Default)]
struct TlsParams {
    mode: Option<String>,
    root: Option<String>,
    cert: Option<String>,
    key: Option<String>,
}

/// Everything needed to open a connection.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The tokio-postgres configuration, TLS mode included.
    pub config: tokio_postgres::Config,
    /// How the certificate is verified when TLS is used.
    pub verification: Verification,
    /// The client certificate and its key, when one is configured (libpq's sslcert / sslkey).
    pub client_cert: Option<ClientCert>,
    /// `user@host:port/database`, for messages: never the password.
    pub target: String,
}

/// Where a setting comes from when the string leaves it out: the environment, in production.
pub(crate) trait Env {
    /// The variable's value, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// What syncctl puts in every connection's startup packet: only `application_name`, which
/// poolers accept; its other settings are applied inside each transaction (`db::apply`).
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// `application_name`, e.g. `syncctl/inspect`.
    pub application_name: String,
}

/// Builds the settings from an optional URL, the environment and syncctl's session settings.
pub(crate) fn build(url: Option<&str>, env: &dyn Env, session: &Session) -> Result<Settings> {
    let (rest, tls) = match url {
        Some(url) => split_tls_params(url),
        None => (String::new(), TlsParams::default()),
    };
    let mut config = if rest.trim().is_empty() {
        tokio_postgres::Config::new()
    } else {
        tokio_postgres::Config::from_str(&rest).map_err(|e| {
            UsageError::with_hint(
                format!("the database URL is not valid: {e}"),
                "write it as postgres://user@host:port/database or as key=value pairs",
            )
        })?
    };
    fill_from_env(&mut config, env)?;
    config.application_name(&session.application_name);
    let mode = match tls.mode.or_else(|| env.var("PGSSLMODE")) {
        Some(mode) => mode.parse::<SslMode>()?,
        None => SslMode::Prefer,
    };
    // libpq ignores sslmode over Unix sockets, where the server offers no TLS: no SSLRequest
    // (a round trip answered 'N' under prefer, a failure under require), no root certificate.
    let mode = if sockets_only(&config) { SslMode::Disable } else { mode };
    let verification = verification(mode, tls.root.or_else(|| env.var("PGSSLROOTCERT")).map(PathBuf::from))?;
    config.ssl_mode(match mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        _ => PgSslMode::Require,
    });
    let target = target_of(&config);
    let client_cert = client_cert(tls.cert, tls.key, env)?;
    Ok(Settings { config, verification, client_cert, target })
}

/// Whether every host is a Unix socket directory (and no hostaddr sends it over TCP instead).
/// With a mixed list, tokio-postgres applies one sslmode to all hosts, so it stays as given.
fn sockets_only(config: &tokio_postgres::Config) -> bool {
    let hosts = config.get_hosts();
    !hosts.is_empty() && config.get_hostaddrs().is_empty() && hosts.iter().all(|h| matches!(h, Host::Unix(_)))
}

/// What the URL leaves unsaid, from the libpq variables and libpq's defaults, as libpq does.
fn fill_from_env(config: &mut tokio_postgres::Config, env: &dyn Env) -> Result<()> {
    if config.get_hosts().is_empty() {
        match env.var("PGHOST") {
            Some(hosts) => hosts.split(',').for_each(|h| add_host(config, h)),
            None => add_host(config, default_host()),
        }
    }
    if config.get_ports().is_empty()
        && let Some(port) = env.var("PGPORT")
    {
        let port = port.parse::<u16>().map_err(|_| {
            UsageError::with_hint(
                format!("PGPORT '{port}' is not a port number"),
                "set PGPORT to a number such as 5432",
            )
        })?;
        config.port(port);
    }
    if config.get_user().is_none() {
        config.user(env.var("PGUSER").unwrap_or_else(os_user));
    }
    if config.get_dbname().is_none() {
        let db = env.var("PGDATABASE").unwrap_or_else(|| config.get_user().unwrap_or_default().to_string());
        config.dbname(db);
    }
    if config.get_password().is_none() {
        if let Some(password) = env.var("PGPASSWORD") {
            config.password(password);
        } else if let Some(password) = pgpass_lookup(config, env) {
            config.password(password);
        }
    }
    if config.get_connect_timeout().is_none() {
        // libpq waits forever by default; a cron job or a monitoring check must not.
        let secs = env.var("PGCONNECT_TIMEOUT").and_then(|s| s.parse::<u64>().ok()).unwrap_or(10);
        config.connect_timeout(Duration::from_secs(secs.max(2)));
    }
    // The user's own startup options, as libpq would send them (a pooler may refuse them).
    if config.get_options().is_none()
        && let Some(options) = env.var("PGOPTIONS")
    {
        config.options(&options);
    }
    Ok(())
}

/// How the server's certificate is checked under `mode`, with the root certificate given (URL
/// or PGSSLROOTCERT) or found at ~/.postgresql/root.crt.
fn verification(mode: SslMode, explicit_root: Option<PathBuf>) -> Result<Verification> {
    let default_root = home_dir().map(|h| h.join(".postgresql/root.crt")).filter(|p| p.exists());
    Ok(match mode {
        SslMode::Disable | SslMode::Prefer => Verification::None,
        // libpq: require with a root certificate present behaves as verify-ca.
        SslMode::Require => explicit_root.or(default_root).map_or(Verification::None, Verification::Chain),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let root = explicit_root.or(default_root).ok_or_else(|| {
                UsageError::with_hint(
                    "sslmode verify-ca and verify-full need the CA's root certificate, and none was found",
                    "set PGSSLROOTCERT (or sslrootcert= in the URL) to the CA certificate file, \
                     or put it at ~/.postgresql/root.crt",
                )
            })?;
            if mode == SslMode::VerifyCa { Verification::Chain(root) } else { Verification::Full(root) }
        }
    })
}

/// The passwords that could appear in a message: the URL's and PGPASSWORD. Very short ones are
/// left out: replacing every "a" in a message would only make it unreadable.
pub(crate) fn secrets(url: Option<&str>) -> Vec<String> {
    let from_url = url.and_then(|u| {
        let (rest, _) = split_tls_params(u);
        tokio_postgres::Config::from_str(&rest).ok()?.get_password().map(|p| String::from_utf8_lossy(p).into_owned())
    });
    // The password as written in the URL too (percent-encoded), in case the URL does not parse.
    let raw = url.and_then(|u| {
        let authority = u.split_once("://")?.1.split('/').next()?;
        let userinfo = authority.rsplit_once('@')?.0;
        Some(userinfo.split_once(':')?.1.to_string())
    });
    [from_url, raw, ProcessEnv.var("PGPASSWORD")].into_iter().flatten().filter(|s| s.len() >= 3).collect()
}

fn add_host(config: &mut tokio_postgres::Config, host: &str) {
    if host.starts_with('/') {
        config.host_path(host);
    } else {
        config.host(host);
    }
}

/// libpq's default on Debian: the Unix socket directory, when it exists.
fn default_host() -> &'static str {
    if Path::new("/var/run/postgresql").is_dir() { "/var/run/postgresql" } else { "localhost" }
}

fn os_user() -> String {
    // SAFETY: getpwuid returns a pointer into static storage or NULL; it is read at once.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if !pw.is_null() && !(*pw).pw_name.is_null() {
            return std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned();
        }
    }
    std::env::var("USER").unwrap_or_else(|_| "postgres".into())
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

/// `user@host:port/database` for messages.
fn target_of(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "?".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{}@{}:{}/{}", config.get_user().unwrap_or("?"), host, port, config.get_dbname().unwrap_or("?"))
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query or a key=value string.
fn split_tls_params(input: &str) -> (String, TlsParams) {
    let mut tls = TlsParams::default();
    let mut take = |key: &str, value: String| {
        let slot = match key {
            "sslmode" => &mut tls.mode,
            "sslrootcert" => &mut tls.root,
            "sslcert" => &mut tls.cert,
            "sslkey" => &mut tls.key,
            _ => return false,
        };
        *slot = Some(value);
        true
    };
    let rest = if input.starts_with("postgres://") || input.starts_with("postgresql://") {
        match input.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        !take(k, percent_decode(v))
                    })
                    .collect();
                if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) }
            }
            None => input.to_string(),
        }
    } else {
        let kept: Vec<String> = keyword_pairs(input)
            .into_iter()
            .filter(|(k, v)| !take(k, v.clone()))
            .map(|(k, v)| format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'")))
            .collect();
        kept.join(" ")
    };
    (rest, tls)
}

/// The client certificate, as libpq finds it: sslcert / sslkey, else PGSSLCERT / PGSSLKEY,
/// else `~/.postgresql/postgresql.crt` and `.key` when that certificate exists. A certificate or
/// key named explicitly must exist.
fn client_cert(cert: Option<String>, key: Option<String>, env: &dyn Env) -> Result<Option<ClientCert>> {
    let default_dir = home_dir().map(|h| h.join(".postgresql"));
    let named = cert.or_else(|| env.var("PGSSLCERT")).map(PathBuf::from);
    let key = key.or_else(|| env.var("PGSSLKEY")).map(PathBuf::from);
    let cert = match named {
        Some(path) => path,
        None => match default_dir.as_ref().map(|d| d.join("postgresql.crt")).filter(|p| p.exists()) {
            Some(path) => path,
            None if key.is_some() => {
                return Err(UsageError::with_hint(
                    "a client key is set (sslkey or PGSSLKEY) but no client certificate",
                    "set sslcert= in the URL or PGSSLCERT to the certificate that goes with the key",
                ));
            }
            None => return Ok(None),
        },
    };
    let key = key.or_else(|| default_dir.map(|d| d.join("postgresql.key"))).unwrap_or_default();
    for (what, path, flag) in [("certificate", &cert, "sslcert / PGSSLCERT"), ("key", &key, "sslkey / PGSSLKEY")] {
        if !path.is_file() {
            return Err(UsageError::with_hint(
                format!("the client {what} {} does not exist", path.display()),
                format!("point {flag} at the PEM file"),
            ));
        }
    }
    Ok(Some(ClientCert { cert, key }))
}

/// Splits a libpq key=value string; values may be single-quoted with backslash escapes.
fn keyword_pairs(input: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        if key.is_empty() {
            break;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.next_if_eq(&'=');
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
    pairs
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The password from the password file (PGPASSFILE or ~/.pgpass), as libpq finds it: the first
/// line whose host, port, database and user match (`*` matches anything). Like libpq, a file
/// others can read is ignored.
fn pgpass_lookup(config: &tokio_postgres::Config, env: &dyn Env) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = env.var("PGPASSFILE").map(PathBuf::from).or_else(|| home_dir().map(|h| h.join(".pgpass")))?;
    let meta = std::fs::metadata(&path).ok()?;
    if meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first()? {
        Host::Tcp(h) => h.clone(),
        Host::Unix(_) => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let wanted = [host.as_str(), port.as_str(), config.get_dbname()?, config.get_user()?];
    text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|line| {
        let fields = pgpass_fields(line);
        if fields.len() < 5 {
            return None;
        }
        let matches = wanted.iter().zip(&fields).all(|(want, field)| field == "*" || field == want);
        matches.then(|| fields[4..].join(":"))
    })
}

/// Splits a .pgpass line on unescaped colons; `\:` and `\\` are escapes.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct FakeEnv(HashMap<&'static str, &'static str>);
    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    fn session() -> Session {
        Session { application_name: "syncctl/test".into() }
    }

    #[test]
    fn url_wins_over_environment_and_tls_params_are_taken_out() {
        let env = FakeEnv(HashMap::from([("PGHOST", "other"), ("PGUSER", "nobody")]));
        let s = build(
            Some("postgres://alice:secret@db.example:6543/app?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&connect_timeout=3"),
            &env,
            &session(),
        )
        .unwrap();
        assert_eq!(s.target, "alice@db.example:6543/app");
        assert_eq!(s.verification, Verification::Full(PathBuf::from("/tmp/ca.pem")));
        assert_eq!(s.config.get_ssl_mode(), PgSslMode::Require);
        assert_eq!(s.config.get_connect_timeout(), Some(&Duration::from_secs(3)));
        assert!(!s.target.contains("secret"));
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        let env = FakeEnv(HashMap::from([
            ("PGHOST", "/tmp/sock"),
            ("PGPORT", "5433"),
            ("PGUSER", "bob"),
            ("PGPASSWORD", "pw"),
            ("PGSSLMODE", "disable"),
        ]));
        let s = build(None, &env, &session()).unwrap();
        assert_eq!(s.target, "bob@/tmp/sock:5433/bob");
        assert_eq!(s.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(s.config.get_ssl_mode(), PgSslMode::Disable);
        assert_eq!(s.config.get_options(), None, "no startup options a pooler would refuse");
    }

    #[test]
    fn the_users_own_options_are_sent_and_key_value_strings_work() {
        let env = FakeEnv(HashMap::from([("PGOPTIONS", "-c work_mem=64MB")]));
        let s = build(Some("host=h user=u dbname=d options='-c jit=on' sslmode=require"), &env, &session()).unwrap();
        assert_eq!(s.config.get_options(), Some("-c jit=on"), "the URL's options win over PGOPTIONS");
        assert_eq!(s.target, "u@h:5432/d");
        let s = build(Some("host=h user=u dbname=d"), &env, &session()).unwrap();
        assert_eq!(s.config.get_options(), Some("-c work_mem=64MB"));
    }

    #[test]
    fn verify_full_without_root_certificate_is_a_usage_error() {
        let env = FakeEnv(HashMap::from([("PGSSLMODE", "verify-full")]));
        let err = build(Some("postgres://u@h/d"), &env, &session()).unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some());
    }

    #[test]
    fn sslmode_is_ignored_over_unix_sockets_as_libpq_ignores_it() {
        let env = FakeEnv(HashMap::new());
        for mode in ["prefer", "require", "verify-ca", "verify-full"] {
            // No SSLRequest on a socket, and verify-* asks for no root certificate there.
            let s = build(Some(&format!("host=/tmp/sock user=u dbname=d sslmode={mode}")), &env, &session()).unwrap();
            assert_eq!(s.config.get_ssl_mode(), PgSslMode::Disable, "sslmode={mode}");
            assert_eq!(s.verification, Verification::None, "sslmode={mode}");
        }
        // Over TCP, and with a socket beside a TCP host or sent to a hostaddr, it stays.
        for url in ["host=h user=u dbname=d", "host=/tmp/sock,h user=u dbname=d", "host=/tmp/sock hostaddr=127.0.0.1"] {
            let s = build(Some(&format!("{url} sslmode=require")), &env, &session()).unwrap();
            assert_eq!(s.config.get_ssl_mode(), PgSslMode::Require, "{url}");
        }
        assert!(build(Some("host=/tmp/sock sslmode=bogus"), &env, &session()).is_err(), "still parsed");
    }

    #[test]
    fn pgpass_lines_split_on_unescaped_colons() {
        assert_eq!(pgpass_fields(r"h:5432:*:u:pa\:ss:word"), vec!["h", "5432", "*", "u", "pa:ss:word"]);
    }
}
