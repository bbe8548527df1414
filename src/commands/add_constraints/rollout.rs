//! Running the plan: each step under its bound, the ACCESS EXCLUSIVE ones retried with
//! exponential backoff and jitter while their lock is not obtained, the concurrent ones
//! cancelled at `--build-wait`; an index step first waits for other sessions' builds on the
//! table and decides from the catalog as it is at that moment.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::plan::{Bound, Bounds, Step, flag_duration, millis, refuse_before_ddl};
use crate::Ctx;
use crate::cli::AddConstraintsArgs;
use crate::commands::repair;
use crate::db::queries::Filled;
use crate::db::queries::add_constraints::{self as queries, IndexBuild, StepBoundParams};
use crate::db::{self, retry::backoff};
use crate::error::{self, UsageError, sqlstate};
use crate::exit::ExitStatus;
use crate::output::{self, add_constraints::build_in_progress, human_seconds};
use crate::table::{CHECK_NAME, ConstraintStatus, RUNNING_INDEX, Table};

/// The longest pause between two looks at another session's index build.
const MAX_BUILD_POLL: Duration = Duration::from_secs(5);

/// The other backends' index builds on `table`, now.
pub(crate) async fn builds_in_progress(client: &Client, table: &Table) -> Result<Vec<IndexBuild>> {
    queries::builds(client, table).await.context("reading pg_stat_progress_create_index")
}

/// How one step ended.
#[derive(Debug, Clone)]
pub(crate) struct StepRecord {
    /// `done`, `skipped`, `failed` or `not run`.
    pub(crate) status: &'static str,
    /// The attempts made.
    pub(crate) attempts: u32,
    /// How long it took; None for a step that did not run.
    pub(crate) seconds: Option<f64>,
    /// Why it was skipped.
    pub(crate) note: Option<String>,
}

impl StepRecord {
    /// A step after the one that failed.
    pub(crate) fn not_run() -> StepRecord {
        StepRecord { status: "not run", attempts: 0, seconds: None, note: None }
    }
}

/// Why the steps stopped before the end.
pub(crate) enum Stop {
    /// A lock, an old transaction or another session's build outlasted its bound (exit 5);
    /// with what to do about it.
    Lock(anyhow::Error, String),
    /// A row written since the check refuses the constraint (exit 1).
    Violation(anyhow::Error),
    /// The repair of the rows was not confirmed, or was stopped at its question: the status it
    /// ended with, and what that leaves.
    Declined(anyhow::Error, ExitStatus),
    /// Anything else (classified by the caller).
    Other(anyhow::Error),
}

impl Stop {
    /// The error behind it, as one line without secrets.
    pub(crate) fn message(&self, ctx: &Ctx) -> String {
        let (Stop::Lock(e, _) | Stop::Violation(e) | Stop::Declined(e, _) | Stop::Other(e)) = self;
        crate::redact(&error::classify(e).message, &ctx.global)
    }
}

/// How a step that ran to its end ended.
enum Done {
    /// It ran its statement.
    Ran,
    /// It found nothing to do when the moment came (why).
    Skipped(String),
}

/// Why one attempt of a step failed.
enum StepError {
    /// A statement failed: retried or classified by its SQLSTATE.
    Sql(anyhow::Error),
    /// The step decided to stop (another session's build outlasted the bound; a wrong
    /// definition appeared).
    Stop(Stop),
}

impl From<anyhow::Error> for StepError {
    fn from(e: anyhow::Error) -> StepError {
        StepError::Sql(e)
    }
}

impl From<tokio_postgres::Error> for StepError {
    fn from(e: tokio_postgres::Error) -> StepError {
        StepError::Sql(e.into())
    }
}

