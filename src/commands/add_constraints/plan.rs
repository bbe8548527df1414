//! The plan: the steps that take the table from the objects it has to the three valid ones (or,
//! for `--rollback`, to none), the bound on each step's waits, and what stops the command before
//! any DDL.

use std::time::Duration;

use anyhow::Result;

use crate::Ctx;
use crate::cli::AddConstraintsArgs;
use crate::db::queries::{
    ADD_CHECK_ADD, ADD_CHECK_DROP, ADD_CHECK_VALIDATE, ADD_INDEX_DROP, ADD_REPAIR_STEP, ADD_RUNNING_INDEX_CREATE,
    ADD_SCRIPT_BUILD_WAIT, ADD_SCRIPT_LOCK_WAIT, ADD_TASK_INDEX_CREATE, Fill, Filled, Statement, quote_ident,
};
use crate::error::UsageError;
use crate::table::{CHECK_NAME, CHECK_PREDICATE, ConstraintStatus, Problem, RUNNING_INDEX, TASK_INDEX, Table};

/// One DDL statement of the rollout or the rollback, or (`--repair`) the repair of the rows
/// between them. An index step names the index as it is (or will be) called on this table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// `ADD CONSTRAINT chk_sync_state_consistency … NOT VALID`.
    AddCheck,
    /// `repair --all`, once the CHECK refuses new violations and before anything checks the
    /// old rows.
    Repair,
    /// `VALIDATE CONSTRAINT chk_sync_state_consistency`.
    ValidateCheck,
    /// `CREATE UNIQUE INDEX CONCURRENTLY` of the index of `role`, named `name`.
    CreateIndex {
        /// The index's role (`uniq_user_running_sync`, `uniq_task_id`).
        role: &'static str,
        /// Its name on this table.
        name: String,
    },
    /// `DROP INDEX CONCURRENTLY` of the index of `role`, named `name`.
    DropIndex {
        /// The index's role.
        role: &'static str,
        /// Its name on this table.
        name: String,
    },
    /// `DROP CONSTRAINT chk_sync_state_consistency`.
    DropCheck,
}

/// What the repair step works on, in the step list: the rows, for all three objects.
pub(crate) const REPAIR_OBJECT: &str = "rows";

/// Which bound a step's waits have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// `--lock-timeout` per attempt, `--retries` attempts: the step takes ACCESS EXCLUSIVE, and
    /// while it waits every later reader and writer queues behind it.
    Lock,
    /// `--build-wait`, one attempt: the step takes SHARE UPDATE EXCLUSIVE, which no writer
    /// conflicts with or queues behind, and waits for older transactions and snapshots.
    Build,
    /// `--lock-timeout` in all: repair's row locks, and its new plans when rows it selected
    /// were written meanwhile.
    Rows,
}

/// The bounds in effect: `--lock-timeout`, `--retries`, `--build-wait`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// `--lock-timeout`.
    pub(crate) lock_timeout: Duration,
    /// `--retries`.
    pub(crate) retries: u32,
    /// `--build-wait`.
    pub(crate) build_wait: Duration,
}

impl Bounds {
    /// The bounds the command line sets.
    pub(crate) fn of(args: &AddConstraintsArgs, ctx: &Ctx) -> Bounds {
        Bounds { lock_timeout: ctx.global.lock_timeout, retries: args.retries, build_wait: args.build_wait }
    }

    /// The lock_timeout a step runs with.
    pub(crate) fn timeout(&self, bound: Bound) -> Duration {
        match bound {
            Bound::Lock | Bound::Rows => self.lock_timeout,
            Bound::Build => self.build_wait,
        }
    }

    /// How many attempts a step gets.
    pub(crate) fn attempts(&self, bound: Bound) -> u32 {
        match bound {
            Bound::Lock => self.retries,
            Bound::Build | Bound::Rows => 1,
        }
    }

