//! The CLI integration tests: one test binary driving the built `syncctl` against a real
//! PostgreSQL server, with the harness in `support`.

mod harness;
mod health;
mod inspect;
mod support;
mod validate;
