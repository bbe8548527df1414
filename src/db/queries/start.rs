//! The statements of start.
