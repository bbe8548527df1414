#!/usr/bin/env python3
"""syncctl beside the best hand-written SQL for the same answer and the physical floor (issues 7
and 17; BENCHMARKS.md).

Starts a throwaway PostgreSQL cluster (initdb defaults but spaced-out checkpoints, its own port
and socket directory; as root every PostgreSQL program runs as the `postgres` OS user), loads a
`user_sync_status` of N rows (one row per user, primary key user_id; the mix of
BENCHMARK-BASELINE.md) with one INSERT ... SELECT generate_series and the key built after it, and
times each item on three variants: the primary key only, the three objects of `syncctl
add-constraints` (no index on updated_at), and those plus ix_sync_updated_at (health, reap).

Items 1-4 have three sides: syncctl; the hand-written SQL of bench/hand/ (run by `psql -X -f`
with syncctl's settings), which must give the same answer: the harness compares both answers
before timing and fails naming the item if they differ; and the floor, one parallel sequential
scan (`SELECT count(*)`) and, for reap with an index on the running rows, one index scan. The
sides are rotated every round; medians, min-max and the ratios syncctl/hand and syncctl/floor go
into the markdown table and the JSON beside it (`agree` per row). Item 9 measures what the
heartbeats cost (pgbench, 4 clients) with and without ix_sync_updated_at. --explain writes the
EXPLAIN (ANALYZE, BUFFERS, WAL) of every statement of both sides (auto_explain) beside the results.

Python 3.11 standard library only. The writers of item 5 speak the PostgreSQL wire protocol
themselves (a few lines below), so a blocked write is timed to the microsecond and the writers
stop exactly when told.

Usage: python3 bench/bench.py --rows 1000000 [--rows 10000000] [--repeat 3] [--out results.md]
       python3 bench/bench.py --rows 30000000 --items 1,2,3,4,9 --repeat 1   (about 40 GB free disk)
       python3 bench/bench.py --rows 10000 --quick          (the smoke run of `cargo test`)
"""

import argparse
import glob
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

# Every zombie of the loaded mix is silent for more than 1 h 50 min, every healthy running row
# for less than 30 s: with a 105 min timeout on both sides, the classification cannot drift for
# 104 minutes after each load (with 60 s, healthy rows would turn into zombies a minute after
# loading; a 30 M-row run lasts longer than an hour). The shifted-clock rule (README, "Row
# states") still moves silent rows between zombie and skewed at checkpoints: both sides apply it.
HEARTBEAT_TIMEOUT = "105min"
HEARTBEAT_INTERVAL_SQL = "interval '105 minutes'"
HEARTBEAT_SECONDS = 6300
TABLE = "user_sync_status"
INCIDENT_USER = "60f2ccbd-d754-4fa0-aa4d-35a7d6551d38"
ITEMS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
HAND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hand")

# ---------------------------------------------------------------------------------------------
# The seed's statements (BRIEF.md), verbatim except the heartbeat timeout (see above).

SEED_HEALTH = f"""
SELECT count(*)                                                         AS total_users,
       count(*) FILTER (WHERE is_syncing = TRUE)                        AS active_syncs,
       count(*) FILTER (WHERE is_syncing = TRUE
                        AND updated_at < NOW() - {HEARTBEAT_INTERVAL_SQL}) AS zombie_tasks,
       count(*) FILTER (WHERE NOT ((is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99)
                        OR (is_syncing = FALSE AND progress_percentage IN (0, 100)))) AS inconsistent_tasks,
       count(*) FILTER (WHERE is_syncing = FALSE AND progress_percentage = 100
                        AND updated_at >= NOW() - INTERVAL '1 hour')    AS recent_completed_syncs
FROM user_sync_status;
SELECT task_id, user_id, started_at, updated_at AS last_update,
       floor(EXTRACT(EPOCH FROM (NOW() - updated_at)) / 60)::int AS silent_minutes
FROM user_sync_status
WHERE is_syncing = TRUE AND updated_at < NOW() - {HEARTBEAT_INTERVAL_SQL}
ORDER BY updated_at
LIMIT 5;
"""

SEED_B = """
SELECT user_id, task_id, is_syncing, error_message, started_at, updated_at,
       EXTRACT(EPOCH FROM (NOW() - updated_at))/60 as minutes_since_update
FROM user_sync_status
WHERE is_syncing = TRUE AND started_at < NOW() - INTERVAL '30 minutes';
"""

SEED_E = """
SELECT user_id, task_id, is_syncing, progress_percentage,
  CASE WHEN is_syncing = TRUE AND progress_percentage NOT BETWEEN 0 AND 99 THEN 'progress/state mismatch'
       WHEN is_syncing = FALSE AND progress_percentage NOT IN (0, 100) THEN 'finished-state mismatch'
       ELSE 'ok' END AS status_check
FROM user_sync_status
WHERE NOT ((is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99)
        OR (is_syncing = FALSE AND progress_percentage IN (0, 100)));
"""

SEED_C = """
UPDATE user_sync_status
SET is_syncing = FALSE, progress_percentage = 0,
    error_message = CONCAT(COALESCE(error_message, ''), ' - 自动清理超时任务'),
    updated_at = NOW()
WHERE is_syncing = TRUE AND started_at < NOW() - INTERVAL '30 minutes';
"""

# (f), Priority 4, with progress_percentage = 0 added: without it the CHECK refuses the whole
# UPDATE as soon as one dead task stopped at 1-99 % (BENCHMARK-BASELINE.md, finding 3).
SEED_F = f"""
UPDATE user_sync_status
SET is_syncing = FALSE, progress_percentage = 0,
    error_message = 'task heartbeat timed out, cleaned up automatically at ' || NOW(),
    updated_at = NOW()
WHERE is_syncing = TRUE AND updated_at < NOW() - {HEARTBEAT_INTERVAL_SQL};
"""

SEED_D = """
ALTER TABLE user_sync_status
ADD CONSTRAINT chk_sync_state_consistency
CHECK (
    (is_syncing = TRUE  AND progress_percentage BETWEEN 0 AND 99)
 OR (is_syncing = FALSE AND progress_percentage IN (0, 100))
);
CREATE UNIQUE INDEX uniq_user_running_sync ON user_sync_status(user_id) WHERE is_syncing = TRUE;
CREATE UNIQUE INDEX uniq_task_id ON user_sync_status(task_id);
"""

# The hand-written side of items 1-4 (bench/hand/): the file, the syncctl command that gives the
# same answer, its accepted exit codes, and the seed's statement kept as an optional fourth side.
HAND_ITEMS = {
    "1": {"file": "health.sql", "args": ["health", "--json"], "ok": {0, 1, 2}, "seed": SEED_HEALTH},
    "2": {"file": "inspect_zombie.sql", "args": ["inspect", "--state", "zombie", "--json"], "ok": {0, 1},
          "seed": SEED_B},
    "3": {"file": "validate.sql", "args": ["validate-constraints", "--json"], "ok": {0, 1}, "seed": SEED_E},
    "4": {"file": "reap.sql", "args": ["reap"], "ok": {0}},
}

