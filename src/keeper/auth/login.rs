//! The Login v3 driver: `start_login`, region redirects, device re-registration and the
//! decision what each `LoginResponse` means (protocol-transport-login.md §4.5–§4.8).
//!
//! Interactive states become step types (see `steps`); everything else is decided here.

use zeroize::Zeroizing;

use super::device::{
    register_device, register_device_in_region, CloneCode, DeviceCredentials,
    NOT_REGISTERED_IN_REGION,
};
use super::outcome::{LoginDenied, LoginOutcome, SessionRestriction, TwoFactorChannel};
use super::session::{decrypt_account_keys, load_account_summary, Session, SessionParts};
use super::sso::SsoRedirect;
use super::steps::{DeviceApprovalStep, PasswordStep, TwoFactorStep};
use super::{AuthError, DEFAULT_DEVICE_NAME};
use crate::keeper::crypto::{
    aes_gcm_decrypt, decrypt_encryption_params, ecies_decrypt, keyhash_v2, random_bytes, AesKey,
};
use crate::keeper::proto::authentication::{
    EncryptedDataKeyType, LoginMethod, LoginResponse, LoginState, LoginType, Salt,
    StartLoginRequest,
};
use crate::keeper::server::Server;
use crate::keeper::transport::{SessionToken, Transport, TransportError};

/// Keeper's domain string for the BY_ALTERNATE data-key hash (§4.6).
const ALTERNATE_DATA_KEY_DOMAIN: &str = "data_key";
/// Upper bound on server round trips the driver follows without user input.
const MAX_AUTOMATIC_ROUNDS: usize = 4;

/// Choices the caller makes once per login.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Device name registered for a new device.
    pub device_name: String,
    /// Log an SSO user in with their master password (`LoginType.ALTERNATE`).
    pub alternate_password: bool,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            device_name: DEFAULT_DEVICE_NAME.to_owned(),
            alternate_password: false,
        }
    }
}

/// Starts a password login for `username`. Without `device` a new device is registered first.
pub async fn start_login(
    transport: &Transport,
    device: Option<DeviceCredentials>,
    username: &str,
    options: &LoginOptions,
) -> Result<LoginOutcome, AuthError> {
    let flow = LoginFlow::new(transport, device, username, options).await?;
    flow.run(Pending::Start {
        login_token: None,
        clone_code: None,
    })
    .await
}

/// Starts a login and answers the password step once; any other step is returned as is.
pub async fn login_with_password(
    transport: &Transport,
    device: Option<DeviceCredentials>,
    username: &str,
    password: &str,
    options: &LoginOptions,
) -> Result<LoginOutcome, AuthError> {
    match start_login(transport, device, username, options).await? {
        LoginOutcome::NeedsPassword(step) => step.verify(password).await,
        other => Ok(other),
    }
}

/// Resumes a session without the password using the device's stored clone code
/// ("persistent login", §4.8). Usually ends `LoggedIn`; after the logout timer it asks again.
pub async fn resume_login(
    transport: &Transport,
    device: DeviceCredentials,
    options: &LoginOptions,
) -> Result<LoginOutcome, AuthError> {
    let clone_code = device.clone_code.clone().ok_or(AuthError::NoCloneCode)?;
    let username = device.username.clone().unwrap_or_default();
    let flow = LoginFlow::new(transport, Some(device), &username, options).await?;
    flow.run(Pending::Start {
        login_token: None,
        clone_code: Some(clone_code),
    })
    .await
}

/// State shared by every step of one login.
#[derive(Clone)]
pub(crate) struct LoginFlow {
    pub(crate) transport: Transport,
    pub(crate) device: DeviceCredentials,
    /// Lower-cased account email; for a clone-code resume the stored one (maybe empty).
    pub(crate) username: String,
    pub(crate) login_type: LoginType,
    /// EXISTING_ACCOUNT, or AFTER_SSO once an SSO token was accepted.
    pub(crate) login_method: LoginMethod,
    pub(crate) message_session_uid: Vec<u8>,
    pub(crate) device_name: String,
    /// Set once the password was accepted, to decrypt a BY_PASSWORD / BY_ALTERNATE data key.
    pub(crate) password: Option<Zeroizing<String>>,
    pub(crate) salt: Option<Salt>,
}

