//! Enums of package `Authentication` used by the login flow.

/// Where a Login v3 flow stands; drives the client state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum LoginState {
    /// Keeper `INVALID_LOGINSTATE`.
    InvalidLoginstate = 0,
    /// Keeper `LOGGED_OUT`.
    LoggedOut = 1,
    /// Keeper `DEVICE_APPROVAL_REQUIRED`.
    DeviceApprovalRequired = 2,
    /// Keeper `DEVICE_LOCKED`.
    DeviceLocked = 3,
    /// Keeper `ACCOUNT_LOCKED`.
    AccountLocked = 4,
    /// Keeper `DEVICE_ACCOUNT_LOCKED`.
    DeviceAccountLocked = 5,
    /// Keeper `UPGRADE`.
    Upgrade = 6,
    /// Keeper `LICENSE_EXPIRED`.
    LicenseExpired = 7,
    /// Keeper `REGION_REDIRECT`.
    RegionRedirect = 8,
    /// Keeper `REDIRECT_CLOUD_SSO`.
    RedirectCloudSso = 9,
    /// Keeper `REDIRECT_ONSITE_SSO`.
    RedirectOnsiteSso = 10,
    /// Keeper `REQUIRES_2FA`.
    Requires2fa = 12,
    /// Keeper `REQUIRES_AUTH_HASH`.
    RequiresAuthHash = 13,
    /// Keeper `REQUIRES_USERNAME`.
    RequiresUsername = 14,
    /// Keeper `AFTER_CLOUD_SSO_LOGIN`.
    AfterCloudSsoLogin = 15,
    /// Keeper `REQUIRES_ACCOUNT_CREATION`.
    RequiresAccountCreation = 16,
    /// Keeper `REQUIRES_DEVICE_ENCRYPTED_DATA_KEY`.
    RequiresDeviceEncryptedDataKey = 17,
    /// Keeper `LOGIN_TOKEN_EXPIRED`.
    LoginTokenExpired = 18,
    /// Keeper `PASSKEY_INITIATE_CHALLENGE`.
    PasskeyInitiateChallenge = 19,
    /// Keeper `PASSKEY_AUTH_REQUIRED`.
    PasskeyAuthRequired = 20,
    /// Keeper `PASSKEY_VERIFY_AUTHENTICATION`.
    PasskeyVerifyAuthentication = 21,
    /// Keeper `AFTER_PASSKEY_LOGIN`.
    AfterPasskeyLogin = 22,
    /// Keeper `LOGGED_IN`.
    LoggedIn = 99,
}

/// How `LoginResponse.encryptedDataKey` is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum EncryptedDataKeyType {
    /// Keeper `NO_KEY`.
    NoKey = 0,
    /// Keeper `BY_DEVICE_PUBLIC_KEY`.
    ByDevicePublicKey = 1,
    /// Keeper `BY_PASSWORD`.
    ByPassword = 2,
    /// Keeper `BY_ALTERNATE`.
    ByAlternate = 3,
    /// Keeper `BY_BIO`.
    ByBio = 4,
}

/// Kind of login requested in `StartLoginRequest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum LoginType {
    /// Keeper `NORMAL`.
    Normal = 0,
    /// Keeper `SSO`.
    Sso = 1,
    /// Keeper `BIO`.
    Bio = 2,
    /// Keeper `ALTERNATE`.
    Alternate = 3,
    /// Keeper `OFFLINE`.
    Offline = 4,
    /// Keeper `FORGOT_PASSWORD`.
    ForgotPassword = 5,
    /// Keeper `PASSKEY_BIO`.
    PasskeyBio = 6,
}

/// How the login was initiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum LoginMethod {
    /// Keeper `INVALID_LOGINMETHOD`.
    InvalidLoginmethod = 0,
    /// Keeper `EXISTING_ACCOUNT`.
    ExistingAccount = 1,
    /// Keeper `SSO_DOMAIN`.
    SsoDomain = 2,
    /// Keeper `AFTER_SSO`.
    AfterSso = 3,
    /// Keeper `NEW_ACCOUNT`.
    NewAccount = 4,
}

/// Restriction attached to a session token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum SessionTokenType {
    /// Keeper `NO_RESTRICTION`.
    NoRestriction = 0,
    /// Keeper `ACCOUNT_RECOVERY`.
    AccountRecovery = 1,
    /// Keeper `SHARE_ACCOUNT`.
    ShareAccount = 2,
    /// Keeper `PURCHASE`.
    Purchase = 3,
    /// Keeper `RESTRICT`.
    Restrict = 4,
    /// Keeper `ACCEPT_INVITE`.
    AcceptInvite = 5,
    /// Keeper `SUPPORT_SERVER`.
    SupportServer = 6,
    /// Keeper `ENTERPRISE_CREATION`.
    EnterpriseCreation = 7,
    /// Keeper `EXPIRED_BUT_ALLOWED_TO_SYNC`.
    ExpiredButAllowedToSync = 8,
    /// Keeper `ACCEPT_FAMILY_INVITE`.
    AcceptFamilyInvite = 9,
    /// Keeper `ENTERPRISE_CREATION_PURCHASED`.
    EnterpriseCreationPurchased = 10,
    /// Keeper `EMERGENCY_ACCESS`.
    EmergencyAccess = 11,
}

