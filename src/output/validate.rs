//! How validate's report is shown.
