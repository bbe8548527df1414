//! The statements of reap.