/// Approval state of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum DeviceStatus {
    /// Keeper `DEVICE_NEEDS_APPROVAL`.
    DeviceNeedsApproval = 0,
    /// Keeper `DEVICE_OK`.
    DeviceOk = 1,
    /// Keeper `DEVICE_DISABLED_BY_USER`.
    DeviceDisabledByUser = 2,
    /// Keeper `DEVICE_LOCKED_BY_ADMIN`.
    DeviceLockedByAdmin = 3,
}

/// How the auth hash was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum PasswordMethod {
    /// Keeper `ENTERED`.
    Entered = 0,
    /// Keeper `BIOMETRICS`.
    Biometrics = 1,
}

/// Device form factor reported at registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum ClientFormFactor {
    /// Keeper `FF_EMPTY`.
    FfEmpty = 0,
    /// Keeper `FF_PHONE`.
    FfPhone = 1,
    /// Keeper `FF_TABLET`.
    FfTablet = 2,
    /// Keeper `FF_WATCH`.
    FfWatch = 3,
}

/// Kind of second-factor channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum TwoFactorChannelType {
    /// Keeper `TWO_FA_CT_NONE`.
    TwoFaCtNone = 0,
    /// Keeper `TWO_FA_CT_TOTP`.
    TwoFaCtTotp = 1,
    /// Keeper `TWO_FA_CT_SMS`.
    TwoFaCtSms = 2,
    /// Keeper `TWO_FA_CT_DUO`.
    TwoFaCtDuo = 3,
    /// Keeper `TWO_FA_CT_RSA`.
    TwoFaCtRsa = 4,
    /// Keeper `TWO_FA_CT_BACKUP`.
    TwoFaCtBackup = 5,
    /// Keeper `TWO_FA_CT_U2F`.
    TwoFaCtU2f = 6,
    /// Keeper `TWO_FA_CT_WEBAUTHN`.
    TwoFaCtWebauthn = 7,
    /// Keeper `TWO_FA_CT_KEEPER`.
    TwoFaCtKeeper = 8,
    /// Keeper `TWO_FA_CT_DNA`.
    TwoFaCtDna = 9,
}

/// Kind of second-factor value submitted to `2fa_validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum TwoFactorValueType {
    /// Keeper `TWO_FA_CODE_NONE`.
    TwoFaCodeNone = 0,
    /// Keeper `TWO_FA_CODE_TOTP`.
    TwoFaCodeTotp = 1,
    /// Keeper `TWO_FA_CODE_SMS`.
    TwoFaCodeSms = 2,
    /// Keeper `TWO_FA_CODE_DUO`.
    TwoFaCodeDuo = 3,
    /// Keeper `TWO_FA_CODE_RSA`.
    TwoFaCodeRsa = 4,
    /// Keeper `TWO_FA_RESP_U2F`.
    TwoFaRespU2f = 5,
    /// Keeper `TWO_FA_RESP_WEBAUTHN`.
    TwoFaRespWebauthn = 6,
    /// Keeper `TWO_FA_CODE_DNA`.
    TwoFaCodeDna = 7,
}

/// Kind of push requested from `2fa_send_push`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum TwoFactorPushType {
    /// Keeper `TWO_FA_PUSH_NONE`.
    TwoFaPushNone = 0,
    /// Keeper `TWO_FA_PUSH_SMS`.
    TwoFaPushSms = 1,
    /// Keeper `TWO_FA_PUSH_KEEPER`.
    TwoFaPushKeeper = 2,
    /// Keeper `TWO_FA_PUSH_DUO_PUSH`.
    TwoFaPushDuoPush = 3,
    /// Keeper `TWO_FA_PUSH_DUO_TEXT`.
    TwoFaPushDuoText = 4,
    /// Keeper `TWO_FA_PUSH_DUO_CALL`.
    TwoFaPushDuoCall = 5,
    /// Keeper `TWO_FA_PUSH_DNA`.
    TwoFaPushDna = 6,
}

/// How long a validated second factor is remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum TwoFactorExpiration {
    /// Keeper `TWO_FA_EXP_IMMEDIATELY`.
    TwoFaExpImmediately = 0,
    /// Keeper `TWO_FA_EXP_5_MINUTES`.
    TwoFaExp5Minutes = 1,
    /// Keeper `TWO_FA_EXP_12_HOURS`.
    TwoFaExp12Hours = 2,
    /// Keeper `TWO_FA_EXP_24_HOURS`.
    TwoFaExp24Hours = 3,
    /// Keeper `TWO_FA_EXP_30_DAYS`.
    TwoFaExp30Days = 4,
    /// Keeper `TWO_FA_EXP_NEVER`.
    TwoFaExpNever = 5,
}

/// Keeper data-center region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum Region {
    /// Keeper `UNKNOWN`.
    Unknown = 0,
    /// Keeper `eu`.
    Eu = 1,
    /// Keeper `us`.
    Us = 2,
    /// Keeper `usgov`.
    Usgov = 3,
    /// Keeper `au`.
    Au = 4,
    /// Keeper `jp`.
    Jp = 5,
    /// Keeper `ca`.
    Ca = 6,
}
