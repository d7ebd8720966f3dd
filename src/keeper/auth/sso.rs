//! The SSO login step: Keeper Cloud SSO with the token pasted back from the browser, or the SSO
//! user's master password instead (protocol-transport-login.md §4.10).
//!
//! Cloud SSO works without a local web server: the identity-provider URL carries an encrypted
//! `SsoCloudRequest` (`payload=`), and the SSO Connect page shows a "login token" that is the
//! `SsoCloudResponse` encrypted under the same transmission key. Only this client can open it.

use crate::keeper::proto::sso_cloud::{SsoCloudRequest, SsoCloudResponse};
use prost::Message;
use zeroize::Zeroizing;

use super::device::DeviceCredentials;
use super::login::{LoginFlow, Pending};
use super::outcome::LoginOutcome;
use super::AuthError;
use crate::keeper::crypto::{aes_gcm_decrypt, b64url_decode, b64url_encode, random_bytes, AesKey};
use crate::keeper::proto::authentication::{LoginMethod, LoginType};
use crate::keeper::transport::envelope::{seal_request, RequestPayload};
use crate::keeper::transport::{ServerKey, ServerPublicKey, Transport};

/// `ApiRequestPayload.apiVersion` Commander sets on the SSO payload.
const SSO_API_VERSION: i32 = 3;
/// `SsoCloudRequest.dest`: the value for which SSO Connect shows a copyable login token.
const SSO_DEST: &str = "commander";

/// `REDIRECT_CLOUD_SSO` / `REDIRECT_ONSITE_SSO`: the account signs in at its identity provider.
#[derive(Clone)]
pub struct SsoRedirect {
    /// The identity provider URL from `LoginResponse.url`.
    pub url: String,
    /// True for on-premises SSO Connect, false for Keeper's cloud SSO.
    pub on_premises: bool,
    flow: Box<LoginFlow>,
}

impl std::fmt::Debug for SsoRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoRedirect")
            .field("url", &self.url)
            .field("on_premises", &self.on_premises)
            .finish_non_exhaustive()
    }
}

impl SsoRedirect {
    pub(crate) fn new(flow: LoginFlow, url: String, on_premises: bool) -> Self {
        SsoRedirect {
            url,
            on_premises,
            flow: Box::new(flow),
        }
    }

    /// The account being logged in (may be empty when resuming with a clone code).
    pub fn username(&self) -> &str {
        &self.flow.username
    }

    /// The device credentials to persist so far.
    pub fn device_credentials(&self) -> &DeviceCredentials {
        &self.flow.device
    }

    /// Starts over as an SSO user with a master password (`LoginType.ALTERNATE`); the server then
    /// asks for the password with the `alternate` salt.
    pub async fn login_with_master_password(&self) -> Result<LoginOutcome, AuthError> {
        let mut flow = (*self.flow).clone();
        flow.login_type = LoginType::Alternate;
        flow.run(Pending::Start {
            login_token: None,
            clone_code: None,
        })
        .await
    }

    /// Builds the URL to open in a browser for Keeper Cloud SSO. On-premises SSO Connect is not
    /// supported (it needs an RSA key exchange this client does not implement).
    pub fn start_cloud_login(&self) -> Result<CloudSsoLogin, AuthError> {
        if self.on_premises {
            return Err(AuthError::Unsupported("on-premises SSO Connect"));
        }
        let transmission_key = AesKey::generate();
        let request = SsoCloudRequest {
            message_session_uid: random_bytes(16),
            client_version: self.flow.transport.client_version().to_owned(),
            dest: SSO_DEST.to_owned(),
            username: self.flow.username.clone(),
            force_login: false,
            detached: true,
            ..SsoCloudRequest::default()
        };
        let payload = request.encode_to_vec();
        let sealed = seal_request(
            &server_key(&self.flow.transport)?,
            &transmission_key,
            &RequestPayload {
                payload: &payload,
                session_token: None,
                api_version: SSO_API_VERSION,
            },
            &self.flow.transport.options().locale,
        )?;
        Ok(CloudSsoLogin {
            url: with_query_parameter(&self.url, "payload", &b64url_encode(&sealed)),
            transmission_key,
            flow: self.flow.clone(),
        })
    }
}

