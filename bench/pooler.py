#!/usr/bin/env python3
"""syncctl through PgBouncer beside a direct connection, in the same run (BENCHMARKS.md,
"Through PgBouncer"): what the per-transaction settings and the pooler's extra hop cost.

It creates a database on the server of --url (dropped at the end), loads --rows rows of the
reference shape (one row per user, 1 % of them zombies), starts a PgBouncer in transaction
pooling in front of the server (default configuration, pool of two; as root it runs it as the
`postgres` OS user), and runs each command --repeat times per side, alternating the sides.
Each run is a whole process, spawn to exit. Prints a markdown table of medians and min-max.

    python3 bench/pooler.py --url postgres://postgres@127.0.0.1:5432/postgres --rows 1000000
"""
import argparse
import os
import pwd
import socket
import statistics
import subprocess
import sys
import tempfile
import time

p = argparse.ArgumentParser()
p.add_argument("--url", required=True, help="a role that may CREATE DATABASE, on the server to measure")
p.add_argument("--rows", type=int, default=1_000_000)
p.add_argument("--repeat", type=int, default=10)
p.add_argument("--syncctl", default="target/release/syncctl")
p.add_argument("--pgbouncer", default="/usr/sbin/pgbouncer")
p.add_argument("--baseline", help="another syncctl binary (e.g. one that set its settings as startup options), "
               "measured direct only, as a third side")
args = p.parse_args()

DB = "syncctl_bench_pooler"
base, _, _ = args.url.rpartition("/")
direct = f"{base}/{DB}"
host_port = base.split("@")[-1].split("/")[-1]
host, _, port = host_port.partition(":")
env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, env=env)


psql(args.url, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
psql(args.url, f"CREATE DATABASE {DB}")
psql(direct, """
CREATE TABLE user_sync_status (user_id uuid PRIMARY KEY, task_id text, is_syncing boolean NOT NULL DEFAULT false,
  sync_type text, progress_percentage integer NOT NULL DEFAULT 0, current_stats jsonb NOT NULL DEFAULT '{}',
  error_message text, started_at timestamptz, updated_at timestamptz NOT NULL DEFAULT now());
""")
psql(direct, f"""
INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
SELECT md5('u' || n)::uuid, 'sync_' || n, n % 100 = 0, CASE WHEN n % 100 = 0 THEN 40 ELSE 100 END,
       now() - interval '2 hours', now() - interval '70 minutes'
FROM generate_series(1, {args.rows}) AS n;
CREATE INDEX ON user_sync_status (task_id); ANALYZE user_sync_status;
""")

work = tempfile.mkdtemp()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    bouncer_port = s.getsockname()[1]
with open(f"{work}/pgbouncer.ini", "w") as f:
    f.write(f"[databases]\n* = host={host} port={port or 5432}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
            f"listen_port = {bouncer_port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {work}/users.txt\n"
            "pool_mode = transaction\ndefault_pool_size = 2\n")
with open(f"{work}/users.txt", "w") as f:
    f.write('"postgres" ""\n')
as_postgres = {}
if os.geteuid() == 0:
    pw = pwd.getpwnam("postgres")
    for name in ["", "pgbouncer.ini", "users.txt"]:
        os.chown(os.path.join(work, name), pw.pw_uid, pw.pw_gid)
    as_postgres = {"user": pw.pw_uid, "group": pw.pw_gid}
bouncer = subprocess.Popen([args.pgbouncer, f"{work}/pgbouncer.ini"], stderr=subprocess.DEVNULL, **as_postgres)
pooled = direct.replace(host_port, f"127.0.0.1:{bouncer_port}")
deadline = time.time() + 30
while True:
    try:
        socket.create_connection(("127.0.0.1", bouncer_port)).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("pgbouncer did not listen")
        time.sleep(0.05)

commands = [["health"], ["inspect"], ["reap", "--dry-run"], ["reap"]]
rows = []
try:
    for command in commands:
        times = {"direct": [], "pgbouncer": [], "baseline": []}
        for i in range(args.repeat + 1):
            order = [("direct", direct, args.syncctl), ("pgbouncer", pooled, args.syncctl)]
            if args.baseline:
                order.append(("baseline", direct, args.baseline))
            for side, url, binary in order if i % 2 == 0 else reversed(order):
                if command == ["reap"]:
                    # Each timed reap releases the same 1 % of zombies again.
                    psql(direct, "UPDATE user_sync_status SET is_syncing = true, progress_percentage = 40, "
                                 "updated_at = now() - interval '1 hour' WHERE progress_percentage = 0")
                begun = time.perf_counter()
                subprocess.run([binary, *command], env={**env, "DATABASE_URL": url},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if i > 0:  # the first round warms both up
                    times[side].append((time.perf_counter() - begun) * 1000)
        d, b = (statistics.median(times[s]) for s in ("direct", "pgbouncer"))
        span = lambda s: f"{min(times[s]):.0f}–{max(times[s]):.0f}"
        row = f"| `syncctl {' '.join(command)}` | {d:.0f} ({span('direct')}) | {b:.0f} ({span('pgbouncer')}) | {b / d:.2f} |"
        if args.baseline:
            row += f" {statistics.median(times['baseline']):.0f} ({span('baseline')}) |"
        rows.append(row)
finally:
    bouncer.terminate()
    bouncer.wait()
    psql(args.url, f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")

print(f"{args.rows:,} rows, {args.repeat} alternated runs per side, median (min–max) in ms\n")
header = "| command | direct | through PgBouncer | ratio |"
rule = "|---|---|---|---|"
if args.baseline:
    header, rule = header + " baseline, direct |", rule + "---|"
print(f"{header}\n{rule}")
print("\n".join(rows))
