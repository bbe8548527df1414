//! The statements of demo.