# The variants: the loaded mix with its primary key only; the inconsistent rows repaired and the
# three objects of `syncctl add-constraints` (no index on updated_at: syncctl must be fast
# without it); and those plus ix_sync_updated_at, where it matters (health's zombies, reap).
V0 = ("PK only", "bench_v0")
V1 = ("3 constraint objects", "bench_v1")
V2 = ("3 objects + ix_sync_updated_at", "bench_v2")

# The running rows near a moving edge of the row states, which may land on either side of it
# between two sides' runs (`margin` seconds apart at most): a silence whose distance from a
# quarter hour crosses the skew window (120 s: README "Row states", shifted clocks;
# state/skew_offset.sql), or that crosses 14 h plus that window, or the heartbeat timeout itself.
def edge_rows(margin=90):
    m = math.ceil(margin)
    return ("t.is_syncing AND (mod(extract(epoch FROM now() - t.updated_at)::numeric, 900) "
            f"BETWEEN {120 - m} AND {120 + m} "
            f"OR mod(extract(epoch FROM now() - t.updated_at)::numeric, 900) BETWEEN {780 - m} AND {780 + m} "
            f"OR extract(epoch FROM now() - t.updated_at) BETWEEN {50400 + 120 - m} AND {50400 + 120 + m} "
            f"OR extract(epoch FROM now() - t.updated_at) BETWEEN {HEARTBEAT_SECONDS - m} AND {HEARTBEAT_SECONDS + m})")


DROP_CONSTRAINTS = """
ALTER TABLE user_sync_status DROP CONSTRAINT IF EXISTS chk_sync_state_consistency;
DROP INDEX IF EXISTS uniq_user_running_sync;
DROP INDEX IF EXISTS uniq_task_id;
"""

# ---------------------------------------------------------------------------------------------
# The table and its mix. Per 10,000 rows: 30 long healthy syncs (started 40 min - 3 h ago), 120
# short ones, 40 zombies (a quarter half-released), 5 running at 100 % and 5 idle at 1-98 %
# (inconsistent); the rest alternate completed and idle (1 in 20 idle rows failed). Plus the
# incident's row. Timestamps are relative to the load's now().

SCHEMA = f"""
DROP TABLE IF EXISTS {TABLE};
CREATE TABLE {TABLE} (
  user_id             uuid,
  task_id             text,
  is_syncing          boolean     NOT NULL DEFAULT false,
  sync_type           text,
  progress_percentage integer     NOT NULL DEFAULT 0,
  current_stats       jsonb       NOT NULL DEFAULT '{{}}',
  error_message       text,
  started_at          timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
"""

LOAD = f"""
INSERT INTO {TABLE}
SELECT md5(i::text)::uuid,
       'sync_' || md5(i::text)::uuid || '_' || left(md5('task' || i), 8) || '_'
         || extract(epoch FROM started)::int8,
       r < 195,
       CASE WHEN a < 0.2 THEN 'full' ELSE 'incremental' END,
       CASE WHEN r < 190 THEN floor(b * 100)::int
            WHEN r < 195 THEN 100
            WHEN r < 200 THEN 1 + floor(b * 98)::int
            WHEN r % 2 = 0 THEN 100
            ELSE 0 END,
       CASE WHEN r >= 200 AND r % 2 = 0
            THEN '{{"new_messages": 12, "updated_messages": 3, "errors": 0}}'::jsonb
            ELSE '{{}}'::jsonb END,
       CASE WHEN r >= 150 AND r < 190 AND r % 4 = 0 THEN 'cleaned up by hand'
            WHEN r >= 200 AND r % 40 = 1 THEN 'gmail: connection reset'
            END,
       started,
       CASE WHEN r < 150 OR (r >= 190 AND r < 195) THEN now() - c * interval '30 seconds'
            WHEN r < 190 THEN started + c * interval '10 minutes'
            ELSE started + c * interval '5 minutes' END
FROM (SELECT i, r, a, b, c,
             CASE WHEN r < 30  THEN now() - interval '40 minutes' - a * interval '140 minutes'
                  WHEN r < 150 THEN now() - a * interval '10 minutes'
                  WHEN r < 190 THEN now() - interval '2 hours' - a * interval '70 hours'
                  WHEN r < 195 THEN now() - a * interval '10 minutes'
                  ELSE now() - a * interval '30 days' END AS started
      FROM (SELECT i, i % 10000 AS r, random() AS a, random() AS b, random() AS c
            FROM generate_series(1, %(rows)d) AS i) AS g) AS s;
INSERT INTO {TABLE}
  (user_id, task_id, is_syncing, sync_type, progress_percentage, current_stats,
   error_message, started_at, updated_at)
VALUES ('{INCIDENT_USER}', 'sync_{INCIDENT_USER}_1753133270', true, 'incremental', 0, '{{}}',
        '任务被管理员手动清理（修复后）', to_timestamp(1753133270),
        '2025-07-22 13:27:50.842634+08:00'::timestamptz);
ALTER TABLE {TABLE} ADD PRIMARY KEY (user_id);
"""

# The inconsistent rows repaired (as `repair --inconsistent` would leave them), so the CHECK can
# be added: the state of every "indexed" variant and of the rollout's table.
REPAIR = f"""
UPDATE {TABLE} SET progress_percentage = 99 WHERE is_syncing AND progress_percentage > 99;
UPDATE {TABLE} SET progress_percentage = 0 WHERE NOT is_syncing AND progress_percentage NOT IN (0, 100);
"""

INDEXED = f"""
{SEED_D}
CREATE INDEX ix_sync_updated_at ON {TABLE} (updated_at) WHERE is_syncing;
"""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The throwaway cluster.


