//! `guard install | status | remove`, the trigger it installs, and the SQL API: tested with
//! writers that behave like the application (psql processes writing the design's statement
//! shapes, naive UTC timestamps under a non-UTC session, failure releases at 1–99 %, late
//! writes after a repair or a reap) beside syncctl's own commands.

use std::process::{Command, Output, Stdio};

use crate::support::fixtures::*;
use crate::support::wait::{poll, wait_exit};
use crate::support::{TestDb, quote_ident, syncctl, table_digest, text};

/// The guard's objects on the reference table.
const FUNCTIONS: [&str; 4] =
    ["user_sync_status_guard", "user_sync_status_claim", "user_sync_status_heartbeat", "user_sync_status_release"];
const TRIGGER: &str = "user_sync_status_guard";

/// The application's session: the server's TimeZone is Asia/Shanghai, and the seed writes
/// `datetime.utcnow()`, a naive UTC time, which that session stores 8 hours in the past.
const APP_SESSION: &str = "SET TIME ZONE 'Asia/Shanghai';\n";
const NAIVE_UTC_NOW: &str = "(now() AT TIME ZONE 'UTC')::timestamp";

/// Runs `sql` in a psql process as the application would (ON_ERROR_STOP off: a refused write
/// does not stop the worker's next one), at `url`.
fn psql_at(url: &str, sql: &str) -> Output {
    Command::new("psql")
        .args(["-X", "-d", url, "-c"])
        .arg(format!("{APP_SESSION}{sql}"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs a `--print-sql` script with psql, as its header says, and checks it succeeded.
fn script(db: &TestDb, sql: &[u8]) {
    use std::io::Write;
    let mut psql = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    psql.stdin.take().unwrap().write_all(sql).unwrap();
    let done = psql.wait_with_output().unwrap();
    assert!(done.status.success(), "{}", text(&done.stderr));
}

fn app(db: &TestDb, sql: &str) -> String {
    let out = psql_at(db.url(), sql);
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

fn run(db: &TestDb, args: &[&str]) -> (i32, String, String) {
    let out = syncctl(db).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn guarded_db() -> TestDb {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    let (code, out, err) = run(&db, &["guard", "install"]);
    assert_eq!(code, 0, "{out}{err}");
    db
}

/// How many of the guard's objects exist (functions in public, the trigger on the table).
fn objects(db: &TestDb) -> (i64, i64) {
    let functions = db.scalar::<i64>(&format!(
        "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname IN ({})",
        FUNCTIONS.map(|f| format!("'{f}'")).join(", ")
    ));
    let triggers = db.scalar::<i64>(&format!(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'user_sync_status'::regclass AND tgname = '{TRIGGER}'"
    ));
    (functions, triggers)
}

/// The definitions of the guard's objects, as the server deparses them.
fn definitions(db: &TestDb) -> Vec<String> {
    db.query(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc AS p
          WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'user\\_sync\\_status\\_%'
         UNION ALL
         SELECT pg_get_triggerdef(g.oid) FROM pg_trigger AS g WHERE g.tgrelid = 'user_sync_status'::regclass
         ORDER BY 1",
        &[],
    )
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn install_is_idempotent_status_compares_definitions_and_remove_leaves_nothing() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    let (code, out, _) = run(&db, &["guard", "status"]);
    assert_eq!((code, out.lines().next()), (1, Some("guard on public.user_sync_status: missing")), "{out}");

    for _ in 0..2 {
        let (code, out, err) = run(&db, &["guard", "install"]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(objects(&db), (4, 1), "install twice leaves one trigger and four functions");
    }
    let (code, out, _) = run(&db, &["guard", "status", "--json"]);
    assert_eq!((code, crate::support::json(out.as_bytes())["state"].as_str()), (0, Some("current")), "{out}");

    // The same name with another body is not the guard.
    db.execute(
        "CREATE OR REPLACE FUNCTION public.user_sync_status_guard() RETURNS trigger LANGUAGE plpgsql
         SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$ BEGIN RETURN NEW; END $$",
    );
    let (code, out, _) = run(&db, &["guard", "status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("guard on public.user_sync_status: outdated\n"), "{out}");
    assert!(out.contains("function  user_sync_status_guard      differs from what install creates"), "{out}");
    // health and validate-constraints say so: a line, a JSON field, and health a WARNING.
    let (code, out, _) = run(&db, &["health", "--json"]);
    let health = crate::support::json(out.as_bytes());
    assert_eq!((code, health["guard"]["state"].as_str()), (1, Some("outdated")), "{out}");
    assert!(health["warnings"].to_string().contains("the guard is outdated"), "{out}");
    let (_, out, _) = run(&db, &["validate-constraints", "--json"]);
    assert_eq!(crate::support::json(out.as_bytes())["guard"]["state"], "outdated", "{out}");
    let (_, out, _) = run(&db, &["validate-constraints"]);
    assert!(out.contains("\nguard: outdated (it differs from what install creates"), "{out}");
    let (code, out, err) = run(&db, &["guard", "install"]);
    assert_eq!((code, out.lines().next()), (0, Some("guard on public.user_sync_status: current")), "{out}{err}");

    // A disabled trigger is not the guard either.
    db.execute(&format!("ALTER TABLE user_sync_status DISABLE TRIGGER {TRIGGER}"));
    let (code, out, _) = run(&db, &["guard", "status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("trigger   user_sync_status_guard      differs from what install creates"), "{out}");
    assert_eq!(run(&db, &["guard", "install"]).0, 0);
    assert_eq!(run(&db, &["guard", "status"]).0, 0);

    let (code, out, err) = run(&db, &["guard", "remove"]);
    assert_eq!((code, out.lines().next()), (0, Some("guard on public.user_sync_status: missing")), "{out}{err}");
    assert_eq!(objects(&db), (0, 0), "remove leaves no object");
    let (code, _, err) = run(&db, &["guard", "remove"]);
    assert_eq!(code, 0);
    assert!(err.contains("is not installed: nothing to do"), "{err}");
}

#[test]
fn the_print_sql_script_through_psql_creates_what_install_creates() {
    let installed = guarded_db();
    let scripted = TestDb::new();
    reference_table(&scripted, REFERENCE_TABLE);
    let out = crate::support::syncctl_bare()
        .args(["guard", "install", "--print-sql", "--table", "public.user_sync_status"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for _ in 0..2 {
        script(&scripted, &out.stdout);
    }
    assert_eq!(objects(&scripted), (4, 1));
    assert_eq!(definitions(&scripted), definitions(&installed));
    assert_eq!(run(&scripted, &["guard", "status"]).0, 0, "status calls the script's objects current");

    let out = crate::support::syncctl_bare()
        .args(["guard", "remove", "--print-sql", "--table", "public.user_sync_status"])
        .output()
        .unwrap();
    script(&scripted, &out.stdout);
    assert_eq!(objects(&scripted), (0, 0));

    let unqualified = crate::support::syncctl_bare().args(["guard", "install", "--print-sql"]).output().unwrap();
    assert_eq!(unqualified.status.code(), Some(2));
    assert!(text(&unqualified.stderr).contains("--table public.user_sync_status"), "{}", text(&unqualified.stderr));
}

/// The row of `task`: (is_syncing, progress, error_message, seconds since updated_at by the
/// database clock).
fn task_row(db: &TestDb, task: &str) -> (bool, i32, Option<String>, f64) {
    let row = db.query_one(
        "SELECT is_syncing, progress_percentage, error_message,
                extract(epoch FROM now() - updated_at)::float8
           FROM user_sync_status WHERE task_id = $1",
        &[&task],
    );
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

/// The seed's start: a new running row, every timestamp the worker's naive UTC.
fn app_start(db: &TestDb, task: &str) -> String {
    app(
        db,
        &format!(
            "INSERT INTO user_sync_status (user_id, task_id, is_syncing, sync_type, progress_percentage,
                                           current_stats, started_at, updated_at)
             VALUES (gen_random_uuid(), '{task}', true, 'full', 0, '{{}}', {NAIVE_UTC_NOW}, {NAIVE_UTC_NOW})"
        ),
    )
}

fn heartbeat_sql(task: &str) -> String {
    format!("UPDATE user_sync_status SET updated_at = {NAIVE_UTC_NOW} WHERE task_id = '{task}'")
}

/// The application's own code paths under the guard, with the CHECK installed: every
/// heartbeat is on the database clock (health and reap see no zombie), a failure release at
/// 42 % lands consistent instead of being refused, and the late writes of a worker whose task
/// was repaired or reaped change nothing and count 0 rows.
#[test]
fn the_application_s_writes_hold_under_the_guard() {
    let db = guarded_db();
    let (code, out, err) = run(&db, &["add-constraints", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");

    // Started and heartbeating with naive UTC under Asia/Shanghai: live, not a zombie.
    assert!(app_start(&db, "t-live").contains("INSERT 0 1"));
    assert!(app(&db, &heartbeat_sql("t-live")).contains("UPDATE 1"));
    assert!(task_row(&db, "t-live").3 < 60.0, "the heartbeat is on the database clock: {:?}", task_row(&db, "t-live"));
    let (code, out, _) = run(&db, &["health", "--json"]);
    let health = crate::support::json(out.as_bytes());
    assert_eq!(health["statistics"]["zombie_tasks"], 0, "{out}");
    assert_eq!((code, health["guard"]["state"].as_str()), (0, Some("current")), "{out}");
    let (_, out, _) = run(&db, &["health"]);
    assert!(out.contains("\nguard: current (heartbeats on the database clock, late writes skipped)"), "{out}");
    let (code, out, err) = run(&db, &["reap"]);
    assert_eq!((code, out.as_str()), (0, ""), "reap releases no live task: {err}");
    assert!(task_row(&db, "t-live").0);

    // The failure path releases at 42 %: consistent (progress 0, the error kept), not refused.
    let release = app(
        &db,
        &format!(
            "UPDATE user_sync_status SET progress_percentage = 42, updated_at = {NAIVE_UTC_NOW} WHERE task_id = 't-live';
             UPDATE user_sync_status SET is_syncing = false, error_message = 'IMAP timeout',
                    updated_at = {NAIVE_UTC_NOW} WHERE task_id = 't-live'"
        ),
    );
    assert!(!release.contains("ERROR"), "{release}");
    let (syncing, progress, error, _) = task_row(&db, "t-live");
    assert_eq!((syncing, progress, error.as_deref()), (false, 0, Some("IMAP timeout")));

    // Released by `repair --task` while its worker goes on: its late writes are skipped.
    app_start(&db, "t-repaired");
    let (code, out, err) = run(&db, &["repair", "--task", "t-repaired", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    // Reaped after its worker died (made silent with the documented bypass), then it wakes up.
    app_start(&db, "t-reaped");
    db.execute(
        "BEGIN; SET LOCAL syncctl.guard = 'off';
         UPDATE user_sync_status SET updated_at = now() - interval '10 minutes' WHERE task_id = 't-reaped'; COMMIT",
    );
    let (code, out, err) = run(&db, &["reap"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("released t-reaped"), "{out}");

    let before = table_digest(&db, REFERENCE_TABLE);
    for task in ["t-repaired", "t-reaped"] {
        for late in [
            heartbeat_sql(task),
            format!(
                "UPDATE user_sync_status SET progress_percentage = 60, current_stats = '{{\"new\": 7}}', updated_at = {NAIVE_UTC_NOW} WHERE task_id = '{task}'"
            ),
            format!(
                "UPDATE user_sync_status SET is_syncing = false, progress_percentage = 100, updated_at = {NAIVE_UTC_NOW} WHERE task_id = '{task}'"
            ),
            format!(
                "UPDATE user_sync_status SET is_syncing = true, updated_at = {NAIVE_UTC_NOW} WHERE task_id = '{task}'"
            ),
        ] {
            let said = app(&db, &late);
            assert!(said.contains("UPDATE 0"), "a late write counts 0 rows: {said}");
            assert!(said.contains(&format!("WARNING:  syncctl guard: write to task {task} skipped")), "{said}");
        }
    }
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "no fenced write changed a row");
    let (code, out, _) = run(&db, &["validate-constraints"]);
    assert_eq!(code, 0, "every release landed consistent: {out}");
}

/// The API as the application calls it: two claims of one user at once (two processes, both
/// queued on the claim lock before either runs) make one task; heartbeat says when the lease
/// is lost; release lands consistent.
#[test]
fn the_sql_api_claims_once_beats_until_the_lease_is_lost_and_releases_consistently() {
    let db = guarded_db();
    let user = "0b5e3d1c-3a52-4c6e-9f7e-2f1a5d9c4b21";
    // Hold the user's claim lock (start/lock_user.sql's key) so both claims queue behind it.
    let mut holder = db.client();
    let mut tx = holder.transaction().unwrap();
    tx.execute(
        "SELECT pg_advisory_xact_lock(('user_sync_status'::regclass::oid::int8
                 - CASE WHEN 'user_sync_status'::regclass::oid::int8 > 2147483647 THEN 4294967296 ELSE 0 END)::int4,
                 uuid_hash($1::text::uuid))",
        &[&user],
    )
    .unwrap();
    let claim = format!("SELECT outcome || ' ' || task_id FROM user_sync_status_claim('{user}')");
    let mut claims: Vec<_> = (0..2)
        .map(|_| {
            Command::new("psql")
                .args(["-X", "-A", "-t", "-d", db.url(), "-c", &claim])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    poll("both claims waiting for the user's lock", || {
        (db.scalar::<i64>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 2)
            .then_some(())
    });
    tx.commit().unwrap();
    let mut outcomes: Vec<String> = claims
        .iter_mut()
        .map(|c| {
            assert!(wait_exit(c).success());
            let mut out = String::new();
            std::io::Read::read_to_string(c.stdout.as_mut().unwrap(), &mut out).unwrap();
            out.trim().to_string()
        })
        .collect();
    outcomes.sort();
    let task = outcomes[0].strip_prefix("claimed ").unwrap_or_else(|| panic!("{outcomes:?}")).to_string();
    assert_eq!(outcomes[1], format!("reused {task}"), "{outcomes:?}");
    assert!(task.starts_with(&format!("sync_{user}_")), "the seed's task-id shape: {task}");
    assert_eq!(db.count(REFERENCE_TABLE, "is_syncing"), 1);

    let beat = format!("SELECT user_sync_status_heartbeat('{task}', 40, '{{\"new\": 3}}')");
    assert_eq!(app(&db, &beat).lines().nth(3).map(str::trim), Some("t"), "{}", app(&db, &beat));
    let (code, _, err) = run(&db, &["repair", "--task", &task, "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(app(&db, &beat).contains("\n f\n"), "the lease is lost after repair");

    // A takeover of a dead task leaves the note start writes; release is consistent.
    let claimed = app(&db, &format!("SELECT outcome, task_id FROM user_sync_status_claim('{user}')"));
    assert!(claimed.contains(" claimed "), "{claimed}");
    let second: String = db.scalar("SELECT task_id FROM user_sync_status WHERE is_syncing");
    db.execute(
        "BEGIN; SET LOCAL syncctl.guard = 'off';
         UPDATE user_sync_status SET updated_at = now() - interval '73 seconds' WHERE is_syncing; COMMIT",
    );
    let taken = app(&db, &format!("SELECT outcome FROM user_sync_status_claim('{user}')"));
    assert!(taken.contains("taken_over"), "{taken}");
    let (syncing, progress, note, _) = task_row(&db, &second);
    assert_eq!((syncing, progress), (false, 0));
    let note = note.unwrap();
    assert!(note.starts_with("released by syncctl guard: no heartbeat for 1m 1") && note.ends_with('Z'), "{note}");
    let third: String = db.scalar("SELECT task_id FROM user_sync_status WHERE is_syncing");
    app(&db, &format!("SELECT user_sync_status_heartbeat('{third}', 55)"));
    let released = app(&db, &format!("SELECT user_sync_status_release('{third}', 'failed', 'quota exceeded')"));
    assert!(released.contains("\n t\n"), "{released}");
    let (syncing, progress, error, _) = task_row(&db, &third);
    assert_eq!((syncing, progress, error.as_deref()), (false, 0, Some("quota exceeded")));
    let again = app(&db, &format!("SELECT user_sync_status_release('{third}', 'completed')"));
    assert!(again.contains("\n f\n"), "{again}");
}

/// The API works for a role with only SELECT, INSERT and UPDATE on the table (and the key's
/// sequence): SECURITY INVOKER needs nothing more.
#[test]
fn the_sql_api_works_for_a_role_with_only_the_table_s_privileges() {
    let db = guarded_db();
    let role = db.create_role("");
    let q = quote_ident(&role);
    db.execute(&format!(
        "GRANT SELECT, INSERT, UPDATE ON user_sync_status TO {q};
         GRANT USAGE ON SEQUENCE user_sync_status_id_seq TO {q}"
    ));
    let url = db.role_url(&role);
    let user = "7d1e0c0a-1f0e-4b8e-8a4f-5c2b9e3d6a10";
    let claimed = psql_at(&url, &format!("SELECT outcome FROM user_sync_status_claim('{user}', true)"));
    assert!(text(&claimed.stdout).contains("claimed"), "{}", text(&claimed.stderr));
    let task: String = db.scalar("SELECT task_id FROM user_sync_status WHERE is_syncing");
    let beat = psql_at(&url, &format!("SELECT user_sync_status_heartbeat('{task}', 10, '{{}}')"));
    assert!(text(&beat.stdout).contains("\n t\n"), "{}", text(&beat.stderr));
    let done = psql_at(&url, &format!("SELECT user_sync_status_release('{task}', 'completed')"));
    assert!(text(&done.stdout).contains("\n t\n"), "{}", text(&done.stderr));
    assert_eq!(task_row(&db, &task).1, 100);
    assert_eq!(db.scalar::<String>("SELECT sync_type FROM user_sync_status"), "full");
}

/// The guard on a partitioned table: installed on the parent, it holds on every partition.
#[test]
fn the_guard_holds_on_a_partitioned_table() {
    let db = TestDb::new();
    db.execute(
        "CREATE TABLE user_sync_status (id bigserial, user_id uuid NOT NULL, task_id text,
           is_syncing boolean NOT NULL DEFAULT false, sync_type text, progress_percentage integer NOT NULL DEFAULT 0,
           current_stats jsonb NOT NULL DEFAULT '{}', error_message text, started_at timestamptz,
           updated_at timestamptz NOT NULL DEFAULT now()) PARTITION BY HASH (user_id);
         CREATE TABLE user_sync_status_p0 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 0);
         CREATE TABLE user_sync_status_p1 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 1);",
    );
    let (code, out, err) = run(&db, &["guard", "install"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(run(&db, &["guard", "status"]).0, 0);
    for user in ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"] {
        let claimed = app(&db, &format!("SELECT outcome FROM user_sync_status_claim('{user}')"));
        assert!(claimed.contains("claimed"), "{claimed}");
        let task: String = db.scalar(&format!("SELECT task_id FROM user_sync_status WHERE user_id = '{user}'"));
        assert!(app(&db, &heartbeat_sql(&task)).contains("UPDATE 1"));
        assert!(task_row(&db, &task).3 < 60.0, "the heartbeat is on the database clock");
        let release = app(
            &db,
            &format!(
                "UPDATE user_sync_status SET is_syncing = false, progress_percentage = 42 WHERE task_id = '{task}'"
            ),
        );
        assert!(release.contains("UPDATE 1"), "{release}");
        assert_eq!(task_row(&db, &task).1, 0, "the release landed consistent");
        assert!(app(&db, &heartbeat_sql(&task)).contains("UPDATE 0"), "a late heartbeat is skipped");
    }
    assert_eq!(db.count("user_sync_status_p0", "true") + db.count("user_sync_status_p1", "true"), 2);
    // A partition whose clone of the trigger is disabled is not guarded: outdated, until install.
    db.execute(&format!("ALTER TABLE user_sync_status_p1 DISABLE TRIGGER {TRIGGER}"));
    let (code, out, _) = run(&db, &["guard", "status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("trigger   user_sync_status_guard      differs from what install creates"), "{out}");
    assert_eq!(run(&db, &["guard", "install"]).0, 0);
    assert_eq!(run(&db, &["guard", "status"]).0, 0);
    assert_eq!(run(&db, &["guard", "remove"]).0, 0);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'user_sync_status%'"), 0);
}

/// syncctl's own writers keep working under the guard: `repair --all` fixes every kind of
/// problem row of the incident and the mixed fixtures (releases of running rows, stopped rows
/// that violate the CHECK, renamed duplicate task ids) exactly as without it, and
/// `add-constraints --repair` then installs all three constraints.
#[test]
fn repair_and_add_constraints_work_under_the_guard() {
    let repaired = |guarded: bool| {
        let db = TestDb::new();
        reference_table(&db, REFERENCE_TABLE);
        incident(&db, REFERENCE_TABLE);
        mixed(&db, REFERENCE_TABLE, true);
        if guarded {
            assert_eq!(run(&db, &["guard", "install"]).0, 0);
        }
        let (code, out, err) = run(&db, &["repair", "--all", "--yes", "--json"]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) = run(&db, &["add-constraints", "--repair", "--yes"]);
        assert_eq!(code, 0, "{out}{err}");
        // The rows as repair left them, but for the times (the guard stamps releases with now()).
        db.query(
            "SELECT concat_ws('|', id, task_id, is_syncing, progress_percentage, current_stats, error_message)
               FROM user_sync_status ORDER BY id",
            &[],
        )
        .iter()
        .map(|r| r.get::<_, String>(0))
        .map(|row| without_times(&row))
        .collect::<Vec<String>>()
    };
    assert_eq!(repaired(true), repaired(false));
}

/// `text` with each RFC 3339 UTC time to the second (`2026-12-02T11:12:30Z`) replaced by `<time>`.
fn without_times(text: &str) -> String {
    let shape = |w: &[u8]| {
        w.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
    };
    let bytes = text.as_bytes();
    let (mut out, mut i) = (String::new(), 0);
    while i < bytes.len() {
        if i + 20 <= bytes.len() && shape(&bytes[i..i + 20]) {
            out.push_str("<time>");
            i += 20;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `syncctl start` claims, beats and completes under the guard as without it.
#[test]
fn start_runs_a_sync_to_its_end_under_the_guard() {
    let db = guarded_db();
    let user = "5a0c9c5e-2b7e-4f55-9a53-0c6f3b1d2e44";
    let (code, out, err) = run(&db, &["start", "--user", user, "--demo", "--demo-items", "5", "--demo-rate", "50"]);
    assert_eq!(code, 0, "{out}{err}");
    let row = db.query_one(
        "SELECT is_syncing, progress_percentage FROM user_sync_status WHERE user_id = $1::text::uuid",
        &[&user],
    );
    assert_eq!((row.get::<_, bool>(0), row.get::<_, i32>(1)), (false, 100));
}

/// `--dry-run` prints the statements and changes nothing; a table another session keeps
/// locked makes install give up after its retries with exit 5 and nothing changed (functions
/// included: one transaction), and succeed once the lock is gone.
#[test]
fn dry_run_changes_nothing_and_a_held_lock_is_exit_5_with_nothing_changed() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    let (code, out, _) = run(&db, &["guard", "install", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains("CREATE OR REPLACE FUNCTION \"public\".\"user_sync_status_claim\"("), "{out}");
    assert!(out.contains("CREATE TRIGGER \"user_sync_status_guard\""), "{out}");
    assert_eq!(objects(&db), (0, 0));

    let mut holder = db.client();
    let mut tx = holder.transaction().unwrap();
    tx.batch_execute("LOCK TABLE user_sync_status IN ROW EXCLUSIVE MODE").unwrap();
    let (code, _, err) =
        run(&db, &["guard", "install", "--lock-timeout", "100ms", "--retries", "2", "--retry-delay", "100ms"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("lock not available within --lock-timeout (attempt 1/2)"), "{err}");
    assert!(err.contains("lock not obtained within --lock-timeout after 2 attempts"), "{err}");
    assert_eq!(objects(&db), (0, 0), "nothing changed");
    tx.commit().unwrap();
    assert_eq!(run(&db, &["guard", "install", "--lock-timeout", "100ms"]).0, 0);
    assert_eq!(objects(&db), (4, 1));
}

/// One application worker's life as a psql script: it starts its task with the seed's
/// statements, writes progress and heartbeats with naive UTC times, and ends in failure at
/// `fail_at` % (the failure path that leaves the progress as it was) or completes, followed by
/// its `finally` release.
fn worker_script(task: &str, beats: u32, fail_at: Option<u32>) -> String {
    let mut sql = format!(
        "{APP_SESSION}INSERT INTO user_sync_status (user_id, task_id, is_syncing, sync_type, progress_percentage,
             current_stats, started_at, updated_at)
         VALUES (gen_random_uuid(), '{task}', true, 'full', 0, '{{}}', {NAIVE_UTC_NOW}, {NAIVE_UTC_NOW});\n"
    );
    for i in 0..beats {
        let progress = (i * 99 / beats).min(fail_at.unwrap_or(99));
        sql.push_str(&format!(
            "UPDATE user_sync_status SET progress_percentage = {progress}, current_stats = '{{\"new\": {i}}}',
                 updated_at = {NAIVE_UTC_NOW} WHERE task_id = '{task}';\n{};\n",
            heartbeat_sql(task)
        ));
    }
    match fail_at {
        Some(_) => sql.push_str(&format!(
            "UPDATE user_sync_status SET is_syncing = false, error_message = 'IMAP connection reset',
                 updated_at = {NAIVE_UTC_NOW} WHERE task_id = '{task}';\n"
        )),
        None => sql.push_str(&format!(
            "UPDATE user_sync_status SET is_syncing = false, progress_percentage = 100 WHERE task_id = '{task}';
             UPDATE user_sync_status SET is_syncing = false, updated_at = {NAIVE_UTC_NOW} WHERE task_id = '{task}';\n"
        )),
    }
    sql
}

/// Four application workers at once (separate psql processes, the CHECK installed), beside
/// `reap` and `health` run again and again: no live task is reported or reaped as a zombie,
/// the CHECK refuses none of their writes, and every release lands consistent.
#[test]
fn application_workers_beside_reap_and_health_under_the_guard() {
    let db = guarded_db();
    let (code, out, err) = run(&db, &["add-constraints", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let mut workers: Vec<_> = [Some(37), None, Some(81), None]
        .into_iter()
        .enumerate()
        .map(|(k, fail_at)| {
            let path = std::env::temp_dir().join(format!("syncctl-guard-{}-{k}.sql", db.name()));
            std::fs::write(&path, worker_script(&format!("w{k}"), 400, fail_at)).unwrap();
            let child = Command::new("psql")
                .args(["-X", "-q", "-d", db.url(), "-f"])
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (child, path)
        })
        .collect();
    poll("the workers' tasks running", || (db.count(REFERENCE_TABLE, "is_syncing") > 0).then_some(()));
    let mut rounds = 0;
    loop {
        let (code, out, err) = run(&db, &["reap"]);
        assert_eq!((code, out.as_str()), (0, ""), "reap released a live task: {err}");
        let (_, out, _) = run(&db, &["health", "--json"]);
        assert_eq!(crate::support::json(out.as_bytes())["statistics"]["zombie_tasks"], 0, "{out}");
        rounds += 1;
        if workers.iter_mut().all(|(c, _)| c.try_wait().unwrap().is_some()) {
            break;
        }
    }
    for (mut child, path) in workers {
        assert!(wait_exit(&mut child).success());
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(!err.contains("ERROR"), "the CHECK refused a write: {err}");
        let _ = std::fs::remove_file(path);
    }
    assert!(rounds >= 1);
    for (task, progress, error) in [
        ("w0", 0, Some("IMAP connection reset")),
        ("w1", 100, None),
        ("w2", 0, Some("IMAP connection reset")),
        ("w3", 100, None),
    ] {
        let (syncing, p, e, _) = task_row(&db, task);
        assert_eq!((syncing, p, e.as_deref()), (false, progress, error), "{task}");
    }
    let (code, out, _) = run(&db, &["validate-constraints"]);
    assert_eq!(code, 0, "{out}");
}

/// A quoted schema, user_id as the primary key (one row per user: claim writes over the
/// user's row) and `timestamp without time zone` columns read as UTC: the guard stamps them in
/// UTC whatever the writer's session zone.
#[test]
fn the_guard_on_the_variant_table_stamps_naive_timestamps_in_the_zone_syncctl_reads() {
    let db = TestDb::new();
    let table = variant_table(&db);
    let (code, out, err) = run(&db, &["--table", table, "guard", "install"]);
    assert_eq!(code, 0, "{out}{err}");
    let user = "3c9f8a7e-0d6b-4a1e-b2c4-9e8f7a6b5c4d";
    let claim = format!("SELECT outcome FROM \"Sync Ops\".user_sync_status_claim('{user}')");
    assert!(app(&db, &claim).contains("claimed"));
    assert!(app(&db, &claim).contains("reused"));
    let beat = app(
        &db,
        &format!("UPDATE \"Sync Ops\".user_sync_status SET updated_at = now()::timestamp WHERE user_id = '{user}'"),
    );
    assert!(beat.contains("UPDATE 1"), "{beat}");
    let silent: f64 = db.scalar(&format!(
        "SELECT extract(epoch FROM (now() AT TIME ZONE 'UTC') - updated_at)::float8
           FROM \"Sync Ops\".user_sync_status WHERE user_id = '{user}'"
    ));
    assert!(silent.abs() < 60.0, "a Shanghai local time became the database's UTC clock: {silent}");
    let (_, out, _) = run(&db, &["--table", table, "health", "--json"]);
    assert_eq!(crate::support::json(out.as_bytes())["statistics"]["zombie_tasks"], 0, "{out}");
    assert_eq!(db.count(table, &format!("user_id = '{user}'")), 1, "one row per user");
}