/// A Cloud SSO login in progress: the URL to open, and what opens the token pasted back.
pub struct CloudSsoLogin {
    url: String,
    transmission_key: AesKey,
    flow: Box<LoginFlow>,
}

impl std::fmt::Debug for CloudSsoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudSsoLogin")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl CloudSsoLogin {
    /// The identity-provider URL with the encrypted request; show it to the user.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens the token SSO Connect showed after sign-in and continues the login with it
    /// (`start_login`, loginMethod AFTER_SSO).
    pub async fn complete(&self, token: &str) -> Result<LoginOutcome, AuthError> {
        let response = self.open_token(token)?;
        let mut flow = (*self.flow).clone();
        if !response.email.is_empty() {
            flow.username = response.email.trim().to_lowercase();
        }
        flow.login_method = LoginMethod::AfterSso;
        flow.run(Pending::Start {
            login_token: Some(response.encrypted_login_token),
            clone_code: None,
        })
        .await
    }

    pub(crate) fn open_token(&self, token: &str) -> Result<SsoCloudResponse, AuthError> {
        let compact: Zeroizing<String> =
            Zeroizing::new(token.chars().filter(|c| !c.is_whitespace()).collect());
        let sealed = b64url_decode(&compact)
            .map_err(|_| AuthError::InvalidSsoToken("it is not base64url text"))?;
        let plain = Zeroizing::new(aes_gcm_decrypt(&self.transmission_key, &sealed).map_err(
            |_| AuthError::InvalidSsoToken("it does not belong to this login (copy it again)"),
        )?);
        let response = SsoCloudResponse::decode(plain.as_slice())
            .map_err(|_| AuthError::InvalidSsoToken("its content is not an SSO response"))?;
        if !response.error_token.is_empty() {
            return Err(AuthError::InvalidSsoToken(
                "the identity provider reported an error",
            ));
        }
        if response.encrypted_login_token.is_empty() {
            return Err(AuthError::InvalidSsoToken("it carries no login token"));
        }
        Ok(response)
    }

    #[cfg(test)]
    pub(crate) fn transmission_key(&self) -> &AesKey {
        &self.transmission_key
    }
}

/// The key the transport encrypts to: the custom (sandbox/test) key, or Keeper's built-in one.
fn server_key(transport: &Transport) -> Result<ServerKey, AuthError> {
    if let Some((id, key)) = &transport.options().custom_server_key {
        return Ok(ServerKey::new(*id, ServerPublicKey::Ec(key.clone())));
    }
    ServerKey::builtin(transport.server_key_id()).ok_or_else(|| {
        AuthError::BadResponse(format!(
            "no public key known for server key id {}",
            transport.server_key_id()
        ))
    })
}

