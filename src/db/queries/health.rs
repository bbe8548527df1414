//! The statements of health.
