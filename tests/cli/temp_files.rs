//! The statements over the row classifier (`sql/state/classify.sql`) write no temporary files:
//! the classifier calls no volatile function, so a statement selecting from it through a CTE is
//! inlined instead of materializing every classified row into a tuplestore, which spills to
//! disk beyond work_mem. Checked the way a DBA would see it: pg_stat_database's temp_files of a
//! database whose work_mem is 64kB, after each read command that classifies rows.

use crate::support::constraints::PLAIN_CONSTRAINTS;
use crate::support::fixtures::{REFERENCE_TABLE, clean, reference_table};
use crate::support::{TestDb, admin_client, json, syncctl};

/// pg_stat_database's temp_files and temp_bytes of `db`, read in a new connection (so no
/// statistics snapshot of an earlier transaction is reused).
fn temp_files(db: &TestDb) -> (i64, i64) {
    let row = admin_client()
        .query_one("SELECT temp_files, temp_bytes FROM pg_catalog.pg_stat_database WHERE datname = $1", &[&db.name()])
        .unwrap();
    (row.get(0), row.get(1))
}

/// Waits until no session of `db` is left: a backend's statistics are flushed as it exits
/// (PostgreSQL 15 and later), or sent to the collector then (13, 14).
fn sessions_gone(db: &TestDb) {
    crate::support::wait::wait_for("the database's sessions to end", || {
        let n: i64 = admin_client()
            .query_one("SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = $1", &[&db.name()])
            .unwrap()
            .get(0);
        n == 0
    });
}

/// A sort that spills under the database's work_mem, in a session of its own: the marker whose
/// temporary files show that everything before it has reached pg_stat_database (statistics
/// arrive asynchronously, in the order the sessions ended).
fn spill_marker(db: &TestDb) {
    db.execute(
        "SET max_parallel_workers_per_gather = 0;
         SELECT count(*) FROM (SELECT g FROM generate_series(1, 20000) AS g ORDER BY g DESC OFFSET 0) AS s",
    );
    sessions_gone(db);
}

/// Runs the marker and returns pg_stat_database's temp_files and temp_bytes once its own
/// files have arrived (more than `before`).
fn after_marker(db: &TestDb, before: (i64, i64)) -> (i64, i64) {
    spill_marker(db);
    crate::support::wait::poll("the marker's temporary files in pg_stat_database", || {
        let now = temp_files(db);
        (now.0 > before.0).then_some(now)
    })
}

#[test]
fn commands_over_the_classifier_write_no_temporary_files() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    // A few thousand rows (far more than 64kB of classified rows), some of them zombies, so
    // health shows details and reap finds rows; with the three constraint objects, so that
    // validate-constraints needs no duplicate search and runs only statements over the
    // classifier.
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, error_message,
                                       started_at, updated_at)
         SELECT gen_random_uuid(), 'bulk-' || i, i % 1000 = 0, CASE WHEN i % 1000 = 0 THEN 10 ELSE 100 END,
                repeat('x', 100), now() - interval '2 days', now() - interval '1 day'
         FROM generate_series(1, 4000) AS i",
    );
    db.execute(PLAIN_CONSTRAINTS);
    db.execute(&format!("ALTER DATABASE {} SET work_mem = '64kB'", crate::support::quote_ident(db.name())));
    db.execute("VACUUM ANALYZE user_sync_status");
    sessions_gone(&db);

    // What one marker writes, measured alone.
    let start = temp_files(&db);
    let marked = after_marker(&db, start);
    let marker = (marked.0 - start.0, marked.1 - start.1);

    // (repair --dry-run is left out: its plan joins the table to the selected rows by key, a
    // hash join that spills at this work_mem whatever the classifier does.)
    let commands: [&[&str]; 5] = [
        &["health", "--json"],
        &["inspect", "--json"],
        &["inspect", "--state", "zombie", "--json"],
        &["validate-constraints", "--json"],
        &["reap", "--dry-run", "--json"],
    ];
    let mut spilled = Vec::new();
    for args in commands {
        let before = temp_files(&db);
        let out = syncctl(&db).args(args).output().unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        json(&out.stdout);
        sessions_gone(&db);
        let after = after_marker(&db, before);
        let written = (after.0 - before.0 - marker.0, after.1 - before.1 - marker.1);
        if written != (0, 0) {
            spilled.push(format!("{}: {} temporary files, {} bytes", args.join(" "), written.0, written.1));
        }
    }
    assert!(spilled.is_empty(), "with work_mem 64kB, statements over the classifier spilled:\n{}", spilled.join("\n"));
}
