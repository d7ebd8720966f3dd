//! Command-line front end (being written).
