//! How health's report is shown.
