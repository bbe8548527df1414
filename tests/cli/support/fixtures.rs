//! Tables and rows for the tests: the reference table, a real-world variant of it, and the
//! data sets (the incident, a realistic mixed table, a clean table) as plain SQL files in
//! `tests/fixtures/`, with `{table}` standing for the quoted, possibly schema-qualified table.
//!
//! The counts below are the rows each rule of DESIGN.md ("Row states") matches right after
//! loading, with the default heartbeat timeout of 60 s. A row can match several rules.

use super::TestDb;

/// The reference table's name.
pub(crate) const REFERENCE_TABLE: &str = "user_sync_status";

/// The variant table's name, as written on the command line.
pub(crate) const VARIANT_TABLE: &str = "\"Sync Ops\".user_sync_status";

const SCHEMA_SQL: &str = include_str!("../../../sql/schema.sql");
const VARIANT_SQL: &str = include_str!("../../fixtures/variant_table.sql");
const INCIDENT_SQL: &str = include_str!("../../../sql/fixtures/incident.sql");
const MIXED_SQL: &str = include_str!("../../fixtures/mixed.sql");
const MIXED_DUPLICATE_USER_SQL: &str = include_str!("../../fixtures/mixed_duplicate_user.sql");
const CLEAN_SQL: &str = include_str!("../../fixtures/clean.sql");

// ---- the incident (incident.sql) ----

/// The incident's task id.
pub(crate) const INCIDENT_TASK: &str = "sync_60f2ccbd-d754-4fa0-aa4d-35a7d6551d38_1753133270";
/// The incident's user id.
pub(crate) const INCIDENT_USER: &str = "60f2ccbd-d754-4fa0-aa4d-35a7d6551d38";
/// The error message the administrator left on the incident's row.
pub(crate) const INCIDENT_ERROR: &str = "任务被管理员手动清理（修复后）";
/// The incident's `started_at`, as Unix seconds (2025-07-21 21:27:50 UTC).
pub(crate) const INCIDENT_STARTED_AT_UNIX: i64 = 1_753_133_270;
/// The incident's `updated_at` in UTC (`2025-07-22 13:27:50.842634+08:00`), as a naive
/// timestamp holds it.
pub(crate) const INCIDENT_UPDATED_AT_UTC: &str = "2025-07-22 05:27:50.842634";
/// Rows of incident.sql: the incident (a zombie and half-released) plus 3 completed and 2 idle.
pub(crate) const INCIDENT_ROWS: i64 = 6;
/// Completed rows of incident.sql.
pub(crate) const INCIDENT_COMPLETED: i64 = 3;
/// Idle rows of incident.sql.
pub(crate) const INCIDENT_IDLE: i64 = 2;

// ---- the mixed table (mixed.sql, mixed_duplicate_user.sql) ----

/// Zombies: syncing, progress 0/10/25/40, heartbeat 10 minutes old.
pub(crate) const MIXED_ZOMBIE_TASKS: [&str; 4] =
    ["mixed-zombie-1", "mixed-zombie-2", "mixed-zombie-3", "mixed-zombie-4"];
/// Syncing, progress 0, error set, heartbeat 3 hours 7 minutes old: a zombie and half-released.
pub(crate) const MIXED_HALF_RELEASED_TASK: &str = "mixed-half-released";
/// Syncing at progress 100 with a fresh heartbeat: inconsistent (violates the CHECK).
pub(crate) const MIXED_RUNNING_100_TASK: &str = "mixed-running-100";
/// Not syncing at progress 45: inconsistent (violates the CHECK).
pub(crate) const MIXED_STOPPED_45_TASK: &str = "mixed-stopped-45";
/// `is_syncing` and `progress_percentage` both NULL: inconsistent (a CHECK would let it pass).
pub(crate) const MIXED_NULL_STATE_TASK: &str = "mixed-null-state";
/// Two rows with this task id: completed, different users.
pub(crate) const MIXED_REPEATED_TASK: &str = "mixed-repeated-task";
/// Syncing, progress 10, `updated_at = now() + 8 hours`: skewed (and matches the running rule).
pub(crate) const MIXED_SKEWED_TASK: &str = "mixed-skewed";
/// The newer of the duplicate-user pair: syncing, progress 20, heartbeat 2 s old.
pub(crate) const MIXED_DUP_USER_A_TASK: &str = "mixed-dup-user-a";
/// The older of the duplicate-user pair: syncing, progress 35, heartbeat 12 s old.
pub(crate) const MIXED_DUP_USER_B_TASK: &str = "mixed-dup-user-b";
/// The user id of the duplicate-user pair (`md5('user1009')::uuid`).
pub(crate) const MIXED_DUP_USER: &str = "33d680ee-8093-2553-148b-7ac0267e555e";

