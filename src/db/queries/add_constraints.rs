//! The statements of add-constraints.