/// What the driver does next.
pub(crate) enum Pending {
    /// Send `start_login` (first time, or resuming with a login token / clone code).
    Start {
        login_token: Option<Vec<u8>>,
        clone_code: Option<CloneCode>,
    },
    /// Interpret a `LoginResponse` an interactive step already received.
    Response(Box<LoginResponse>),
}

impl LoginFlow {
    async fn new(
        transport: &Transport,
        device: Option<DeviceCredentials>,
        username: &str,
        options: &LoginOptions,
    ) -> Result<LoginFlow, AuthError> {
        let device = match device {
            Some(device) => device,
            None => register_device(transport, &options.device_name).await?,
        };
        let username = username.trim().to_lowercase();
        Ok(LoginFlow {
            transport: transport.clone(),
            device,
            username,
            login_type: if options.alternate_password {
                LoginType::Alternate
            } else {
                LoginType::Normal
            },
            login_method: LoginMethod::ExistingAccount,
            message_session_uid: random_bytes(16),
            device_name: options.device_name.clone(),
            password: None,
            salt: None,
        })
    }

    /// Follows the server until it needs the user or the login is over.
    pub(crate) async fn run(mut self, mut pending: Pending) -> Result<LoginOutcome, AuthError> {
        for _ in 0..MAX_AUTOMATIC_ROUNDS {
            let response = match pending {
                Pending::Response(response) => *response,
                Pending::Start {
                    login_token,
                    clone_code,
                } => match self
                    .send_start_login(login_token.as_deref(), clone_code.as_ref())
                    .await?
                {
                    Started::Response(response) => *response,
                    Started::RedirectedAgain(host) => {
                        return Ok(LoginOutcome::RegionRedirect { host })
                    }
                },
            };
            match self.interpret(response).await? {
                Next::Done(outcome) => return Ok(*outcome),
                Next::Resume(login_token) => {
                    pending = Pending::Start {
                        login_token: Some(login_token),
                        clone_code: None,
                    }
                }
            }
        }
        Err(AuthError::BadResponse(
            "the login did not settle after several rounds".to_owned(),
        ))
    }

