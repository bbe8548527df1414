//! `start` tests: not written yet.
