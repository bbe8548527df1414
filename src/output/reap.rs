//! How reap's report is shown.
