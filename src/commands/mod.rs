//! One module per subcommand, each with one entry function `run`.

pub mod add_constraints;
pub mod completions;
pub mod demo;
pub mod health;
pub mod inspect;
pub mod reap;
pub mod repair;
pub mod start;
pub mod validate;
