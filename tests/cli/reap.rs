//! `reap` tests: not written yet.