    /// How long a step of `bound` waits at most, as the flags say it: `--lock-timeout 2s, 5
    /// attempts` / `--build-wait 10m`.
    pub(crate) fn waits_at_most(&self, bound: Bound) -> String {
        match bound {
            Bound::Lock => format!(
                "--lock-timeout {}, {}",
                flag_duration(self.lock_timeout),
                crate::output::count(self.retries as usize, "attempt", "attempts")
            ),
            Bound::Build => format!("--build-wait {}", flag_duration(self.build_wait)),
            Bound::Rows => format!("--lock-timeout {} in all", flag_duration(self.lock_timeout)),
        }
    }
}

/// A duration as the flags write it (`2s`, `10m`, `1500ms`).
pub(crate) fn flag_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

/// `1500ms`, as lock_timeout reads it.
pub(crate) fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

impl Step {
    /// The statement it runs.
    pub(crate) fn statement(&self) -> Statement {
        match self {
            Step::AddCheck => ADD_CHECK_ADD,
            Step::Repair => ADD_REPAIR_STEP,
            Step::ValidateCheck => ADD_CHECK_VALIDATE,
            Step::CreateIndex { role: RUNNING_INDEX, .. } => ADD_RUNNING_INDEX_CREATE,
            Step::CreateIndex { .. } => ADD_TASK_INDEX_CREATE,
            Step::DropIndex { .. } => ADD_INDEX_DROP,
            Step::DropCheck => ADD_CHECK_DROP,
        }
    }

    /// The object it works on (its role).
    pub(crate) fn object(&self) -> &'static str {
        match self {
            Step::AddCheck | Step::ValidateCheck | Step::DropCheck => CHECK_NAME,
            Step::CreateIndex { role, .. } | Step::DropIndex { role, .. } => role,
            Step::Repair => REPAIR_OBJECT,
        }
    }

    /// What it does, for the step list.
    pub(crate) fn label(&self) -> String {
        match self {
            Step::AddCheck => format!("add {CHECK_NAME} NOT VALID"),
            Step::Repair => "repair the rows (repair --all)".to_string(),
            Step::ValidateCheck => format!("validate {CHECK_NAME}"),
            Step::CreateIndex { name, .. } => format!("build {name} concurrently"),
            Step::DropIndex { name, .. } => format!("drop {name} concurrently"),
            Step::DropCheck => format!("drop {CHECK_NAME}"),
        }
    }

    /// The lock it takes on the table, and for how long.
    pub(crate) fn lock(&self) -> &'static str {
        match self {
            Step::AddCheck | Step::DropCheck => "ACCESS EXCLUSIVE, a catalog change only",
            Step::Repair => "the changed rows only, in short transactions; readers and writers go on",
            Step::ValidateCheck => "SHARE UPDATE EXCLUSIVE, one scan; readers and writers go on",
            Step::CreateIndex { .. } => "SHARE UPDATE EXCLUSIVE, two scans; readers and writers go on",
            Step::DropIndex { .. } => "SHARE UPDATE EXCLUSIVE; readers and writers go on",
        }
    }

    /// The bound on its waits.
    pub(crate) fn bound(&self) -> Bound {
        match self {
            Step::AddCheck | Step::DropCheck => Bound::Lock,
            Step::ValidateCheck | Step::CreateIndex { .. } | Step::DropIndex { .. } => Bound::Build,
            Step::Repair => Bound::Rows,
        }
    }

    /// The statement as it runs on the table of `fill` (quoted, schema-qualified) in `schema`: a
    /// build names its index (quoted), a drop the index in the schema (quoted, qualified).
    pub(crate) fn render(&self, fill: &Fill, schema: &str) -> Filled {
        let index = match self {
            Step::CreateIndex { name, .. } => quote_ident(name),
            Step::DropIndex { name, .. } => qualified(schema, name),
            _ => String::new(),
        };
        self.statement().filled(&fill.clone().with("index", index))
    }
}