def find_pg_bin(explicit):
    if explicit:
        return explicit
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = candidates[0] if candidates else shutil.which("initdb")
    if not found:
        sys.exit("bench: no initdb under /usr/lib/postgresql/*/bin or on PATH")
    return os.path.dirname(found)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env():
    """The environment without libpq variables, so nothing points at the shared server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}


class Cluster:
    def __init__(self, pg_bin, keep):
        self.pg_bin = pg_bin
        self.keep = keep
        self.base = tempfile.mkdtemp(prefix="syncctl-bench-")
        self.data = os.path.join(self.base, "data")
        self.sock = os.path.join(self.base, "sock")
        self.log_file = os.path.join(self.base, "server.log")
        self.port = free_port()
        self.as_pg = []
        self.small = False  # set while the loaded table is small (Bench.load)
        os.mkdir(self.sock)
        os.chmod(self.base, 0o755)
        if os.geteuid() == 0:
            import pwd

            pg = pwd.getpwnam("postgres")
            for path in (self.base, self.sock):
                os.chown(path, pg.pw_uid, pg.pw_gid)
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self.run([self.bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--locale=C.UTF-8", "-E", "UTF8"])
        conf = (f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.sock}'\nlog_timezone = 'UTC'\nlog_lock_waits = on\n"
                # A throwaway cluster: checkpoints spaced out so a 30 M-row load is not slowed by
                # them; temporary files logged (validate's goal is none).
                "max_wal_size = '8GB'\ncheckpoint_timeout = '30min'\nlog_temp_files = 0\n")
        self.run(["sh", "-c", f"cat >> '{self.data}/postgresql.conf'"], input=conf)
        self.run([self.bin("pg_ctl"), "-D", self.data, "-l", self.log_file, "-w", "-t", "120", "start"])
        log(f"cluster up on 127.0.0.1:{self.port} ({self.base})")

    def bin(self, name):
        return os.path.join(self.pg_bin, name)

    def run(self, cmd, input=None):
        out = subprocess.run(self.as_pg + cmd, input=input, text=True, capture_output=True, env=clean_env())
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def url(self, db):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def psql_cmd(self, db):
        return [self.bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                str(self.port), "-U", "postgres", "-d", db]

    def sql(self, db, text):
        """Runs SQL through psql (unaligned, tuples only) and returns its output."""
        out = subprocess.run(self.psql_cmd(db) + ["-A", "-t", "-f", "-"], input=text, text=True,
                             capture_output=True, env=clean_env())
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr}\n--- SQL:\n{text[:2000]}")
        return out.stdout.strip()

    def copy(self, template, name):
        self.sql("postgres", f"DROP DATABASE IF EXISTS {name};")
        # FILE_COPY (a checkpoint, then a file copy) is the fast way for a big table; WAL_LOG
        # skips the checkpoint, the fast way for the smoke run's small ones.
        strategy = "WAL_LOG" if self.small else "FILE_COPY"
        self.sql("postgres", f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY {strategy};")

    def drop(self, name):
        self.sql("postgres", f"DROP DATABASE IF EXISTS {name};")

    def stop(self):
        try:
            self.run([self.bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            if not self.keep:
                shutil.rmtree(self.base, ignore_errors=True)
            else:
                log(f"cluster data kept in {self.base}")


# ---------------------------------------------------------------------------------------------
# A minimal PostgreSQL client (simple query protocol, trust authentication) for the writers.


class Wire:
    def __init__(self, port, db):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        params = b"".join(k + b"\0" + v + b"\0" for k, v in
                          [(b"user", b"postgres"), (b"database", db.encode()),
                           (b"application_name", b"bench-writer")]) + b"\0"
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        self.wait_ready()

    def recv(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def wait_ready(self):
        error = None
        while True:
            kind, length = struct.unpack("!ci", self.recv(5))
            body = self.recv(length - 4)
            if kind == b"R" and struct.unpack("!i", body[:4])[0] != 0:
                raise ConnectionError("the bench cluster must use trust authentication")
            if kind == b"E":
                error = body.decode(errors="replace")
            if kind == b"Z":
                return error

    def query(self, text):
        data = text.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", 4 + len(data)) + data)
        return self.wait_ready()

    def close(self):
        self.sock.sendall(b"X" + struct.pack("!i", 4))
        self.sock.close()


class Writers:
    """Writer connections updating random rows on a fixed schedule (total `rate` writes/s, as
    pgbench -R). Each waits for its own statement before sending the next, so a blocked writer
    falls behind its schedule and then catches up; a sample's lateness (answered - due) counts
    that lag, its execution time (answered - sent) does not."""

    def __init__(self, port, db, rows, connections, rate):
        self.stop_flag = threading.Event()
        self.samples = []  # (due, sent, answered, error) in perf_counter seconds
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(port, db, rows, connections / rate, k))
                        for k in range(connections)]

    def loop(self, port, db, rows, interval, k):
        conn = Wire(port, db)
        rng = random.Random(k)
        due = time.perf_counter() + interval * k / len(self.threads)
        while not self.stop_flag.is_set():
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            user = rng.randint(1, rows)
            sent = time.perf_counter()
            error = conn.query(f"UPDATE {TABLE} SET updated_at = now() WHERE user_id = md5('{user}')::uuid")
            answered = time.perf_counter()
            with self.lock:
                self.samples.append((due, sent, answered, error))
            due += interval
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join()


# ---------------------------------------------------------------------------------------------
# Timing.


def run_timed(cmd, env, ok_codes, stdin=None):
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, input=stdin)
    elapsed = time.perf_counter() - start
    if out.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return elapsed, out


def summary(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Bench:
    def __init__(self, args, cluster, rows):
        self.args = args
        self.cluster = cluster
        self.rows = rows
        self.results = []  # dicts, one per results-table row
        self.syncctl = os.path.abspath(args.syncctl)

    def syncctl_env(self, db):
        env = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
        env["DATABASE_URL"] = self.cluster.url(db)
        return env

    def syncctl_cmd(self, *args):
        return [self.syncctl, "--heartbeat-timeout", HEARTBEAT_TIMEOUT, *args]

    # -- setup -------------------------------------------------------------------------------

    def load(self):
        c = self.cluster
        c.small = self.rows <= 100_000
        started = time.perf_counter()
        c.sql("postgres", "DROP DATABASE IF EXISTS bench_v0; CREATE DATABASE bench_v0;")
        # One INSERT ... SELECT generate_series, the primary key built after it with a large
        # maintenance_work_mem and parallel workers (the cluster's checkpoints are spaced out).
        c.sql("bench_v0", "SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2;\n"
              + SCHEMA + LOAD.replace("%(rows)d", str(self.rows)))
        c.sql("bench_v0", "VACUUM ANALYZE user_sync_status;")
        self.load_seconds = time.perf_counter() - started
        build = "SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2;\n"
        c.copy("bench_v0", "bench_roll")
        c.sql("bench_roll", REPAIR + "VACUUM ANALYZE user_sync_status;")
        c.copy("bench_roll", "bench_v1")
        c.sql("bench_v1", build + SEED_D + "VACUUM ANALYZE user_sync_status;")
        c.copy("bench_v1", "bench_v2")
        c.sql("bench_v2", build + f"CREATE INDEX ix_sync_updated_at ON {TABLE} (updated_at) WHERE is_syncing;"
              + "VACUUM ANALYZE user_sync_status;")
        if "5" not in self.items:
            c.drop("bench_roll")  # only the rollout (item 5) needs it: at 30 M rows it is 6 GB
        self.setup_seconds = time.perf_counter() - started
        mix = c.sql("bench_v0", f"""
            SELECT count(*) FILTER (WHERE NOT is_syncing AND progress_percentage = 100) || ' completed, ' ||
                   count(*) FILTER (WHERE NOT is_syncing AND progress_percentage = 0) || ' idle/failed, ' ||
                   count(*) FILTER (WHERE is_syncing AND progress_percentage <= 99
                                    AND updated_at >= now() - {HEARTBEAT_INTERVAL_SQL}) || ' healthy running ('
                     || count(*) FILTER (WHERE is_syncing AND progress_percentage <= 99
                                         AND updated_at >= now() - {HEARTBEAT_INTERVAL_SQL}
                                         AND started_at < now() - interval '30 minutes') || ' started > 30 min ago), ' ||
                   count(*) FILTER (WHERE is_syncing AND updated_at < now() - {HEARTBEAT_INTERVAL_SQL}) || ' silent (zombies, or skewed by the shifted-clock rule), ' ||
                   count(*) FILTER (WHERE NOT ((is_syncing AND progress_percentage BETWEEN 0 AND 99)
                                    OR (NOT is_syncing AND progress_percentage IN (0, 100)))) || ' inconsistent; table '
                   || pg_size_pretty(pg_table_size('user_sync_status')) || ', PK '
                   || pg_size_pretty(pg_indexes_size('user_sync_status'))
            FROM user_sync_status""")
        self.mix = mix
        log(f"loaded {self.rows} rows in {self.load_seconds:.1f}s (all variants ready after "
            f"{self.setup_seconds:.1f}s): {mix}")

    # -- items 1-4: syncctl, the hand-written SQL (bench/hand/), the floor --------------------

    def hand_cmd(self, db, name):
        return self.cluster.psql_cmd(db) + [
            "-A", "-t", "-v", f"timeout={HEARTBEAT_SECONDS}", "-v", "limit=50", "-v", "batch=1000",
            "-v", f"work_mem={self.hand_work_mem()}", "-f", os.path.join(HAND, name)]

    def hand_work_mem(self):
        # By default what syncctl's duplicate search gives itself (sql/state/duplicates_plan.sql:
        # 24 bytes a row and a quarter more, never below 4 MB), so validate.sql sorts in memory
        # as syncctl does; the other hand-written files use no work_mem to speak of.
        return self.args.hand_work_mem or f"{max(4096, math.ceil(self.rows * 1.25 * 24 / 1024))}kB"

    def floor_cmd(self, db, index):
        if index:
            # One index scan: the running rows through the partial unique index (an index-only
            # scan after VACUUM), the plan forced so it is that scan and nothing else.
            sql = ("SET enable_seqscan = off; SET enable_bitmapscan = off; "
                   f"SELECT count(*) FROM {TABLE} WHERE is_syncing")
        else:
            sql = f"SELECT count(*) FROM {TABLE}"  # one (parallel) sequential scan
        # jit off, as on the other two sides: past 10 M rows the server's default would JIT-compile
        # the count (cost above jit_above_cost) and time the compiler, not the scan.
        return self.cluster.psql_cmd(db) + ["-c", "SET jit = off", "-c", sql]

    def answers(self, item, db, fresh=None):
        """Runs syncctl and the hand-written SQL once each and returns their answers, reduced
        to what both must agree on."""
        if item == "4":
            # Both copies first (each FILE_COPY is a checkpoint, so both sides then see the same
            # last checkpoint), then the two reaps back to back: what lies between them is their
            # own run time, however long a copy of a big table takes.
            sides = ("syncctl", "hand")
            for side in sides:
                self.cluster.copy(fresh, f"bench_copy_{side}")
            started = time.monotonic()
            run_timed(self.syncctl_cmd("reap"), self.syncctl_env("bench_copy_syncctl"), {0})
            run_timed(self.hand_cmd("bench_copy_hand", "reap.sql"), clean_env(), {0})
            out = {side: set(self.cluster.sql(f"bench_copy_{side}", f"SELECT task_id FROM {TABLE} WHERE is_syncing").split())
                   for side in sides}
            # Rows at a moving edge of the shifted-clock rule may be released by one side only.
            edge_sql = f"SELECT task_id FROM {TABLE} AS t WHERE {edge_rows(30 + time.monotonic() - started)}"
            edge = set(self.cluster.sql(fresh, edge_sql).split())
            for side in sides:
                self.cluster.drop(f"bench_copy_{side}")
            differ = out["syncctl"] ^ out["hand"]
            if differ <= edge:
                return True, True
            return (f"{len(out['syncctl']):,} rows still running; only syncctl left {sorted(out['syncctl'] - out['hand'])[:5]}",
                    f"{len(out['hand']):,} rows still running; only the hand-written side left "
                    f"{sorted(out['hand'] - out['syncctl'])[:5]}")
        spec = HAND_ITEMS[item]
        s = json.loads(run_timed(self.syncctl_cmd(*spec["args"]), self.syncctl_env(db), spec["ok"])[1].stdout)
        h = {}
        for line in run_timed(self.hand_cmd(db, spec["file"]), clean_env(), {0})[1].stdout.splitlines():
            if line.startswith("{"):
                h.update(json.loads(line))
        # The counts syncctl and the hand-written side take against a moving clock: rows cross an
        # edge between the two runs: a running row's silence crosses an edge of the shifted-clock
        # rule (its distance from a quarter hour reaches the 120 s skew window, or it passes 14 h
        # and the window) or the timeout; a completed row leaves the last hour. Such counts are
        # equal up to the rows near an edge (edge_rows).
        skew_edge = int(self.cluster.sql(db, f"SELECT count(*) FROM {TABLE} AS t WHERE {edge_rows()}"))

        def near(x, y, edge):
            return isinstance(x, int) and isinstance(y, int) and abs(x - y) <= edge

        if item == "1":
            keys = ["total_users", "active_syncs", "zombie_tasks", "inconsistent_tasks", "recent_completed_syncs"]
            a = {**{k: s["statistics"][k] for k in keys}, "skewed_tasks": s.get("skewed_tasks"),
                 "zombie_task_ids": [z["task_id"] for z in s["zombie_task_details"]]}
            b = {k: h.get(k) for k in keys + ["skewed_tasks", "zombie_task_ids"]}
            # The completed rows of the last hour are counted against the moving clock: between
            # the two sides, rows cross the hour's edge. Equal up to the rows near that edge.
            edge = int(self.cluster.sql(db, f"SELECT count(*) FROM {TABLE} WHERE NOT is_syncing AND "
                                            "progress_percentage = 100 AND updated_at BETWEEN now() - interval "
                                            "'62 minutes' AND now() - interval '58 minutes'"))
            if near(a["recent_completed_syncs"], b["recent_completed_syncs"], edge):
                b["recent_completed_syncs"] = a["recent_completed_syncs"]
            for k in ("skewed_tasks", "zombie_tasks"):
                if near(a[k], b[k], skew_edge):
                    b[k] = a[k]
        elif item == "2":
            a = {"counts": s["counts"], "task_ids": [r["task_id"] for r in s["rows"]]}
            b = {"counts": h.get("counts"), "task_ids": h.get("task_ids")}
            for k in ("skewed", "zombie"):
                if isinstance(b["counts"], dict) and near(a["counts"].get(k), b["counts"].get(k), skew_edge):
                    b["counts"][k] = a["counts"][k]
        else:
            a = {c["name"]: c["count"] for c in s["checks"]}
            b = {k: h.get(k) for k in a}
        return a, b

    def check_agree(self, item, variant, db, fresh=None):
        """Fails loudly when syncctl and the hand-written SQL give different answers. Asked twice
        before failing: a checkpoint between the two sides can move rows across the
        shifted-clock rule (README, "Row states"), which both sides apply."""
        for attempt in (1, 2):
            a, b = self.answers(item, db, fresh)
            if a == b:
                return True
            log(f"item {item} {variant}: answers differ (attempt {attempt}):\n  syncctl: {a}\n  hand:    {b}")
        raise RuntimeError(f"item {item} ({variant}): syncctl and bench/hand/{HAND_ITEMS[item]['file']} give "
                           f"different answers:\n  syncctl: {a}\n  hand:    {b}")

    def sides_row(self, item, what, variant, sides, repeat, warmup, agree=None):
        """Times the sides (a dict name -> function returning seconds) `repeat` rounds, the order
        rotated each round so no side always runs first, and records the medians and ratios."""
        names = list(sides)
        for _ in range(warmup):
            for n in names:
                sides[n]()
        times = {n: [] for n in names}
        for k in range(repeat):
            order = names[k % len(names):] + names[:k % len(names)]
            if k % 2:
                order.reverse()
            for n in order:
                times[n].append(sides[n]())
        stats = {n: summary(v) for n, v in times.items()}
        floors = [stats[n]["median"] for n in ("floor", "floor_index") if n in stats]
        row = {"item": item, "what": what, "variant": variant, "rows": self.rows, "sides": stats, "raw": times,
               "agree": agree,
               "ratio_hand": stats["syncctl"]["median"] / stats["hand"]["median"],
               "ratio_floor": stats["syncctl"]["median"] / min(floors) if floors else None}
        if "seed" in stats:
            row["ratio_seed"] = stats["syncctl"]["median"] / stats["seed"]["median"]
        self.results.append(row)
        log(f"item {item} {variant}: " + ", ".join(f"{n} {s['median']:.3f}s" for n, s in stats.items())
            + f"; syncctl/hand {row['ratio_hand']:.2f}"
            + (f", syncctl/floor {row['ratio_floor']:.2f}" if row["ratio_floor"] else ""))
        return row

    def explain(self, item, variant, db, fresh=None):
        """Under --explain: one more run of each side with auto_explain logging every statement's
        EXPLAIN (ANALYZE, BUFFERS, WAL) into the server log, copied beside the results."""
        if not self.args.explain:
            return
        c = self.cluster
        target = "bench_copy" if fresh else db
        min_ms = 0 if self.rows < 1_000_000 else 10
        for side in ("syncctl", "hand"):
            if fresh:
                c.copy(fresh, "bench_copy")
            c.sql("postgres", f"ALTER DATABASE {target} SET session_preload_libraries = 'auto_explain';"
                  f"ALTER DATABASE {target} SET auto_explain.log_min_duration = {min_ms};"
                  f"ALTER DATABASE {target} SET auto_explain.log_analyze = on;"
                  f"ALTER DATABASE {target} SET auto_explain.log_buffers = on;"
                  f"ALTER DATABASE {target} SET auto_explain.log_wal = on;"
                  f"ALTER DATABASE {target} SET auto_explain.log_nested_statements = on;")
            start = os.path.getsize(c.log_file)
            spec = HAND_ITEMS[item]
            if side == "syncctl":
                run_timed(self.syncctl_cmd(*spec["args"]), self.syncctl_env(target), spec["ok"])
            else:
                run_timed(self.hand_cmd(target, spec["file"]), clean_env(), {0})
            c.sql("postgres", f"ALTER DATABASE {target} RESET ALL;")
            time.sleep(0.2)
            with open(c.log_file, errors="replace") as f:
                f.seek(start)
                text = f.read()
            if fresh:
                c.drop("bench_copy")
            with open(self.args.explain_file, "a") as f:
                f.write(f"\n==== N = {self.rows:,} · item {item} · {variant} · {side} "
                        f"({'syncctl ' + ' '.join(spec['args']) if side == 'syncctl' else 'bench/hand/' + spec['file']})"
                        f" ====\n{text}")

    def read_item(self, item, what, variants):
        spec = HAND_ITEMS[item]
        for variant, db in variants:
            agree = self.check_agree(item, variant, db)
            env = self.syncctl_env(db)
            cmd = self.syncctl_cmd(*spec["args"])
            hand = self.hand_cmd(db, spec["file"])
            floor = self.floor_cmd(db, False)
            sides = {"syncctl": lambda: run_timed(cmd, env, spec["ok"])[0],
                     "hand": lambda: run_timed(hand, clean_env(), {0})[0],
                     "floor": lambda: run_timed(floor, clean_env(), {0})[0]}
            if self.args.seed and spec.get("seed"):
                psql = self.cluster.psql_cmd(db) + ["-f", "-"]
                sides["seed"] = lambda: run_timed(psql, clean_env(), {0}, stdin=spec["seed"])[0]
            self.sides_row(item, what, variant, sides, self.args.repeat, 1, agree)
            self.explain(item, variant, db)

    def item1(self):
        self.read_item("1", "`health --json`", [V0, V1, V2])

    def item2(self):
        self.read_item("2", "`inspect --state zombie --json`", [V0, V1])

    def item3(self):
        self.read_item("3", "`validate-constraints`", [V0, V1])

    def item4(self):
        c = self.cluster
        for variant, template in (V0, V1, V2):
            agree = self.check_agree("4", variant, None, template)

            def fresh(cmd, env, ok):
                def run():
                    c.copy(template, "bench_copy")
                    t = run_timed(cmd("bench_copy"), env("bench_copy"), ok)[0]
                    c.drop("bench_copy")
                    return t
                return run

            sides = {"syncctl": fresh(lambda db: self.syncctl_cmd("reap"), self.syncctl_env, {0}),
                     "hand": fresh(lambda db: self.hand_cmd(db, "reap.sql"), lambda db: clean_env(), {0}),
                     "floor": lambda: run_timed(self.floor_cmd(template, False), clean_env(), {0})[0]}
            if template != "bench_v0":
                sides["floor_index"] = lambda: run_timed(self.floor_cmd(template, True), clean_env(), {0})[0]
            zombies = c.sql(template, f"SELECT count(*) FROM {TABLE} WHERE is_syncing AND updated_at < now() - "
                                      f"{HEARTBEAT_INTERVAL_SQL}")
            self.sides_row("4", f"`reap` of {int(zombies):,} silent rows, batches of 1000, fresh copy each run",
                           variant, sides, self.args.repeat, 0, agree)
            self.explain("4", variant, None, template)

    # -- item 9: what heartbeats cost --------------------------------------------------------

    def item9(self):
        c = self.cluster
        seconds = 1 if self.args.quick else self.args.heartbeat_seconds
        script = os.path.join(c.base, "heartbeat.pgbench")
        # A heartbeat of a random running user of the mix: rows i with i % 10000 in 1..149 are
        # healthy running rows (bench.LOAD); user_id = md5(i)::uuid.
        with open(script, "w") as f:
            f.write("\\set blk random(0, :blocks - 1)\n\\set r random(1, 149)\n\\set p random(0, 99)\n"
                    f"UPDATE {TABLE} SET updated_at = now(), progress_percentage = :p "
                    "WHERE user_id = md5((:blk * 10000 + :r)::text)::uuid AND is_syncing;\n")
        os.chmod(script, 0o644)
        pgbench = c.bin("pgbench") if os.access(c.bin("pgbench"), os.X_OK) else shutil.which("pgbench")
        if not pgbench:
            raise RuntimeError(f"item 9 needs pgbench (Debian: package postgresql-{os.path.basename(os.path.dirname(c.pg_bin))}, "
                               f"beside initdb in {c.pg_bin})")
        variants = [("3 constraint objects", "bench_v1"), ("+ ix_sync_updated_at", "bench_v2")]
        runs = {v: [] for v, _ in variants}
        stat = (f"SELECT pg_current_wal_lsn(), n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                f"WHERE relname = '{TABLE}'")
        for k in range(self.args.repeat):
            for variant, template in (variants if k % 2 == 0 else variants[::-1]):
                c.copy(template, "bench_copy")
                before = c.sql("bench_copy", stat).split("|")
                out = run_timed([pgbench, "-n", "-c", "4", "-j", "2", "-T", str(seconds), "-f", script,
                                 "-D", f"blocks={max(1, self.rows // 10000)}", "-h", "127.0.0.1", "-p",
                                 str(c.port), "-U", "postgres", "bench_copy"], clean_env(), {0})[1]
                time.sleep(1.0)  # the backends' statistics reach the shared counters when they exit
                after = c.sql("bench_copy", stat).split("|")
                wal = float(c.sql("bench_copy", f"SELECT pg_wal_lsn_diff('{after[0]}', '{before[0]}')"))
                tx = int(next(l for l in out.stdout.splitlines() if "actually processed" in l).split(":")[1].split("/")[0])
                tps = float(next(l for l in out.stdout.splitlines() if l.startswith("tps")).split("=")[1].split()[0])
                upd, hot = int(after[1]) - int(before[1]), int(after[2]) - int(before[2])
                runs[variant].append({"tps": tps, "transactions": tx, "wal_per_heartbeat": wal / max(tx, 1),
                                      "hot_ratio": hot / upd if upd else None})
                c.drop("bench_copy")
                log(f"item 9 {variant}: {tps:.0f} tps, {wal / max(tx, 1):.0f} WAL bytes/heartbeat, "
                    f"HOT {hot}/{upd}")
        for variant, _ in variants:
            rs = runs[variant]
            self.results.append({"item": "9", "what": f"heartbeat cost: pgbench, 4 clients, {seconds} s",
                                 "variant": variant, "rows": self.rows, "raw": rs,
                                 "heartbeat": {key: summary([r[key] for r in rs if r[key] is not None])
                                               for key in ("tps", "wal_per_heartbeat", "hot_ratio")}})


    # -- item 5 ------------------------------------------------------------------------------

    def rollout(self, way):
        c = self.cluster
        c.sql("bench_roll", DROP_CONSTRAINTS + "CHECKPOINT;")
        before, after = (0.5, 0.5) if self.args.quick else (3.0, 2.0)
        with Writers(c.port, "bench_roll", self.rows, self.args.writers, self.args.write_rate) as w:
            time.sleep(before)
            start = time.perf_counter()
            if way == "naive":
                out = run_timed(c.psql_cmd("bench_roll") + ["-f", "-"], clean_env(), {0}, stdin=SEED_D)[1]
            else:
                out = run_timed(self.syncctl_cmd("add-constraints", "--yes"), self.syncctl_env("bench_roll"), {0})[1]
            end = time.perf_counter()
            time.sleep(after)
        samples = list(w.samples)
        errors = [e for *_, e in samples if e]
        if errors:
            raise RuntimeError(f"writers failed: {errors[:3]}")
        first = min(s[1] for s in samples) if samples else start
        during = [b - a for _, a, b, _ in samples if a < end and b > start]
        before_done = [s for s in samples if s[2] <= start and s[1] >= first + 0.2]
        done_during = [s for s in samples if start < s[2] <= end]
        due_during = [s[2] - s[0] for s in samples if start <= s[0] <= end]
        return {
            "total": end - start,
            "max": max(during) if during else 0.0,
            "p99": percentile(during, 99) or 0.0,
            "p99_before": percentile([b - a for _, a, b, _ in before_done], 99) or 0.0,
            "tput_before": len(before_done) / max(start - first - 0.2, 1e-9),
            "tput_during": len(done_during) / (end - start),
            "late_1s": sum(1 for d in due_during if d > 1.0),
            "due_during": len(due_during),
            "report": out.stderr,
        }

    def item5(self):
        runs = {"naive": [], "syncctl": []}
        for k in range(self.args.repeat):
            order = ["naive", "syncctl"] if k % 2 == 0 else ["syncctl", "naive"]
            for way in order:
                runs[way].append(self.rollout(way))
                r = runs[way][-1]
                log(f"item 5 {way}: {r['total']:.2f}s, writers max {r['max'] * 1000:.0f} ms, "
                    f"p99 {r['p99'] * 1000:.0f} ms, {r['tput_before']:.0f} -> {r['tput_during']:.0f} writes/s")
        self.cluster.sql("bench_roll", DROP_CONSTRAINTS)
        stats = {way: {key: summary([r[key] for r in rs]) for key in rs[0] if key != "report"}
                 for way, rs in runs.items()}
        self.results.append({"item": "5", "what": "constraint rollout under write load", "variant":
                             f"{self.args.writers} writers, {self.args.write_rate:g} writes/s",
                             "rows": self.rows, "rollout": stats, "raw": runs,
                             "ratio": stats["syncctl"]["total"]["median"] / stats["naive"]["total"]["median"]})

    # -- items 6-7 (need `start`) ------------------------------------------------------------

    def start_available(self):
        out = subprocess.run([self.syncctl, "start", "--help"], capture_output=True, text=True)
        return out.returncode == 0 and "--demo" in out.stdout

    def spawn_start(self, db, user, *extra):
        cmd = [self.syncctl, "start", "--user", user, *extra]
        return subprocess.Popen(cmd, env=self.syncctl_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def claims(self, db, users, demo):
        """Starts one `start --demo` per entry of `users` at once; returns each one's time from its
        spawn to its first stdout line (the task id), the ids printed and the exit codes."""
        spawned, procs = [], []
        for u in users:
            spawned.append(time.perf_counter())
            procs.append(self.spawn_start(db, u, "--demo", *demo))
        latencies, ids, codes = [None] * len(procs), [None] * len(procs), [None] * len(procs)

        def watch(i, p):
            line = p.stdout.readline()
            latencies[i] = time.perf_counter() - spawned[i]
            ids[i] = line.strip() or None
            p.communicate()
            codes[i] = p.returncode

        threads = [threading.Thread(target=watch, args=(i, p)) for i, p in enumerate(procs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return latencies, ids, codes

    def item6(self):
        # The claimer's demo (5 s) outlasts the burst of 100 process starts, so every other one
        # finds it live.
        db, demo = "bench_v2", ["--demo-items", "100", "--demo-rate", "20"]
        lat, ids, codes = self.claims(db, ["00000000-0000-4000-a000-000000000001"] * 100, demo)
        self.results.append(self.start_row("100 concurrent `start --demo`, one user", lat, ids, codes))
        lat, ids, codes = [], [], []
        users = [f"00000000-0000-4000-8000-{n:012d}" for n in range(100 if self.args.quick else 1000)]
        batch = 10 if self.args.quick else 50
        for k in range(0, len(users), batch):
            b = self.claims(db, users[k:k + batch], ["--demo-items", "1", "--demo-rate", "1000"])
            lat += b[0]
            ids += b[1]
            codes += b[2]
        self.results.append(self.start_row(f"{len(users):,} users, batches of {batch}", lat, ids, codes))

    def start_row(self, variant, lat, ids, codes):
        ok = [x for x in lat if x is not None]
        return {"item": "6", "what": "`start` contention", "variant": variant, "rows": self.rows,
                "start": {"p50": percentile(ok, 50), "p99": percentile(ok, 99),
                          "tasks": len({i for i in ids if i}), "errors": sum(1 for c in codes if c != 0)}}

    def item7(self):
        for mode, extra in (("heartbeat", []), ("--liveness lock", ["--liveness", "lock"])):
            takeovers = []
            for k in range(self.args.repeat):
                user = f"00000000-0000-4000-9000-{k:012d}"
                victim = subprocess.Popen(
                    [self.syncctl, "--heartbeat-timeout", "6s", "start", "--user", user, "--heartbeat", "2s", *extra,
                     "--demo", "--demo-items", "100000", "--demo-rate", "10"],
                    env=self.syncctl_env("bench_v2"), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                first = victim.stdout.readline().strip()
                os.kill(victim.pid, signal.SIGKILL)
                killed = time.perf_counter()
                victim.wait()
                patience = 20 if self.args.quick else 120
                deadline = killed + patience
                while time.perf_counter() < deadline:
                    out = subprocess.run([self.syncctl, "--heartbeat-timeout", "6s", "start", "--user", user,
                                          "--heartbeat", "2s", *extra, "--if-running", "fail", "--demo",
                                          "--demo-items", "1"],
                                         env=self.syncctl_env("bench_v2"), capture_output=True, text=True)
                    task = out.stdout.splitlines()[0] if out.stdout else ""
                    if out.returncode == 0 and task and task != first:
                        takeovers.append(time.perf_counter() - killed)
                        break
                    time.sleep(0.1)
                else:
                    log(f"item 7 {mode}: no takeover in {patience} s; last attempt exited {out.returncode}: "
                        f"{out.stdout[-300:]} {out.stderr[-600:]}")
            self.results.append({"item": "7", "what": "crash (`kill -9`) to takeover", "variant":
                                 f"{mode} (heartbeat 2s, timeout 6s)", "rows": self.rows,
                                 "takeover": summary(takeovers)})

    # -- item 8 ------------------------------------------------------------------------------

    def item8(self):
        c = self.cluster
        c.sql("postgres", "DROP DATABASE IF EXISTS bench_tiny; CREATE DATABASE bench_tiny;")
        c.sql("bench_tiny", SCHEMA + LOAD.replace("%(rows)d", "9"))
        env = self.syncctl_env("bench_tiny")
        psql = c.psql_cmd("bench_tiny") + ["-c", "select 1"]
        reps = 5 if self.args.quick else 40
        select1 = lambda: run_timed(psql, clean_env(), {0})[0]
        self.sides_row("8", "process start: `syncctl --help` vs `psql -c 'select 1'`", "10 rows",
                       {"syncctl": lambda: run_timed([self.syncctl, "--help"], env, {0})[0],
                        "hand": select1, "floor": select1}, reps, 2)
        self.sides_row("8", "process start: `syncctl health` vs `psql -c 'select 1'`", "10 rows",
                       {"syncctl": lambda: run_timed(self.syncctl_cmd("health"), env, {0, 1, 2})[0],
                        "hand": select1, "floor": select1}, reps, 2)

    def run(self, items):
        self.items = items
        self.load()
        for item in items:
            if item in ("6", "7") and not (self.args.with_start and self.start_available()):
                reason = "pending: start not merged" if not self.start_available() else \
                    "not run (pass --with-start)"
                self.results.append({"item": item, "what": {"6": "`start` contention",
                                                            "7": "crash (`kill -9`) to takeover"}[item],
                                     "variant": "-", "rows": self.rows, "pending": reason})
                continue
            log(f"item {item} ...")
            getattr(self, f"item{item}")()
        return self.results


# ---------------------------------------------------------------------------------------------
# Report.


def ms(s):
    return "–" if s is None else (f"{s * 1000:.0f} ms" if s >= 0.1 else f"{s * 1000:.1f} ms")


def med(s):
    return f"{ms(s['median'])} ({ms(s['min'])}–{ms(s['max'])})"


def markdown(results, meta):
    lines = [f"Run {meta['when']} · N = {', '.join(f'{n:,}' for n in meta['rows'])} · repeat {meta['repeat']}"
             f" · {meta['machine']}", ""]
    lines += ["| N | item | what | variant | syncctl median (min–max) | hand-written median (min–max) | "
              "floor median (min–max) | syncctl / hand | syncctl / floor | answers |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        head = f"| {r['rows']:,} | {r['item']} | {r['what']} | {r['variant']} |"
        if "pending" in r:
            lines.append(f"{head} {r['pending']} | – | – | – | – | – |")
        elif "sides" in r:
            sd = r["sides"]
            floor = med(sd["floor"]) + (f"; index scan {med(sd['floor_index'])}" if "floor_index" in sd else "")
            seed = f" (seed {med(sd['seed'])}: {r['ratio_seed']:.2f})" if "seed" in sd else ""
            agree = {True: "agree", None: "–", False: "DIFFER"}[r["agree"]]
            lines.append(f"{head} {med(sd['syncctl'])} | {med(sd['hand'])}{seed} | {floor} | "
                         f"**{r['ratio_hand']:.2f}** | **{r['ratio_floor']:.2f}** | {agree} |")
        elif "heartbeat" in r:
            h = r["heartbeat"]
            hot = f"{h['hot_ratio']['median'] * 100:.0f} %" if h["hot_ratio"] else "–"
            lines.append(f"{head} {h['tps']['median']:.0f} heartbeats/s ({h['tps']['min']:.0f}–{h['tps']['max']:.0f}); "
                         f"{h['wal_per_heartbeat']['median']:.0f} WAL bytes per heartbeat; HOT {hot} | – | – | – | – | – |")
        elif "rollout" in r:
            s = r["rollout"]
            for key, label in (("total", "total rollout"), ("max", "writers' longest write"),
                               ("p99", "writers' p99 during rollout")):
                ratio = s["syncctl"][key]["median"] / max(s["naive"][key]["median"], 1e-9)
                lines.append(f"| {r['rows']:,} | 5 | {label} | {r['variant']} | {med(s['syncctl'][key])} | "
                             f"{med(s['naive'][key])} (naive) | – | **{ratio:.2f}** | – | – |")
            for way in ("syncctl", "naive"):
                w = s[way]
                lines.append(f"| {r['rows']:,} | 5 | writes/s before → during; p99 before; writes due during the "
                             f"rollout answered > 1 s late | {way} | "
                             f"{w['tput_before']['median']:.0f} → {w['tput_during']['median']:.0f} writes/s; "
                             f"{ms(w['p99_before']['median'])}; "
                             f"{w['late_1s']['median']:.0f} of {w['due_during']['median']:.0f} | – | – | – | – | – |")
        elif "start" in r:
            s = r["start"]
            lines.append(f"{head} claim p50 {ms(s['p50'])}, p99 {ms(s['p99'])}; {s['tasks']} task ids; "
                         f"{s['errors']} non-zero exits | – | – | – | – | – |")
        elif "takeover" in r:
            t = r["takeover"]
            lines.append(f"{head} {med(t) if t else 'no takeover'} | – | – | – | – | – |")
    return "\n".join(lines) + "\n"


def machine():
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return f"nproc {os.cpu_count()}, {mem}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, action="append", help="table size (repeatable); default 1,000,000")
    p.add_argument("--repeat", type=int, default=3, help="alternated runs per side and item (default 3)")
    p.add_argument("--items", default=",".join(ITEMS), help="comma-separated items (default all)")
    p.add_argument("--syncctl", default="target/release/syncctl", help="the syncctl binary")
    p.add_argument("--pg-bin", help="PostgreSQL binaries (default: PATH, then /usr/lib/postgresql/*/bin)")
    p.add_argument("--writers", type=int, default=4, help="item 5: writer connections (default 4)")
    p.add_argument("--write-rate", type=float, default=200, help="item 5: writes/s over all writers (default 200)")
    p.add_argument("--with-start", action="store_true", help="run items 6 and 7 (need `syncctl start`)")
    p.add_argument("--seed", action="store_true", help="items 1-3: also time the seed's SQL (a fourth side)")
    p.add_argument("--hand-work-mem",
                   help="work_mem of the hand-written side (bench/hand/); default: what syncctl's duplicate "
                        "search sets for the table's size")
    p.add_argument("--heartbeat-seconds", type=int, default=20, help="item 9: pgbench run per variant (default 20)")
    p.add_argument("--explain", action="store_true",
                   help="write EXPLAIN (ANALYZE, BUFFERS, WAL) of both sides of items 1-4 beside the results (auto_explain)")
    p.add_argument("--quick", action="store_true", help="shortest settings (the smoke run): repeat 1")
    p.add_argument("--keep", action="store_true", help="keep the cluster's directory afterwards")
    p.add_argument("--out", default="bench-results.md", help="results table (markdown); JSON beside it")
    args = p.parse_args()
    if args.quick:
        args.repeat = 1
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    args.explain_file = os.path.splitext(args.out)[0] + "-explain.txt"
    if args.explain and os.path.exists(args.explain_file):
        os.remove(args.explain_file)
    items = [i.strip() for i in args.items.split(",") if i.strip()]
    unknown = [i for i in items if i not in ITEMS]
    if unknown:
        p.error(f"unknown items {unknown}; items are {ITEMS}")
    if not os.access(args.syncctl, os.X_OK):
        p.error(f"{args.syncctl} is not an executable; run `cargo build --release` first")
    rows = args.rows or [1_000_000]
    cluster = Cluster(find_pg_bin(args.pg_bin), args.keep)
    results = []
    try:
        version = cluster.sql("postgres", "SHOW server_version")
        settings = cluster.sql("postgres", """SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
            FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'max_wal_size',
            'max_parallel_workers_per_gather', 'jit', 'fsync', 'synchronous_commit')""")
        meta = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": rows, "repeat": args.repeat,
                "machine": f"{machine()}, PostgreSQL {version} ({settings})", "mix": {}}
        for n in rows:
            bench = Bench(args, cluster, n)
            results += bench.run(items)
            meta["mix"][n] = bench.mix
            meta["load_seconds"] = {**meta.get("load_seconds", {}), n: bench.load_seconds}
            meta["setup_seconds"] = {**meta.get("setup_seconds", {}), n: bench.setup_seconds}
            write_report(args.out, results, meta)
    finally:
        cluster.stop()
    log(f"results in {args.out}")


def write_report(path, results, meta):
    with open(path, "w") as f:
        f.write(markdown(results, meta))
        for n, mix in meta["mix"].items():
            f.write(f"\nN = {n:,}: {mix}; load + PK + VACUUM ANALYZE {meta['load_seconds'][n]:.1f} s; "
                    f"all variants ready {meta['setup_seconds'][n]:.1f} s\n")
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1, default=str)


if __name__ == "__main__":
    main()
