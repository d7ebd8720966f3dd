//! The Keeper API emulator (being written).