/// `"schema"."name"`.
pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// The steps that take the table from its current objects to the three valid ones. Objects
/// with a problem (wrong definition, not enforceable, no name, partitioned) get none: the
/// command says why instead.
pub(crate) fn rollout_plan(constraints: &[ConstraintStatus]) -> Vec<Step> {
    let mut steps = Vec::new();
    for c in constraints.iter().filter(|c| !c.valid && c.problem.is_none()) {
        let (role, name) = (c.name, c.object.clone());
        match (c.name, c.exists) {
            (CHECK_NAME, false) => steps.extend([Step::AddCheck, Step::ValidateCheck]),
            // A NOT VALID CHECK already refuses new violations: only the old rows need a look.
            (CHECK_NAME, true) => steps.push(Step::ValidateCheck),
            (_, false) => steps.push(Step::CreateIndex { role, name }),
            // INVALID: IF NOT EXISTS would keep it, and REINDEX CONCURRENTLY cannot fix an
            // invalid index of a failed build reliably on every version: drop and rebuild. The
            // drop decides again when it runs (a build in progress is INVALID too).
            (_, true) => steps.extend([Step::DropIndex { role, name: name.clone() }, Step::CreateIndex { role, name }]),
        }
    }
    steps
}

/// `plan` with the repair of the rows (`--repair`) where it closes the window: right after the
/// CHECK is added NOT VALID, so no violating row can be written behind it, and before VALIDATE
/// and the index builds read the old rows; first when the CHECK is there already.
pub(crate) fn with_repair(mut plan: Vec<Step>) -> Vec<Step> {
    let at = plan.iter().position(|s| *s == Step::AddCheck).map_or(0, |i| i + 1);
    plan.insert(at, Step::Repair);
    plan
}

/// `plan` with the `uniq_task_id` steps right after the CHECK is added NOT VALID (first when
/// the CHECK exists), when the check of the data before the steps left repeated task_ids for
/// that build to find (`sql/add_constraints/data_gate.sql`): a build that finds one then fails
/// before VALIDATE and the other build ran, its INVALID index is dropped, and so is the CHECK
/// just added. The ADD stays first: when a long transaction holds the table, its short lock
/// timeout stops the rollout in seconds, before any build waits for that transaction.
pub(crate) fn task_index_first(plan: Vec<Step>) -> Vec<Step> {
    let (task, mut rest): (Vec<Step>, Vec<Step>) = plan.into_iter().partition(|s| s.object() == TASK_INDEX);
    let at = rest.iter().position(|s| *s == Step::AddCheck).map_or(0, |i| i + 1);
    rest.splice(at..at, task);
    rest
}

/// The steps that remove whichever of this table's three objects exist.
pub(crate) fn rollback_plan(constraints: &[ConstraintStatus]) -> Vec<Step> {
    constraints
        .iter()
        .filter(|c| c.exists)
        .map(|c| {
            if c.name == CHECK_NAME {
                Step::DropCheck
            } else {
                Step::DropIndex { role: c.name, name: c.object.clone() }
            }
        })
        .collect()
}

/// Objects the command cannot go past before any DDL (exit 2): a wrong definition (never
/// trusted, dropped or kept, in a rollout or a rollback), or, for a rollout, no name left for an
/// index. The message names each object, its definition and what it should be; the hint, the
/// statements that move it aside.
pub(crate) fn refuse_before_ddl(table: &Table, rollback: bool) -> Result<()> {
    let mut objects = Vec::new();
    let mut statements = Vec::new();
    for c in &table.constraints {
        match &c.problem {
            Some(Problem::WrongDefinition(why)) => {
                objects.push(format!(
                    "  {} {} on {}: wrong definition: {}\n    {why}",
                    c.kind,
                    c.object,
                    table.display(),
                    c.definition.as_deref().unwrap_or("?")
                ));
                if c.name == CHECK_NAME {
                    objects.push(format!("    it should be CHECK ({CHECK_PREDICATE})"));
                }
                statements.push(move_aside(table, c));
            }
            Some(Problem::NameTaken(why)) if !rollback => {
                objects.push(format!("  unique index {}: no name for it: {why}", c.name));
            }
            _ => {}
        }
    }
    if objects.is_empty() {
        return Ok(());
    }
    let mut hint = String::from(
        "syncctl neither trusts, drops nor keeps an object it did not make: look at what uses it, then move it aside \
         and rerun:",
    );
    for s in &statements {
        hint.push_str(&format!("\n    {s}"));
    }
    Err(UsageError::with_hint(
        format!(
            "nothing was changed: objects on {} carry the rollout's names but not its definitions:\n{}",
            table.display(),
            objects.join("\n")
        ),
        hint,
    ))
}