/// Rows of the mixed table without the duplicate-user pair (530 ordinary + 11 special).
pub(crate) const MIXED_ROWS: i64 = 541;
/// Rows the duplicate-user pair adds (`with_duplicate_user`): both match the running rule.
pub(crate) const MIXED_DUPLICATE_USER_ROWS: i64 = 2;
/// Completed rows: 300 ordinary + the 2 repeated-task rows.
pub(crate) const MIXED_COMPLETED: i64 = 302;
/// Completed rows updated within the last hour (`recent_completed_syncs`).
pub(crate) const MIXED_RECENT_COMPLETED: i64 = 4;
/// Idle rows (100 of them without a task id).
pub(crate) const MIXED_IDLE: i64 = 200;
/// Failed rows.
pub(crate) const MIXED_FAILED: i64 = 20;
/// Ordinary running rows (heartbeat 5 s old, progress 5..86; three started an hour ago).
pub(crate) const MIXED_RUNNING_ORDINARY: i64 = 10;
/// Rows matching the running rule without the pair: the 10 ordinary ones and the skewed one.
pub(crate) const MIXED_RUNNING: i64 = 11;
/// Zombie rows: the 4 zombies and the half-released one.
pub(crate) const MIXED_ZOMBIES: i64 = 5;
/// Half-released rows.
pub(crate) const MIXED_HALF_RELEASED: i64 = 1;
/// Rows violating the Priority-1 CHECK predicate (running-100, stopped-45).
pub(crate) const MIXED_CHECK_VIOLATIONS: i64 = 2;
/// Rows with a NULL `is_syncing` or `progress_percentage` (null-state).
pub(crate) const MIXED_NULL_STATES: i64 = 1;
/// Inconsistent rows: the CHECK violations and the NULL state.
pub(crate) const MIXED_INCONSISTENT: i64 = 3;
/// Rows sharing a task id (the repeated-task pair; one repeated task id).
pub(crate) const MIXED_REPEATED_TASK_ROWS: i64 = 2;
/// Skewed rows.
pub(crate) const MIXED_SKEWED: i64 = 1;
/// Rows with `is_syncing = TRUE` without the pair (`active_syncs`): 10 running, 4 zombies,
/// half-released, running-100, skewed.
pub(crate) const MIXED_ACTIVE_SYNCS: i64 = 17;
/// Rows in at least one problem state (zombie, half-released, inconsistent, skewed,
/// repeated task id) without the pair: 5 + 3 + 1 + 2.
pub(crate) const MIXED_PROBLEM_ROWS: i64 = 11;

// ---- the clean table (clean.sql) ----

/// Rows of the clean table.
pub(crate) const CLEAN_ROWS: i64 = 325;
/// Completed rows of the clean table.
pub(crate) const CLEAN_COMPLETED: i64 = 200;
/// Completed rows of the clean table updated within the last hour.
pub(crate) const CLEAN_RECENT_COMPLETED: i64 = 3;
/// Idle rows of the clean table.
pub(crate) const CLEAN_IDLE: i64 = 100;
/// Failed rows of the clean table.
pub(crate) const CLEAN_FAILED: i64 = 20;
/// Running rows of the clean table (heartbeat 5 s old); also its `active_syncs`.
pub(crate) const CLEAN_RUNNING: i64 = 5;

/// Runs a fixture file for `table` in a UTC session, so timestamptz values land in naive
/// `timestamp` columns as UTC.
fn load(db: &TestDb, sql: &str, table: &str) {
    db.execute(&format!("SET TIME ZONE 'UTC';\n{}", sql.replace("{table}", table)));
}

/// Creates the reference table from `sql/schema.sql` under the name `table` (written as in
/// SQL, e.g. `user_sync_status` or `ops.user_sync_status`; its schema must exist).
pub(crate) fn reference_table(db: &TestDb, table: &str) {
    const CREATE: &str = "CREATE TABLE user_sync_status";
    assert!(SCHEMA_SQL.contains(CREATE), "sql/schema.sql no longer says `{CREATE}`: update the harness");
    db.execute(&SCHEMA_SQL.replace(CREATE, &format!("CREATE TABLE {table}")));
}

/// Creates the variant table `"Sync Ops".user_sync_status`: no `id` (`user_id` is the primary
/// key), nullable `is_syncing` and `progress_percentage`, and `timestamp without time zone`
/// `started_at` and `updated_at` holding naive UTC. Returns its name as written on the command
/// line ([`VARIANT_TABLE`]).
pub(crate) fn variant_table(db: &TestDb) -> &'static str {
    db.execute(VARIANT_SQL);
    VARIANT_TABLE
}

/// Loads the incident's row and five healthy neighbours into `table`.
pub(crate) fn incident(db: &TestDb, table: &str) {
    load(db, INCIDENT_SQL, table);
}

/// The SQL that loads the incident into `user_sync_status`, for a server without a [`TestDb`].
pub(crate) fn incident_sql() -> String {
    format!("SET TIME ZONE 'UTC';\n{}", INCIDENT_SQL.replace("{table}", REFERENCE_TABLE))
}

/// A fresh database with the reference table and the incident in it: something repair and
/// reap would change.
pub(crate) fn incident_db() -> TestDb {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    db
}

/// Loads the mixed table into `table` (dropping NOT NULL on `is_syncing` and
/// `progress_percentage` first). `with_duplicate_user` adds the duplicate-user pair, which a
/// table keyed by `user_id` (the variant) cannot hold.
pub(crate) fn mixed(db: &TestDb, table: &str, with_duplicate_user: bool) {
    load(db, MIXED_SQL, table);
    if with_duplicate_user {
        load(db, MIXED_DUPLICATE_USER_SQL, table);
    }
}

/// Loads the clean table into `table`: consistent rows only.
pub(crate) fn clean(db: &TestDb, table: &str) {
    load(db, CLEAN_SQL, table);
}
