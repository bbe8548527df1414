//! `add_constraints` tests: not written yet.