/// The statements that move object `c` of `table` aside: rename it, or drop it.
fn move_aside(table: &Table, c: &ConstraintStatus) -> String {
    let t = table.quoted();
    if c.name == CHECK_NAME {
        format!(
            "ALTER TABLE {t} RENAME CONSTRAINT {} TO {};  or  ALTER TABLE {t} DROP CONSTRAINT {};",
            quote_ident(&c.object),
            quote_ident(&format!("{}_old", c.object)),
            quote_ident(&c.object)
        )
    } else {
        let index = qualified(&table.schema, &c.object);
        format!(
            "ALTER INDEX {index} RENAME TO {};  or  DROP INDEX CONCURRENTLY {index};",
            quote_ident(&format!("{}_old", c.object))
        )
    }
}

/// The objects the rollout leaves out because PostgreSQL cannot enforce them here, or syncctl
/// cannot build them on a partitioned table: (role, what to say).
pub(crate) fn left_out(constraints: &[ConstraintStatus]) -> Vec<(&'static str, String)> {
    constraints
        .iter()
        .filter_map(|c| match &c.problem {
            Some(Problem::NotEnforceable(why)) => {
                Some((c.name, format!("PostgreSQL cannot enforce {}: {why}", c.name)))
            }
            Some(Problem::PartitionedBuild(why)) => {
                Some((c.name, format!("syncctl cannot build {} here without blocking writers: {why}", c.name)))
            }
            _ => None,
        })
        .collect()
}

