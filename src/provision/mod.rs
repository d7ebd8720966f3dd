//! The provisioning plan (being written).
