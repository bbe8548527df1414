//! On a real terminal: the built binary runs on a pseudo-terminal of 80x24 (its controlling
//! terminal, so the line discipline turns a written Ctrl-C into SIGINT), as a DBA meets it.
//! repair's question (declined, accepted, interrupted), `--rollback`'s, and `start`'s
//! progress bar, which must keep to 80 columns. Every read polls with a generous deadline.

use crate::support::constraints::PLAIN_CONSTRAINTS;
use crate::support::fixtures::*;
use crate::support::terminal::Terminal;
use crate::support::{TestDb, table_digest};

const USER: &str = "0c7d1e5a-3b2f-4d6e-9a8c-1f0e2d3c4b5a";

/// The incident's database and its zombie row's digest before anything ran.
fn incident() -> (TestDb, String) {
    let db = incident_db();
    let digest = table_digest(&db, REFERENCE_TABLE);
    (db, digest)
}

/// repair --all on the terminal, up to its question, which lists the plan.
fn asked(db: &TestDb) -> Terminal {
    let run = Terminal::spawn(db, &["repair", "--all"], 80);
    let shown = run.wait_for("Proceed? [y/N] ");
    assert!(shown.contains("repair will change 1 row of public.user_sync_status"), "{shown}");
    assert!(shown.contains("zombie, half-released"), "the plan is listed:\n{shown}");
    run
}

#[test]
fn repair_asks_and_no_changes_nothing() {
    let (db, before) = incident();
    let mut run = asked(&db);
    run.type_keys(b"n\r");
    let (status, shown) = run.finish();
    assert_eq!(status.code(), Some(1), "{shown}");
    assert!(shown.contains("not confirmed: nothing changed"), "{shown}");
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "nothing changed");
}

#[test]
fn repair_asks_and_yes_repairs() {
    let (db, before) = incident();
    let mut run = asked(&db);
    run.type_keys(b"y\r");
    let (status, shown) = run.finish();
    assert_eq!(status.code(), Some(0), "{shown}");
    assert!(shown.contains("changed 1 row, skipped 0"), "{shown}");
    assert_ne!(table_digest(&db, REFERENCE_TABLE), before);
    assert_eq!(db.count(REFERENCE_TABLE, "is_syncing"), 0, "the zombie is released");
}

#[test]
fn ctrl_c_at_the_question_says_so_and_exits_130() {
    let (db, before) = incident();
    let mut run = asked(&db);
    run.type_keys(&[0x03]);
    let (status, shown) = run.finish();
    assert_eq!(status.code(), Some(130), "{shown}");
    assert!(shown.contains("interrupted; nothing was changed"), "{shown}");
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "nothing changed");
}

#[test]
fn end_of_input_at_the_question_is_no() {
    let (db, before) = incident();
    let mut run = asked(&db);
    // Ctrl-D on an empty line: the terminal's end of input.
    run.type_keys(&[0x04]);
    let (status, shown) = run.finish();
    assert_eq!(status.code(), Some(1), "{shown}");
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "nothing changed");
}

#[test]
fn rollback_lists_each_object_it_drops_and_asks_the_same_question() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute(PLAIN_CONSTRAINTS);
    let mut run = Terminal::spawn(&db, &["add-constraints", "--rollback"], 80);
    let shown = run.wait_for("Proceed? [y/N] ");
    assert!(shown.contains("--rollback will drop 3 objects of public.user_sync_status:"), "{shown}");
    for object in ["drop chk_sync_state_consistency", "drop uniq_user_running_sync", "drop uniq_task_id"] {
        assert!(shown.contains(object), "{object:?} is listed:\n{shown}");
    }
    run.type_keys(b"n\r");
    let (status, shown) = run.finish();
    assert_eq!(status.code(), Some(1), "{shown}");
    let kept: i64 =
        db.scalar("SELECT count(*)::int8 FROM pg_class WHERE relname IN ('uniq_user_running_sync', 'uniq_task_id')");
    assert_eq!(kept, 2, "nothing was dropped");
}

/// The question's summary wraps to the terminal, as every line for people does.
#[test]
fn the_question_wraps_to_a_narrow_terminal() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute(PLAIN_CONSTRAINTS);
    let mut run = Terminal::spawn(&db, &["add-constraints", "--rollback"], 40);
    run.wait_for("Proceed? [y/N] ");
    run.type_keys(b"n\r");
    let (status, shown) = run.finish();
    assert_eq!(status.code(), Some(1), "{shown}");
    let lines = screen_lines(&shown);
    assert!(lines.iter().any(|l| l == "  public.user_sync_status:"), "the summary wrapped:\n{shown}");
    for line in &lines {
        assert!(line.chars().count() <= 40, "{} columns: {line:?}", line.chars().count());
    }
}

/// The lines a terminal shows of `raw` output: split where the cursor goes back to the line's
/// start or down, with escape sequences (colour, cursor moves, erase) taken out.
fn screen_lines(raw: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // CSI: ESC [ parameters… final byte in @..~; other escapes are two characters.
                if chars.next_if_eq(&'[').is_some() {
                    for p in chars.by_ref() {
                        if ('@'..='~').contains(&p) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' | '\n' => lines.push(String::new()),
            c if c.is_control() => {}
            c => lines.last_mut().unwrap().push(c),
        }
    }
    lines
}

#[test]
fn starts_progress_bar_keeps_to_80_columns_and_finishes() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    let run = Terminal::spawn(
        &db,
        &["start", "--user", USER, "--heartbeat", "200ms", "--demo", "--demo-items", "300", "--demo-rate", "150"],
        80,
    );
    let (status, shown) = run.finish();
    assert_eq!(status.code(), Some(0), "{shown}");
    let lines = screen_lines(&shown);
    assert!(lines.iter().any(|l| l.contains("%") && l.contains('[')), "a bar was drawn:\n{shown}");
    assert!(lines.iter().any(|l| l.starts_with("completed sync_")), "it finished:\n{shown}");
    // Every line, the bar's and the final summary's, within 80 columns; the task id printed on
    // stdout as the bar starts gets a line of its own, not the end of the bar's.
    for line in &lines {
        assert!(line.chars().count() <= 80, "{} columns: {line:?}", line.chars().count());
    }
    assert!(lines.iter().any(|l| l.starts_with("sync_")), "the task id alone on its line:\n{shown}");
    assert_eq!(db.count(REFERENCE_TABLE, "progress_percentage = 100 AND NOT is_syncing"), 1);
}
