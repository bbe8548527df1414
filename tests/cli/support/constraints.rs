//! The brief's three Priority-1 objects: their names, the plain SQL that creates them on the
//! reference table, how the catalog shows them on a table, and whether
//! `validate-constraints --require-installed` finds them installed.

use super::{TestDb, syncctl, text};

/// The CHECK constraint's name.
pub(crate) const CHECK: &str = "chk_sync_state_consistency";
/// The partial unique index on `user_id` of running rows.
pub(crate) const RUNNING: &str = "uniq_user_running_sync";
/// The unique index on `task_id`.
pub(crate) const TASK: &str = "uniq_task_id";

/// The three Priority-1 objects, exactly as the brief writes them.
pub(crate) const PLAIN_CONSTRAINTS: &str = "
    ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (
        (is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99)
     OR (is_syncing = FALSE AND progress_percentage IN (0, 100)));
    CREATE UNIQUE INDEX uniq_user_running_sync ON user_sync_status(user_id) WHERE is_syncing = TRUE;
    CREATE UNIQUE INDEX uniq_task_id ON user_sync_status(task_id);";

/// The three objects on `table` as the catalog shows them: (name, definition, valid), sorted.
/// Equal end states have equal lists.
pub(crate) fn end_state(db: &TestDb, table: &str) -> Vec<(String, String, bool)> {
    let rows = db.query(
        "SELECT conname::text, pg_get_constraintdef(oid), convalidated
           FROM pg_constraint WHERE conrelid = $1::text::regclass AND contype = 'c'
         UNION ALL
         SELECT c.relname::text, pg_get_indexdef(i.indexrelid), i.indisvalid AND i.indisready
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = $1::text::regclass AND NOT i.indisprimary
         ORDER BY 1",
        &[&table],
    );
    rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
}

/// The names of the three objects that exist and are valid on `table`.
pub(crate) fn valid_objects(db: &TestDb, table: &str) -> Vec<String> {
    end_state(db, table).into_iter().filter(|(_, _, valid)| *valid).map(|(name, _, _)| name).collect()
}

/// The three names, sorted as [`valid_objects`] lists them: what it returns once all three are
/// installed and valid.
pub(crate) fn all_three() -> Vec<String> {
    let mut names = vec![CHECK.to_string(), TASK.to_string(), RUNNING.to_string()];
    names.sort();
    names
}

/// Runs `validate-constraints --require-installed` on `table` and asserts its exit code (0:
/// installed and valid, 1: not).
pub(crate) fn require_installed(db: &TestDb, table: &str, code: i32) {
    let out = syncctl(db).args(["--table", table, "validate-constraints", "--require-installed"]).output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stdout));
}
