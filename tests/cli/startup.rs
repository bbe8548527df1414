//! What a command costs before its own statements: syncctl's settings and one statement that
//! reads the table and the server (table/introspect.sql), sent together in one round trip
//! after the connection's own. Counted from `-v`, which names every statement syncctl sends.

use std::io::Read;
use std::os::unix::net::UnixListener;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::fixtures::incident_db;
use crate::support::{stderr, syncctl, syncctl_bare};

/// The statements `-v` names, in order.
fn statements(log: &str) -> Vec<&str> {
    log.lines()
        .filter_map(|l| l.strip_prefix("syncctl: sql "))
        .map(|l| l.split(' ').next().unwrap_or_default())
        .collect()
}

/// Every command that works on the table, read-only ones in their snapshot and the others
/// outside one, starts with the settings (which are also their check) and one introspection
/// statement, never a statement per catalog fact or a second look at the server.
#[test]
fn table_introspection_is_one_statement_after_the_settings() {
    let db = incident_db();
    for args in [
        &["health"][..],
        &["inspect"],
        &["validate-constraints"],
        &["reap", "--dry-run"],
        &["repair", "--all", "--dry-run"],
        &["add-constraints", "--dry-run"],
    ] {
        let out = syncctl(&db).arg("-v").args(args).output().unwrap();
        let log = stderr(&out);
        let sent = statements(&log);
        let first_own =
            sent.iter().position(|s| !s.starts_with("table/") && *s != "session/local" && *s != "session/server");
        let preamble = &sent[..first_own.unwrap_or(sent.len())];
        // The command's own transactions begin with session/local too: the preamble ends at the
        // introspection.
        let preamble =
            &preamble[..preamble.iter().position(|s| s.starts_with("table/")).map_or(preamble.len(), |i| i + 1)];
        assert_eq!(preamble, ["session/local", "table/introspect"], "syncctl {args:?}:\n{log}");
        let catalog = sent.iter().filter(|s| s.starts_with("table/") || **s == "session/server").count();
        assert_eq!(catalog, 1, "one look at the table and the server, in all: syncctl {args:?}:\n{log}");
        assert!(log.contains("syncctl: connected to postgres@"), "-v still names the server:\n{log}");
    }
}

/// Over a Unix socket the first message is the startup packet, as libpq sends it: no
/// SSLRequest, a round trip the server answers 'N' on a socket whatever sslmode says. A fake
/// server reads the first message and hangs up.
#[test]
fn no_tls_request_over_a_unix_socket() {
    const SSL_REQUEST: u32 = 80_877_103;
    const PROTOCOL_3_0: u32 = 3 << 16;
    let dir = tempfile::tempdir().unwrap();
    let listener = UnixListener::bind(dir.path().join(".s.PGSQL.5999")).unwrap();
    let (sent, first) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut head = [0u8; 8];
            let read = stream.and_then(|mut s| s.read_exact(&mut head));
            let _ = sent.send(read.map(|()| u32::from_be_bytes([head[4], head[5], head[6], head[7]])));
        }
    });
    for mode in ["prefer", "require"] {
        let url = format!("host={} port=5999 user=u dbname=d sslmode={mode}", dir.path().display());
        let out = syncctl_bare().env("DATABASE_URL", url).arg("health").output().unwrap();
        assert_ne!(out.status.code(), Some(0), "the fake server hung up: {}", stderr(&out));
        let code = first.recv_timeout(Duration::from_secs(30)).expect("syncctl connected").expect("8 bytes");
        assert_ne!(code, SSL_REQUEST, "sslmode={mode}: an SSLRequest over a socket");
        assert_eq!(code, PROTOCOL_3_0, "sslmode={mode}: the startup packet first");
    }
}
