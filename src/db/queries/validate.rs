//! The statements of validate-constraints.
