//! Package `Enterprise` (enterprise.proto): only the KSM client type is needed here.

/// Kind of KSM application client; gateways are `DiscoveryAndRotationController`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum AppClientType {
    /// Keeper `NOT_USED`.
    NotUsed = 0,
    /// Keeper `GENERAL`.
    General = 1,
    /// Keeper `DISCOVERY_AND_ROTATION_CONTROLLER`.
    DiscoveryAndRotationController = 2,
    /// Keeper `KCM_CONTROLLER`.
    KcmController = 3,
    /// Keeper `SELF_DESTRUCT`.
    SelfDestruct = 4,
}
