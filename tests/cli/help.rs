//! What a newcomer reads: help text (each subcommand's own options first, the global ones under
//! their own headings; `demo` neither offers nor takes the options it has no use for), the man
//! pages, the SQL that commands print, and no word that cannot be looked up.

use crate::support::fixtures::{REFERENCE_TABLE, reference_table};
use crate::support::{TestDb, syncctl, syncctl_bare};

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

/// A word that points at something a user of the repository cannot look up (a planning document
/// or an issue tracker outside it), in `line`.
fn unlookupable(line: &str) -> Option<&'static str> {
    let lower = line.to_lowercase();
    let followed_by_digit = |word: &str| {
        lower.match_indices(word).any(|(at, _)| lower[at + word.len()..].starts_with(|c: char| c.is_ascii_digit()))
    };
    for document in ["brief.md", "design.md", "benchmark-baseline"] {
        if lower.contains(document) {
            return Some(document);
        }
    }
    if lower.contains("priority-") || followed_by_digit("priority ") {
        return Some("a priority number");
    }
    followed_by_digit("issue ").then_some("an issue number")
}

#[test]
fn no_word_a_user_cannot_look_up() {
    fn walk(path: &std::path::Path, found: &mut Vec<String>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path(), found);
            }
        } else if let Ok(text) = std::fs::read_to_string(path) {
            for (n, line) in text.lines().enumerate() {
                // roff writes a hyphen as `\-`.
                if let Some(what) = unlookupable(&line.replace("\\-", "-")) {
                    found.push(format!("{}:{}: {what}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert_eq!(unlookupable("the Priority-0 fixes"), Some("a priority number"));
    assert_eq!(unlookupable("(see issue 12)"), Some("an issue number"));
    assert_eq!(unlookupable("an issue, 12 rows"), None);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for part in ["src", "sql", "man", "README.md"] {
        walk(&root.join(part), &mut found);
    }
    assert!(found.is_empty(), "say the actual thing instead:\n{}", found.join("\n"));
}

/// The SQL a command prints (`--print-sql`, `--dry-run`, under both formats) keeps its comments
/// for the DBA and none of the notes on the template that only a maintainer needs.
#[test]
fn printed_sql_has_no_template_notes() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    let mut runs = vec![
        syncctl_bare().args(["add-constraints", "--print-sql"]).output().unwrap(),
        syncctl(&db).args(["add-constraints", "--dry-run"]).output().unwrap(),
        syncctl(&db).args(["add-constraints", "--dry-run", "--json"]).output().unwrap(),
    ];
    // The rollback has something to drop once the rollout ran.
    syncctl(&db).arg("add-constraints").assert().code(0);
    runs.push(syncctl(&db).args(["add-constraints", "--rollback", "--dry-run"]).output().unwrap());
    for out in runs {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("-- add-constraints"), "the DBA's comments are gone:\n{stdout}");
        assert!(!stdout.contains("Placeholder") && !stdout.contains("---"), "a template note is printed:\n{stdout}");
    }
}

/// `syncctl man [COMMAND]` prints the page checked in under `man/`, for installs without a
/// checkout; a name that has no page is a usage error naming the ones there are.
#[test]
fn man_prints_each_checked_in_page() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for (args, file) in [
        (&["man"][..], "syncctl.1"),
        (&["man", "repair"], "syncctl-repair.1"),
        (&["man", "validate-constraints"], "syncctl-validate-constraints.1"),
    ] {
        let stored = std::fs::read_to_string(root.join(file)).unwrap();
        assert_eq!(help(args).trim_end(), stored.trim_end(), "{args:?}");
        for section in ["EXIT STATUS", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"] {
            assert!(stored.contains(section), "{file} has no {section}");
        }
    }
    let out = syncctl_bare().args(["man", "fix"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no man page for 'fix'") && stderr.contains("repair"), "{stderr}");
}
