//! How add_constraints's report is shown.