/// The `SET lock_timeout` of a bound, with its comment, as the script and `--dry-run` show it
/// (none for repair's rows: repair sets its own, per transaction).
pub(crate) fn lock_timeout_sql(bound: Bound, bounds: &Bounds) -> String {
    match bound {
        Bound::Rows => String::new(),
        Bound::Lock => ADD_SCRIPT_LOCK_WAIT.render(&Fill::default().with("lock_timeout", millis(bounds.lock_timeout))),
        Bound::Build => ADD_SCRIPT_BUILD_WAIT.render(&Fill::default().with("build_wait", millis(bounds.build_wait))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &'static str, exists: bool, valid: bool) -> ConstraintStatus {
        ConstraintStatus::example(name, exists, valid)
    }

    fn create(role: &'static str) -> Step {
        Step::CreateIndex { role, name: role.to_string() }
    }

    fn drop(role: &'static str) -> Step {
        Step::DropIndex { role, name: role.to_string() }
    }

    #[test]
    fn the_plan_follows_the_current_state() {
        let none =
            [status(CHECK_NAME, false, false), status(RUNNING_INDEX, false, false), status(TASK_INDEX, false, false)];
        assert_eq!(
            rollout_plan(&none),
            vec![Step::AddCheck, Step::ValidateCheck, create(RUNNING_INDEX), create(TASK_INDEX)]
        );
        assert!(rollback_plan(&none).is_empty());

        let half =
            [status(CHECK_NAME, true, false), status(RUNNING_INDEX, true, true), status(TASK_INDEX, true, false)];
        assert_eq!(rollout_plan(&half), vec![Step::ValidateCheck, drop(TASK_INDEX), create(TASK_INDEX)]);
        assert_eq!(rollback_plan(&half), vec![Step::DropCheck, drop(RUNNING_INDEX), drop(TASK_INDEX)]);

        let all = [status(CHECK_NAME, true, true), status(RUNNING_INDEX, true, true), status(TASK_INDEX, true, true)];
        assert!(rollout_plan(&all).is_empty());
    }

    #[test]
    fn when_the_build_checks_the_task_ids_its_steps_follow_the_add_and_the_rest_keeps_its_order() {
        let none =
            [status(CHECK_NAME, false, false), status(RUNNING_INDEX, false, false), status(TASK_INDEX, true, false)];
        assert_eq!(
            task_index_first(rollout_plan(&none)),
            vec![Step::AddCheck, drop(TASK_INDEX), create(TASK_INDEX), Step::ValidateCheck, create(RUNNING_INDEX)]
        );
        let checked =
            [status(CHECK_NAME, true, true), status(RUNNING_INDEX, false, false), status(TASK_INDEX, false, false)];
        assert_eq!(task_index_first(rollout_plan(&checked)), vec![create(TASK_INDEX), create(RUNNING_INDEX)]);
    }

    #[test]
    fn objects_with_a_problem_get_no_step_and_a_wrong_one_stops_everything() {
        let mut wrong = status(RUNNING_INDEX, true, false);
        wrong.problem = Some(Problem::WrongDefinition("it has key (user_id, task_id)".into()));
        let mut out = status(TASK_INDEX, false, false);
        out.problem = Some(Problem::NotEnforceable("partitioned by LIST (sync_type)".into()));
        let mut own = status(TASK_INDEX, false, false);
        own.object = "t_uniq_task_id".into();
        assert_eq!(rollout_plan(&[wrong.clone(), out.clone()]), vec![]);
        assert_eq!(rollout_plan(&[own]), vec![Step::CreateIndex { role: TASK_INDEX, name: "t_uniq_task_id".into() }]);
        assert_eq!(left_out(&[wrong, out]).len(), 1);
    }

    #[test]
    fn the_repair_comes_right_after_the_check_is_added_and_before_anything_reads_the_old_rows() {
        let none =
            [status(CHECK_NAME, false, false), status(RUNNING_INDEX, false, false), status(TASK_INDEX, false, false)];
        assert_eq!(
            with_repair(rollout_plan(&none)),
            vec![Step::AddCheck, Step::Repair, Step::ValidateCheck, create(RUNNING_INDEX), create(TASK_INDEX)]
        );
        let not_valid =
            [status(CHECK_NAME, true, false), status(RUNNING_INDEX, true, true), status(TASK_INDEX, false, false)];
        assert_eq!(with_repair(rollout_plan(&not_valid)), vec![Step::Repair, Step::ValidateCheck, create(TASK_INDEX)]);
        assert_eq!(Step::Repair.bound(), Bound::Rows);
    }

    #[test]
    fn steps_have_their_bounds() {
        let bounds = Bounds { lock_timeout: Duration::from_secs(2), retries: 5, build_wait: Duration::from_secs(600) };
        assert_eq!(Step::AddCheck.bound(), Bound::Lock);
        assert_eq!(Step::DropCheck.bound(), Bound::Lock);
        for step in [Step::ValidateCheck, create(TASK_INDEX), drop(TASK_INDEX)] {
            assert_eq!(step.bound(), Bound::Build, "{step:?}");
        }
        assert_eq!(bounds.waits_at_most(Bound::Lock), "--lock-timeout 2s, 5 attempts");
        assert_eq!(bounds.waits_at_most(Bound::Build), "--build-wait 10m");
        assert_eq!(bounds.attempts(Bound::Build), 1);
        assert!(lock_timeout_sql(Bound::Build, &bounds).contains("SET lock_timeout = '600000ms'"));
    }

    #[test]
    fn steps_render_quoted_names() {
        let p = Fill::default().with("table", "\"Sync Ops\".\"user_sync_status\"");
        let sql = String::from(drop(TASK_INDEX).render(&p, "Sync Ops"));
        assert!(sql.ends_with("DROP INDEX CONCURRENTLY IF EXISTS \"Sync Ops\".\"uniq_task_id\"\n"), "{sql}");
        let sql = String::from(Step::CreateIndex { role: RUNNING_INDEX, name: "t\"x".into() }.render(&p, "Sync Ops"));
        assert!(
            sql.contains("IF NOT EXISTS \"t\"\"x\"\n  ON \"Sync Ops\".\"user_sync_status\" (\"user_id\") WHERE"),
            "{sql}"
        );
    }
}
