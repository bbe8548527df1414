//! What a command costs before its own statements: syncctl's settings and one statement that
//! reads the table and the server (table/introspect.sql), sent together in one round trip
//! after the connection's own. Counted from `-v`, which names every statement syncctl sends.

use crate::support::fixtures::incident_db;
use crate::support::{stderr, syncctl};

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