    /// `start_login`, switching region or re-registering the device once when told to.
    async fn send_start_login(
        &mut self,
        login_token: Option<&[u8]>,
        clone_code: Option<&CloneCode>,
    ) -> Result<Started, AuthError> {
        let mut redirected = false;
        let mut reregistered = false;
        // Commander drops the clone code once the login moves to another region (it is bound to
        // the old one) and logs in there with the username (`loginv3.py` startLoginMessage).
        let mut clone_code = clone_code;
        loop {
            let request = self.start_login_request(login_token, clone_code);
            let result = self
                .transport
                .execute_proto::<_, LoginResponse>("authentication/start_login", &request, None)
                .await;
            let redirect_host = match result {
                Ok(response) if response.login_state == LoginState::RegionRedirect as i32 => {
                    response.state_specific_value
                }
                Ok(response) => return Ok(Started::Response(Box::new(response))),
                Err(TransportError::RegionRedirect { host }) => host,
                Err(TransportError::DeviceNotRegistered { additional_info }) if !reregistered => {
                    reregistered = true;
                    self.recover_device(additional_info.as_deref(), clone_code.is_some())
                        .await?;
                    if additional_info.as_deref() == Some(NOT_REGISTERED_IN_REGION) {
                        clone_code = None;
                    }
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            if redirected {
                return Ok(Started::RedirectedAgain(redirect_host));
            }
            redirected = true;
            clone_code = None;
            self.switch_region(&redirect_host).await?;
        }
    }

    fn start_login_request(
        &self,
        login_token: Option<&[u8]>,
        clone_code: Option<&CloneCode>,
    ) -> StartLoginRequest {
        StartLoginRequest {
            encrypted_device_token: self.device.device_token.as_bytes().to_vec(),
            // Commander sends a clone code without a username.
            username: match (login_token, clone_code) {
                (None, Some(_)) => String::new(),
                _ => self.username.clone(),
            },
            client_version: self.transport.client_version().to_owned(),
            message_session_uid: self.message_session_uid.clone(),
            encrypted_login_token: login_token.map(<[u8]>::to_vec).unwrap_or_default(),
            login_type: self.login_type as i32,
            login_method: self.login_method as i32,
            clone_code: clone_code
                .map(|c| c.as_bytes().to_vec())
                .unwrap_or_default(),
            ..StartLoginRequest::default()
        }
    }

    /// Moves the login (transport and device) to `host` and registers the device there.
    async fn switch_region(&mut self, host: &str) -> Result<(), AuthError> {
        let server = Server::from_host(host).map_err(AuthError::InvalidRedirect)?;
        tracing::debug!(host = server.host(), "region redirect");
        self.transport.set_server(server.clone());
        self.device.server = server;
        register_device_in_region(&self.transport, &self.device, &self.device_name).await
    }

    /// Reacts to `device_not_registered`: register in this region, or as a new device (§1.6).
    async fn recover_device(
        &mut self,
        additional_info: Option<&str>,
        resuming_with_clone_code: bool,
    ) -> Result<(), AuthError> {
        if additional_info == Some(NOT_REGISTERED_IN_REGION) {
            self.device.server = self.transport.server();
            return register_device_in_region(&self.transport, &self.device, &self.device_name)
                .await;
        }
        if resuming_with_clone_code {
            // A clone code is bound to the old device; a new one cannot resume with it.
            return Err(TransportError::DeviceNotRegistered {
                additional_info: additional_info.map(str::to_owned),
            }
            .into());
        }
        let username = self.device.username.clone();
        self.device = register_device(&self.transport, &self.device_name).await?;
        self.device.username = username;
        Ok(())
    }

    /// Decides what a `LoginResponse` means.
    async fn interpret(&mut self, response: LoginResponse) -> Result<Next, AuthError> {
        let state = response.login_state;
        let outcome = match LoginState::try_from(state) {
            Ok(LoginState::LoggedIn) => self.finish(response).await?,
            Ok(LoginState::RequiresUsername) => {
                if self.username.is_empty() {
                    denied(LoginDenied::UsernameRequired, response.message)
                } else {
                    return Ok(Next::Resume(response.encrypted_login_token));
                }
            }
            Ok(LoginState::RequiresAuthHash) if response.salt.is_empty() => {
                denied(LoginDenied::AccountRecoveryRequired, response.message)
            }
            Ok(LoginState::RequiresAuthHash) => LoginOutcome::NeedsPassword(PasswordStep::new(
                self.clone(),
                response.encrypted_login_token,
                response.salt,
            )),
            Ok(LoginState::Requires2fa) => LoginOutcome::NeedsTwoFactor(TwoFactorStep::new(
                self.clone(),
                response.encrypted_login_token,
                response
                    .channels
                    .iter()
                    .map(TwoFactorChannel::from)
                    .collect(),
            )),
            Ok(LoginState::DeviceApprovalRequired) => LoginOutcome::NeedsDeviceApproval(
                DeviceApprovalStep::new(self.clone(), response.encrypted_login_token),
            ),
            Ok(LoginState::RequiresDeviceEncryptedDataKey) => LoginOutcome::NeedsDeviceDataKey(
                DeviceApprovalStep::new(self.clone(), response.encrypted_login_token),
            ),
            Ok(LoginState::RedirectCloudSso) => {
                LoginOutcome::NeedsSso(SsoRedirect::new(self.clone(), response.url, false))
            }
            Ok(LoginState::RedirectOnsiteSso) => {
                LoginOutcome::NeedsSso(SsoRedirect::new(self.clone(), response.url, true))
            }
            Ok(LoginState::RegionRedirect) => LoginOutcome::RegionRedirect {
                host: response.state_specific_value,
            },
            _ => match LoginDenied::from_state(state) {
                Some(reason) => denied(reason, response.message),
                None => denied(LoginDenied::Unsupported(state), response.message),
            },
        };
        Ok(Next::Done(Box::new(outcome)))
    }

    /// LOGGED_IN: decrypt the data key, load the account summary and the user's keys.
    async fn finish(&mut self, response: LoginResponse) -> Result<LoginOutcome, AuthError> {
        if let Some(restriction) = SessionRestriction::from_token_type(response.session_token_type)
        {
            return Ok(LoginOutcome::Restricted {
                restriction,
                message: response.message,
            });
        }
        if response.encrypted_session_token.is_empty() {
            return Err(AuthError::BadResponse(
                "LOGGED_IN without a session token".to_owned(),
            ));
        }
        let data_key = self.decrypt_data_key(&response)?;
        let session_token = SessionToken::new(response.encrypted_session_token);
        let username = if response.primary_username.is_empty() {
            self.username.clone()
        } else {
            response.primary_username
        };

        let mut device = self.device.clone();
        device.server = self.transport.server();
        device.username = Some(username.clone());
        if !response.clone_code.is_empty() {
            device.clone_code = Some(CloneCode::new(response.clone_code));
        }

        let account_summary = load_account_summary(&self.transport, &session_token).await?;
        let keys = decrypt_account_keys(&account_summary, &data_key)?;
        Ok(LoginOutcome::LoggedIn(Box::new(Session::from_parts(
            SessionParts {
                transport: self.transport.clone(),
                session_token,
                username,
                account_uid: response.account_uid,
                data_key,
                rsa_private_key: keys.rsa_private_key,
                ecc_private_key: keys.ecc_private_key,
                ecc_public_key: keys.ecc_public_key,
                device: Some(device),
                account_summary,
            },
        ))))
    }

    /// Unwraps the data key the way `encryptedDataKeyType` says (§4.6).
    fn decrypt_data_key(&self, response: &LoginResponse) -> Result<AesKey, AuthError> {
        let encrypted = &response.encrypted_data_key;
        let crypto = |source| AuthError::Crypto {
            what: "data key",
            source,
        };
        let key_type = response.encrypted_data_key_type;
        match EncryptedDataKeyType::try_from(key_type) {
            Ok(EncryptedDataKeyType::ByDevicePublicKey) => {
                let bytes = Zeroizing::new(
                    ecies_decrypt(&self.device.device_private_key, encrypted).map_err(crypto)?,
                );
                AesKey::from_slice(&bytes).map_err(crypto)
            }
            Ok(EncryptedDataKeyType::ByPassword) => {
                let password = self.password.as_ref().ok_or(AuthError::PasswordRequired)?;
                decrypt_encryption_params(password, encrypted).map_err(crypto)
            }
            Ok(EncryptedDataKeyType::ByAlternate) => {
                let password = self.password.as_ref().ok_or(AuthError::PasswordRequired)?;
                let salt = self.salt.as_ref().ok_or(AuthError::PasswordRequired)?;
                let iterations = salt_iterations(salt)?;
                let key = keyhash_v2(ALTERNATE_DATA_KEY_DOMAIN, password, &salt.salt, iterations);
                let bytes = Zeroizing::new(aes_gcm_decrypt(&key, encrypted).map_err(crypto)?);
                AesKey::from_slice(&bytes).map_err(crypto)
            }
            _ => Err(AuthError::UnsupportedDataKeyType(key_type)),
        }
    }
}

/// The iteration count of a salt, rejecting the nonsense a proto3 default (0) would be.
pub(crate) fn salt_iterations(salt: &Salt) -> Result<u32, AuthError> {
    u32::try_from(salt.iterations)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            AuthError::BadResponse(format!("invalid iteration count {}", salt.iterations))
        })
}

fn denied(reason: LoginDenied, message: String) -> LoginOutcome {
    LoginOutcome::Denied { reason, message }
}

/// Result of `start_login` after redirects.
enum Started {
    Response(Box<LoginResponse>),
    /// Redirected a second time; the caller decides whether to follow.
    RedirectedAgain(String),
}

/// What to do after interpreting a response.
enum Next {
    Done(Box<LoginOutcome>),
    Resume(Vec<u8>),
}
