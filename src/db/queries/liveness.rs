//! The statements of the liveness lock.
