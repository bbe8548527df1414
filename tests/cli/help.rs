//! Help text: each subcommand's own options come first and the global ones under their own
//! headings, and `demo` neither offers nor takes the options it has no use for.

use crate::support::syncctl_bare;

/// The stdout of a run that must succeed.
fn help(args: &[&str]) -> String {
    let out = syncctl_bare().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Where `what` starts in `text` (it must be there).
fn at(text: &str, what: &str) -> usize {
    text.find(what).unwrap_or_else(|| panic!("{what:?} not in\n{text}"))
}

#[test]
fn a_subcommand_lists_its_own_options_first_and_the_global_ones_apart() {
    for flag in ["-h", "--help"] {
        let text = help(&["repair", flag]);
        let (own, connection, table, output) =
            (at(&text, "Options:"), at(&text, "Connection:"), at(&text, "Table:"), at(&text, "Output:"));
        for repair_option in ["--task", "--user", "--zombies", "--all", "--dry-run", "--yes", "--json"] {
            let position = at(&text, repair_option);
            assert!(own < position && position < connection, "{repair_option} is not among repair's options:\n{text}");
        }
        for (heading, options) in [
            (connection, &["--database-url", "--lock-timeout", "--statement-timeout"][..]),
            (table, &["--table", "--heartbeat-timeout", "--timestamp-zone"][..]),
            (output, &["--color", "--verbose", "--quiet"][..]),
        ] {
            let next = [connection, table, output, text.len()].into_iter().filter(|&h| h > heading).min().unwrap();
            for option in options {
                let position = at(&text, option);
                assert!(heading < position && position < next, "{option} is under the wrong heading:\n{text}");
            }
        }
    }
}

#[test]
fn demo_offers_no_option_it_ignores() {
    for flag in ["-h", "--help"] {
        let text = help(&["demo", flag]);
        at(&text, "--keep");
        for ignored in ["--database-url", "-d,", "--table", "--heartbeat-timeout", "--timestamp-zone"] {
            assert!(!text.contains(ignored), "demo {flag} offers {ignored}:\n{text}");
        }
    }
}

#[test]
fn demo_refuses_the_options_it_would_ignore() {
    for args in [
        &["demo", "--table", "ops.user_sync_status"][..],
        &["demo", "-d", "postgres://nobody@127.0.0.1:1/none"],
        &["demo", "--database-url", "postgres://nobody@127.0.0.1:1/none"],
        &["demo", "--heartbeat-timeout", "30s"],
        &["demo", "--timestamp-zone", "Europe/Berlin"],
    ] {
        let out = syncctl_bare().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("demo makes its own throwaway cluster and table"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} started something: {}", String::from_utf8_lossy(&out.stdout));
    }
}