/// What the steps run with: the connection, the table as introspected before the plan, the
/// command line and its bounds.
pub(crate) struct Runner<'a> {
    /// The connection (outside any transaction).
    pub(crate) client: &'a Client,
    /// The table.
    pub(crate) table: &'a Table,
    /// The command line (`--rollback`, `--retry-delay`).
    pub(crate) args: &'a AddConstraintsArgs,
    /// `--lock-timeout`, `--retries`, `--build-wait`.
    pub(crate) bounds: Bounds,
    /// The printer and the global options.
    pub(crate) ctx: &'a Ctx,
    /// `repair --all`'s JSON document, once its step ran (under `--json`).
    pub(crate) repaired: RefCell<Option<Value>>,
}

impl Runner<'_> {
    /// Runs the steps in order, each under its bound; stops at the first step that fails.
    pub(crate) async fn run_steps(&self, plan: &[Step], records: &mut Vec<StepRecord>) -> Option<Stop> {
        let ctx = self.ctx;
        for (n, step) in plan.iter().enumerate() {
            ctx.printer.note(&format!(
                "[{}/{}] {} ({}; waits at most {}) …",
                n + 1,
                plan.len(),
                step.label(),
                step.lock(),
                self.bounds.waits_at_most(step.bound())
            ));
            let started = Instant::now();
            let (attempts, result) = self.with_retries(step).await;
            let seconds = started.elapsed().as_secs_f64();
            let prefix = format!("[{}/{}] {}", n + 1, plan.len(), step.label());
            match result {
                Ok(Done::Ran) => {
                    records.push(StepRecord { status: "done", attempts, seconds: Some(seconds), note: None });
                    ctx.printer.note(&format!("{prefix} done in {}", human_seconds(seconds)));
                }
                Ok(Done::Skipped(why)) => {
                    ctx.printer.note(&format!("{prefix} skipped: {why}"));
                    records.push(StepRecord { status: "skipped", attempts, seconds: Some(seconds), note: Some(why) });
                }
                Err(stop) => {
                    records.push(StepRecord { status: "failed", attempts, seconds: Some(seconds), note: None });
                    let attempts = output::count(attempts as usize, "attempt", "attempts");
                    ctx.printer.note(&format!("{prefix} failed after {} ({attempts})", human_seconds(seconds)));
                    return Some(stop);
                }
            }
        }
        None
    }

    /// Runs one step under its bound, retrying a [`Bound::Lock`] step with exponential backoff
    /// and jitter while its lock is not obtained (SQLSTATE 55P03, never the message). Returns the
    /// attempts made and the outcome.
    async fn with_retries(&self, step: &Step) -> (u32, Result<Done, Stop>) {
        let attempts = self.bounds.attempts(step.bound());
        let mut attempt = 1;
        loop {
            match self.attempt_step(step).await {
                Err(StepError::Sql(e)) if sqlstate(&e) == Some(SqlState::LOCK_NOT_AVAILABLE) && attempt < attempts => {
                    let pause = backoff(self.args.retry_delay, attempt);
                    self.ctx.printer.note(&format!(
                        "      lock not available within --lock-timeout (attempt {attempt}/{attempts}); retrying in {}",
                        human_seconds(pause.as_secs_f64())
                    ));
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                Err(StepError::Sql(e)) => {
                    if let Step::CreateIndex { role, .. } = step {
                        // Leave no half-built index behind when giving up (best effort, under
                        // the short lock timeout: the same wait may stop the drop too, and a
                        // rerun drops and rebuilds it then).
                        if let Err(drop) = self.drop_if_invalid(role).await {
                            let why = error::classify(&drop).message;
                            self.ctx
                                .printer
                                .warn(&format!("{role} is left INVALID ({why}); rerun to drop and rebuild it"));
                        }
                    }
                    return (attempt, Err(classify_failure(e, step, self.table, attempt, &self.bounds)));
                }
                Err(StepError::Stop(stop)) => return (attempt, Err(stop)),
                Ok(done) => return (attempt, Ok(done)),
            }
        }
    }

    /// One attempt of a step. Every DDL step waits for other sessions' builds on the table first;
    /// an index step then decides from the catalog as it is at that moment ([`Self::index_step`]).
    async fn attempt_step(&self, step: &Step) -> Result<Done, StepError> {
        let bound = self.bounds.timeout(step.bound());
        // Every DDL step waits for other sessions' builds on the table in the client rather than on
        // a lock: queued behind a build, a step would hold its own snapshot while the build
        // waits for old snapshots (deadlock detected), and an ACCESS EXCLUSIVE request would
        // hold every writer up for its lock timeout, again and again.
        match step {
            // Repair builds no index: it waits for nobody's build.
            Step::Repair => self.repair().await,
            Step::AddCheck | Step::ValidateCheck | Step::DropCheck => {
                self.wait_for_builds().await?;
                self.run_bounded(&step.render(&self.table.fill(), &self.table.schema), bound, false).await?;
                Ok(Done::Ran)
            }
            Step::CreateIndex { role, .. } | Step::DropIndex { role, .. } => {
                let waited = self.wait_for_builds().await?;
                self.index_step(step, role, bound, &waited).await
            }
        }
    }

    /// The repair step: `repair --all` with this command's `--yes` and `--json`, under the CHECK
    /// added NOT VALID. Rows it leaves alone because they changed since its plan were written
    /// under the CHECK, so they are consistent; VALIDATE and the builds check the rest.
    async fn repair(&self) -> Result<Done, StepError> {
        let args = super::repair_args(self.args).map_err(StepError::Sql)?;
        let run = repair::run_embedded(args, self.ctx)
            .await
            .map_err(|e| StepError::Stop(Stop::Other(e.context("repairing the rows (repair --all)"))))?;
        self.repaired.replace(run.document);
        match run.status {
            ExitStatus::Success => Ok(Done::Ran),
            ExitStatus::Problems if !run.declined => Ok(Done::Ran),
            status => Err(StepError::Stop(Stop::Declined(
                anyhow::anyhow!(
                    "the repair of the rows was not confirmed: {} is in place NOT VALID (it refuses new violations), \
                     the old rows are not repaired, and the later steps did not run",
                    CHECK_NAME
                ),
                status,
            ))),
        }
    }

    /// An index step, decided from the catalog now: an index that became valid is left alone, an
    /// INVALID one is dropped only now that no backend builds it (`waited` for those that did),
    /// and a build makes sure the index it made is this table's and valid.
    async fn index_step(&self, step: &Step, role: &str, bound: Duration, waited: &[i32]) -> Result<Done, StepError> {
        let now = Table::introspect(self.client, &self.table.quoted()).await?;
        let Some(status) = now.constraint(role).cloned() else {
            return Err(StepError::Sql(anyhow::anyhow!("{role} is not one of the rollout's objects")));
        };
        if let Err(e) = refuse_before_ddl(&now, self.args.rollback) {
            return Err(StepError::Stop(Stop::Other(e)));
        }
        let by_other = if waited.is_empty() {
            String::new()
        } else {
            format!(" (after {} finished)", waited.iter().map(|p| format!("pid {p}")).collect::<Vec<_>>().join(", "))
        };
        match step {
            Step::DropIndex { .. } if !status.exists => Ok(Done::Skipped(format!("{role} no longer exists{by_other}"))),
            Step::DropIndex { .. } if status.valid && !self.args.rollback => {
                Ok(Done::Skipped(format!("{} is valid now{by_other}: it is kept", status.object)))
            }
            Step::DropIndex { .. } => {
                self.drop_index(&now, &status.object, bound).await?;
                Ok(Done::Ran)
            }
            _ if status.valid => Ok(Done::Skipped(format!("{} is valid already{by_other}", status.object))),
            _ => self.build_index(&now, role, &status, bound).await,
        }
    }

    /// Builds this table's index of `role` (`status` as `now` has it), first dropping the INVALID
    /// one a failed build left, then checks what the build made.
    async fn build_index(
        &self,
        now: &Table,
        role: &str,
        status: &ConstraintStatus,
        bound: Duration,
    ) -> Result<Done, StepError> {
        if status.exists {
            // INVALID and no backend building it (we just waited): what a failed build left.
            self.drop_index(now, &status.object, bound).await?;
        }
        let create = Step::CreateIndex { role: status.name, name: status.object.clone() };
        self.run_bounded(&create.render(&self.table.fill(), &now.schema), bound, true).await?;
        let after = Table::introspect(self.client, &self.table.quoted()).await?;
        match after.constraint(role) {
            Some(c) if c.valid => Ok(Done::Ran),
            Some(c) if !c.exists => Err(StepError::Stop(Stop::Other(UsageError::with_hint(
                format!(
                    "{} was not built on {}: {}",
                    status.object,
                    now.display(),
                    c.note.as_deref().unwrap_or("another relation took the name during the build")
                ),
                "rerun: the index is then built under the table's own name",
            )))),
            Some(c) => Err(StepError::Sql(anyhow::anyhow!(
                "{} is {} after the build ({}); rerun to drop and rebuild it",
                c.object,
                c.state_name(),
                c.definition.as_deref().unwrap_or("?")
            ))),
            None => Err(StepError::Sql(anyhow::anyhow!("{role} is not one of the rollout's objects"))),
        }
    }

    /// Runs one statement of a step under its bound, setting nothing on the session, so nothing
    /// is left behind on a pooled server connection. A statement that may run in a transaction
    /// runs in one of its own with the bound as lock_timeout (`sql/add_constraints/step_bound.sql`),
    /// BEGIN, the bound, the statement and COMMIT sent together ([`db::local_one`]): the server
    /// commits as soon as the statement ends, so ADD / DROP CONSTRAINT hold ACCESS EXCLUSIVE for
    /// their catalog change only, not a round trip longer while every writer queues behind it.
    /// A concurrent build or drop may not: the client bounds it, cancelling it at the bound as a
    /// lock timeout would have (SQLSTATE 57014 then, classified like 55P03).
    async fn run_bounded(&self, sql: &Filled, bound: Duration, concurrently: bool) -> Result<()> {
        let client = self.client;
        if !concurrently {
            let lock_timeout = millis(bound);
            let params = StepBoundParams { lock_timeout: &lock_timeout };
            return db::local_one(client, async {
                // Both sent before either answer: the statement runs under the bound set just
                // before it (a failed bound aborts the transaction, and its error is the one said).
                let (bounded, ran) = tokio::join!(queries::step_bound(client, &params), queries::ddl(client, sql));
                bounded?;
                Ok(ran?)
            })
            .await;
        }
        let token = client.cancel_token();
        let statement = queries::ddl(client, sql);
        tokio::pin!(statement);
        tokio::select! {
            done = &mut statement => return Ok(done?),
            _ = tokio::time::sleep(bound) => {}
        }
        if let Err(e) = db::cancel(&self.ctx.global, &token).await {
            self.ctx.printer.warn(&format!("could not cancel the statement at its bound: {e:#}"));
        }
        Ok(statement.await?)
    }

    /// `DROP INDEX CONCURRENTLY` of this table's index `name` (`table` as it is now).
    async fn drop_index(&self, table: &Table, name: &str, bound: Duration) -> Result<()> {
        let drop = Step::DropIndex { role: RUNNING_INDEX, name: name.to_string() };
        self.run_bounded(&drop.render(&table.fill(), &table.schema), bound, true).await
    }

    /// Waits while other backends build an index on the table, polling with backoff, at most
    /// `--build-wait`; returns their pids. Queuing behind such a build instead would be worse: a
    /// drop or a second build waits for its lock while the build waits for the waiter's snapshot
    /// (deadlock detected), and a drop queued behind a build runs once the build made the index
    /// valid.
    async fn wait_for_builds(&self) -> Result<Vec<i32>, StepError> {
        let (table, bounds) = (self.table, &self.bounds);
        let deadline = Instant::now() + bounds.build_wait;
        let mut pause = Duration::from_millis(100);
        let mut seen: Vec<i32> = Vec::new();
        loop {
            let now = builds_in_progress(self.client, table).await?;
            if now.is_empty() {
                return Ok(seen);
            }
            for b in &now {
                if seen.contains(&b.pid) {
                    continue;
                }
                self.ctx.printer.note(&format!(
                    "      waiting for {}: another session is building an index on {}; syncctl neither drops it \
                     nor builds beside it (at most --build-wait {})",
                    build_in_progress(b),
                    table.display(),
                    flag_duration(bounds.build_wait)
                ));
                seen.push(b.pid);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StepError::Stop(builds_outlasted_the_wait(table, bounds, &now)));
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(MAX_BUILD_POLL);
        }
    }

    /// Drops this table's index of `role` (concurrently, under the short lock timeout) if it
    /// exists and is not valid and no backend is building it.
    async fn drop_if_invalid(&self, role: &str) -> Result<()> {
        let now = Table::introspect(self.client, &self.table.quoted()).await?;
        let Some(c) = now.constraint(role) else { return Ok(()) };
        let building =
            builds_in_progress(self.client, &now).await?.iter().any(|b| b.index_oid.is_none() || b.index_oid == c.oid);
        if c.exists && !c.valid && c.problem.is_none() && !building {
            self.drop_index(&now, &c.object, self.bounds.lock_timeout).await?;
        }
        Ok(())
    }
}

