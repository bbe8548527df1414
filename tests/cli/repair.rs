//! `repair` tests: not written yet.
