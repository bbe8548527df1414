//! The statements of repair.