/// The stop when other sessions' builds (`now`) are still running at the end of `--build-wait`.
fn builds_outlasted_the_wait(table: &Table, bounds: &Bounds, now: &[IndexBuild]) -> Stop {
    let who: Vec<String> = now.iter().map(build_in_progress).collect();
    Stop::Lock(
        anyhow::anyhow!(
            "another session is still building an index on {} after --build-wait {}: {}",
            table.display(),
            flag_duration(bounds.build_wait),
            who.join(", ")
        ),
        format!(
            "nothing was dropped; let it finish (pg_stat_progress_create_index shows its phase), then rerun; or stop \
             it (SELECT pg_cancel_backend({})) and rerun, which drops its INVALID leftover and rebuilds",
            now[0].pid
        ),
    )
}

/// The stop of a step whose statement failed with `e`.
fn classify_failure(e: anyhow::Error, step: &Step, table: &Table, attempts: u32, bounds: &Bounds) -> Stop {
    let code = sqlstate(&e);
    let e = e.context(format!("{} on {}", step.label(), table.display()));
    match code {
        // 57014: the client cancelled a concurrent step at its bound (run_bounded).
        Some(c) if c == SqlState::LOCK_NOT_AVAILABLE || c == SqlState::QUERY_CANCELED => match step.bound() {
            Bound::Lock | Bound::Rows => Stop::Lock(
                e.context(format!(
                    "lock not obtained within --lock-timeout after {}",
                    output::count(attempts as usize, "attempt", "attempts")
                )),
                "another session holds a conflicting lock (see pg_locks / pg_stat_activity); the table is usable as \
                 it is: rerun later, or with a longer --lock-timeout or more --retries"
                    .into(),
            ),
            Bound::Build => Stop::Lock(
                e.context(format!("still waiting after --build-wait {}", flag_duration(bounds.build_wait))),
                "a transaction older than the step holds it up (pg_stat_activity: an old xact_start, often 'idle in \
                 transaction'); no writer was blocked meanwhile: end that transaction, or rerun with a longer \
                 --build-wait"
                    .into(),
            ),
        },
        Some(c) if c == SqlState::CHECK_VIOLATION || c == SqlState::UNIQUE_VIOLATION => Stop::Violation(e),
        _ => Stop::Other(e),
    }
}
