//! How repair's report is shown.
