//! The CLI integration tests: one test binary driving the built `syncctl` against a real
//! PostgreSQL server, with the harness in `support`.

mod add_constraints;

mod bench_smoke;

mod chaos;

mod children;

mod demo;

mod guard;

mod harness;

mod health;

mod help;

mod hostile;

mod inspect;

mod messages;

mod pooler;

mod privileges;

mod pty;

mod reap;

mod repair;

mod shapes;

mod standby;

mod startup;

mod start;

mod support;

mod temp_files;

mod tls;

mod validate;