/// Appends `name=value` to the query of `url` (before any `#fragment`); `value` must already be
/// URL-safe (b64url is).
fn with_query_parameter(url: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    let mut out = format!("{base}{separator}{name}={value}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::auth::device::DeviceToken;
    use crate::keeper::crypto::{aes_gcm_encrypt, ecies_decrypt, EcPrivateKey};
    use crate::keeper::proto::authentication::{ApiRequest, ApiRequestPayload};
    use crate::keeper::transport::TransportOptions;

    fn redirect(server_key: &EcPrivateKey) -> SsoRedirect {
        let mut options = TransportOptions::new("127.0.0.1:9".parse().unwrap());
        options.custom_server_key = Some((7, server_key.public_key()));
        let flow = LoginFlow {
            transport: Transport::new(options).unwrap(),
            device: DeviceCredentials {
                server: "127.0.0.1:9".parse().unwrap(),
                device_token: DeviceToken::new(vec![1, 2, 3]),
                device_private_key: EcPrivateKey::generate(),
                username: None,
                clone_code: None,
            },
            username: "sso@example.com".into(),
            login_type: LoginType::Normal,
            login_method: LoginMethod::ExistingAccount,
            message_session_uid: vec![0; 16],
            device_name: "test".into(),
            password: None,
            salt: None,
        };
        SsoRedirect::new(flow, "https://sso.example/login?x=1".into(), false)
    }

    fn sso_request_in(url: &str, server_key: &EcPrivateKey) -> (AesKey, SsoCloudRequest, i32) {
        let payload = url.split("payload=").nth(1).unwrap();
        let request = ApiRequest::decode(b64url_decode(payload).unwrap().as_slice()).unwrap();
        let key = ecies_decrypt(server_key, &request.encrypted_transmission_key).unwrap();
        let key = AesKey::from_slice(&key).unwrap();
        let inner = aes_gcm_decrypt(&key, &request.encrypted_payload).unwrap();
        let inner = ApiRequestPayload::decode(inner.as_slice()).unwrap();
        let sso = SsoCloudRequest::decode(inner.payload.as_slice()).unwrap();
        (key, sso, inner.api_version)
    }

    #[test]
    fn cloud_sso_url_carries_the_request_sealed_to_the_server_key() {
        let server_key = EcPrivateKey::generate();
        let login = redirect(&server_key).start_cloud_login().unwrap();

        let (key, request, api_version) = sso_request_in(login.url(), &server_key);

        assert!(login
            .url()
            .starts_with("https://sso.example/login?x=1&payload="));
        assert_eq!(&key, login.transmission_key());
        assert_eq!(api_version, 3);
        assert_eq!(request.username, "sso@example.com");
        assert_eq!(request.dest, "commander");
        assert!(request.detached && !request.force_login);
        assert_eq!(request.message_session_uid.len(), 16);
    }

    #[test]
    fn pasted_token_opens_to_the_login_token_even_with_line_breaks() {
        let server_key = EcPrivateKey::generate();
        let login = redirect(&server_key).start_cloud_login().unwrap();
        let response = SsoCloudResponse {
            email: "SSO@example.com".into(),
            encrypted_login_token: b"login-token".to_vec(),
            ..SsoCloudResponse::default()
        };
        let token = b64url_encode(&aes_gcm_encrypt(
            login.transmission_key(),
            &response.encode_to_vec(),
        ));
        let pasted = format!("  {}\n{}  ", &token[..10], &token[10..]);

        let opened = login.open_token(&pasted).unwrap();

        assert_eq!(opened.encrypted_login_token, b"login-token");
        assert_eq!(opened.email, "SSO@example.com");
    }

    #[test]
    fn token_from_another_login_is_rejected_without_quoting_it() {
        let server_key = EcPrivateKey::generate();
        let login = redirect(&server_key).start_cloud_login().unwrap();
        let other = AesKey::generate();
        let token = b64url_encode(&aes_gcm_encrypt(&other, b"whatever"));

        let error = login.open_token(&token).unwrap_err();

        assert!(matches!(error, AuthError::InvalidSsoToken(_)));
        assert!(!error.to_string().contains(&token));
    }

    #[test]
    fn on_premises_sso_is_reported_as_unsupported() {
        let server_key = EcPrivateKey::generate();
        let mut redirect = redirect(&server_key);
        redirect.on_premises = true;
        assert!(matches!(
            redirect.start_cloud_login(),
            Err(AuthError::Unsupported(_))
        ));
    }

    #[test]
    fn query_parameter_is_appended_with_the_right_separator() {
        assert_eq!(
            with_query_parameter("https://sso.example/login", "payload", "abc"),
            "https://sso.example/login?payload=abc"
        );
        assert_eq!(
            with_query_parameter("https://sso.example/login?a=1", "payload", "abc"),
            "https://sso.example/login?a=1&payload=abc"
        );
        assert_eq!(
            with_query_parameter("https://sso.example/login?a=1#top", "payload", "abc"),
            "https://sso.example/login?a=1&payload=abc#top"
        );
    }
}
