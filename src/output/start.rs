//! How start's report is shown.
