//! Where the device and session live between runs: gw-provision's own config file, Keeper
//! Commander's `config.json` (reused in place), or a read-only copy in `GW_PROVISION_CONFIG_B64`.
//!
//! Both files use Commander's flat keys (`server`, `user`, `device_token`, `private_key`,
//! `clone_code`, optional `password`, `sso_master_password`; protocol-transport-login.md §4.9), so
//! an admin's Commander device logs in here with no new approval. Every other key is kept as is
//! when the file is rewritten; secrets never appear in error messages.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use crate::keeper::auth::{CloneCode, DeviceCredentials, DeviceToken};
use crate::keeper::crypto::{b64_std_decode, b64url_decode, b64url_encode, EcPrivateKey};
use crate::keeper::server::Server;

/// Environment variable holding a whole config, base64-encoded, for CI runners without a home.
pub const CONFIG_B64_ENV: &str = "GW_PROVISION_CONFIG_B64";
/// Commander's own variable naming its config file.
pub const COMMANDER_CONFIG_ENV: &str = "KEEPER_CONFIG_FILE";

/// Keys this module reads and writes; everything else in the file is carried through untouched.
const KNOWN_KEYS: [&str; 7] = [
    "server",
    "user",
    "device_token",
    "private_key",
    "clone_code",
    "password",
    "sso_master_password",
];

/// Whose file this is, which decides the mode it is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// gw-provision's own file: always written 0600.
    GwProvision,
    /// Commander's `config.json`: keeps its existing mode (new files get 0600, as Commander's).
    Commander,
}

/// Where a config is read from (and written back to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file on disk.
    File {
        /// The path as given (a symlink is followed when writing).
        path: PathBuf,
        /// Whose format rules apply.
        kind: ConfigKind,
    },
    /// `GW_PROVISION_CONFIG_B64`: read-only.
    Env,
}

/// What the command line and environment say about config files; resolved by [`resolve`].
#[derive(Debug, Default)]
pub struct ConfigChoice {
    /// `--config` / `GW_PROVISION_CONFIG`.
    pub config: Option<PathBuf>,
    /// `--keeper-config`.
    pub keeper_config: Option<PathBuf>,
    /// `GW_PROVISION_CONFIG_B64` is set (non-empty).
    pub config_b64: bool,
    /// gw-provision's default file.
    pub default_path: Option<PathBuf>,
    /// Commander's default file (`KEEPER_CONFIG_FILE` or `~/.keeper/config.json`), used only
    /// when it exists; `None` to never look (sandbox runs).
    pub commander_default: Option<PathBuf>,
}

/// Picks the config: `--keeper-config`, then `--config`, then `GW_PROVISION_CONFIG_B64`, then our
/// default file if it exists, then Commander's default file if it exists, else our default file
/// (created by `login`). `None` when no location can be found at all.
pub fn resolve(choice: &ConfigChoice) -> Option<ConfigSource> {
    let ours = |path: &Path| ConfigSource::File {
        path: path.to_path_buf(),
        kind: ConfigKind::GwProvision,
    };
    let commander = |path: &Path| ConfigSource::File {
        path: path.to_path_buf(),
        kind: ConfigKind::Commander,
    };
    if let Some(path) = &choice.keeper_config {
        return Some(commander(path));
    }
    if let Some(path) = &choice.config {
        return Some(ours(path));
    }
    if choice.config_b64 {
        return Some(ConfigSource::Env);
    }
    match (&choice.default_path, &choice.commander_default) {
        (Some(path), _) if path.exists() => Some(ours(path)),
        (_, Some(path)) if path.is_file() => Some(commander(path)),
        (Some(path), _) => Some(ours(path)),
        (None, _) => None,
    }
}

/// Why a config could not be read or written. Messages name the file and key, never a value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The content is not a JSON object of the expected shape.
    #[error("{origin} is not a usable config: {detail}")]
    Invalid {
        /// The file, or the environment variable.
        origin: String,
        /// What is wrong (never a value from the file).
        detail: String,
    },
    /// Commander keeps this config's keys in another store (keychain, KMS …).
    #[error("{path} keeps its keys in {storage}; gw-provision reads only plain config files")]
    ExternalStorage {
        /// The file.
        path: String,
        /// Commander's `config_storage` value.
        storage: String,
    },
    /// The config could not be written.
    #[error("cannot save {path}: {detail}")]
    Write {
        /// The file.
        path: String,
        /// What failed.
        detail: String,
    },
    /// The config came from `GW_PROVISION_CONFIG_B64` and cannot be written back.
    #[error("the config from {CONFIG_B64_ENV} is read-only")]
    ReadOnly,
}

/// A loaded config: the device, the session's clone code and the rest of the file.
pub struct AccountConfig {
    source: ConfigSource,
    exists: bool,
    /// `server` exactly as written, to leave an unchanged value alone.
    server_text: Option<String>,
    server: Option<Server>,
    user: Option<String>,
    device: Option<(DeviceToken, EcPrivateKey)>,
    clone_code: Option<CloneCode>,
    password: Option<Zeroizing<String>>,
    sso_master_password: Option<bool>,
    extra: Map<String, Value>,
}

impl std::fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountConfig")
            .field("source", &self.source)
            .field("server", &self.server)
            .field("user", &self.user)
            .field("has_device", &self.device.is_some())
            .field("has_clone_code", &self.clone_code.is_some())
            .finish_non_exhaustive()
    }
}

impl AccountConfig {
    /// Where this config was read from.
    pub fn source(&self) -> &ConfigSource {
        &self.source
    }

    /// Reads the config at `source`; a missing file is an empty config that `save` creates.
    pub fn load(source: ConfigSource) -> Result<AccountConfig, ConfigError> {
        let text = match &source {
            ConfigSource::Env => Some(read_b64_env()?),
            ConfigSource::File { path, .. } => match std::fs::read_to_string(path) {
                Ok(text) => Some(Zeroizing::new(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(ConfigError::Read {
                        path: path.display().to_string(),
                        source,
                    })
                }
            },
        };
        match text {
            Some(text) => Self::from_text(source, &text),
            None => Ok(Self::empty(source, false)),
        }
    }

    /// Parses config text read from `source` (a file's content or the decoded variable).
    pub(crate) fn from_text(
        source: ConfigSource,
        text: &str,
    ) -> Result<AccountConfig, ConfigError> {
        let mut config = Self::empty(source, true);
        config.parse(text)?;
        Ok(config)
    }

    fn empty(source: ConfigSource, exists: bool) -> AccountConfig {
        AccountConfig {
            exists,
            source,
            server_text: None,
            server: None,
            user: None,
            device: None,
            clone_code: None,
            password: None,
            sso_master_password: None,
            extra: Map::new(),
        }
    }

    fn parse(&mut self, text: &str) -> Result<(), ConfigError> {
        let origin = self.describe();
        let invalid = |detail: &str| ConfigError::Invalid {
            origin: origin.clone(),
            detail: detail.to_owned(),
        };
        // serde_json's syntax errors give a position, never the content; its type errors quote
        // the value, so the object check is ours.
        let value: Value =
            serde_json::from_str(text).map_err(|e| invalid(&format!("not a JSON object ({e})")))?;
        let Value::Object(mut map) = value else {
            return Err(invalid("not a JSON object"));
        };
        let mut take = |key: &str| -> Result<Option<Zeroizing<String>>, ConfigError> {
            match map.remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(Zeroizing::new(s))),
                Some(_) => Err(invalid(&format!("\"{key}\" is not a string"))),
            }
        };
        let server_text = take("server")?;
        let user = take("user")?;
        let device_token = take("device_token")?;
        let private_key = take("private_key")?;
        let clone_code = take("clone_code")?;
        let password = take("password")?;
        let sso = map.remove("sso_master_password");
        let storage = map.get("config_storage").and_then(Value::as_str);
        if let (Some(storage), None) = (storage, &device_token) {
            if !storage.is_empty() && storage != "file" {
                return Err(ConfigError::ExternalStorage {
                    path: origin.clone(),
                    storage: storage.to_owned(),
                });
            }
        }
        if let Some(text) = &server_text {
            self.server = Some(
                text.parse()
                    .map_err(|_| invalid("\"server\" is not a Keeper region or host name"))?,
            );
        }
        self.device = match (device_token, private_key) {
            (Some(token), Some(key)) => {
                let token = b64url_decode(&token)
                    .map_err(|_| invalid("\"device_token\" is not base64url"))?;
                let key = Zeroizing::new(
                    b64url_decode(&key).map_err(|_| invalid("\"private_key\" is not base64url"))?,
                );
                let key = EcPrivateKey::from_bytes(&key)
                    .map_err(|_| invalid("\"private_key\" is not a P-256 private key"))?;
                Some((DeviceToken::new(token), key))
            }
            (None, None) => None,
            _ => return Err(invalid("\"device_token\" and \"private_key\" go together")),
        };
        if let Some(code) = clone_code {
            let bytes =
                b64url_decode(&code).map_err(|_| invalid("\"clone_code\" is not base64url"))?;
            self.clone_code = Some(CloneCode::new(bytes));
        }
        self.sso_master_password = match sso {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(b),
            Some(Value::String(s)) => Some(matches!(
                s.to_ascii_lowercase().as_str(),
                "true" | "1" | "yes"
            )),
            Some(_) => return Err(invalid("\"sso_master_password\" is not true or false")),
        };
        self.server_text = server_text.map(|s| s.to_string());
        self.user = user.map(|u| u.to_string());
        self.password = password;
        self.extra = map;
        Ok(())
    }

    /// The file, or the environment variable, for messages.
    pub fn describe(&self) -> String {
        match &self.source {
            ConfigSource::File { path, .. } => path.display().to_string(),
            ConfigSource::Env => CONFIG_B64_ENV.to_owned(),
        }
    }

    /// True when the config was read from an existing file or the environment.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// True when the config can be written back (not from the environment).
    pub fn is_writable(&self) -> bool {
        matches!(self.source, ConfigSource::File { .. })
    }

    /// The server the device is registered with.
    pub fn server(&self) -> Option<&Server> {
        self.server.as_ref()
    }

    /// The account last logged in.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// A password stored in the file (Commander's optional `password` key).
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.as_str())
    }

    /// Commander's `sso_master_password`: log in as an SSO user with the master password.
    pub fn sso_master_password(&self) -> bool {
        self.sso_master_password.unwrap_or(false)
    }

    /// True when there is a clone code to resume a session with.
    pub fn has_session(&self) -> bool {
        self.clone_code.is_some()
    }

    /// The saved device (and session), when the config has one.
    pub fn device_credentials(&self) -> Option<DeviceCredentials> {
        let (token, key) = self.device.as_ref()?;
        Some(DeviceCredentials {
            server: self.server.clone().unwrap_or_default(),
            device_token: token.clone(),
            device_private_key: key.clone(),
            username: self.user.clone(),
            clone_code: self.clone_code.clone(),
        })
    }

    /// Takes over the device, account and clone code of a login.
    pub fn update(&mut self, credentials: &DeviceCredentials) {
        self.server = Some(credentials.server.clone());
        self.device = Some((
            credentials.device_token.clone(),
            credentials.device_private_key.clone(),
        ));
        if credentials.username.is_some() {
            self.user = credentials.username.clone();
        }
        self.clone_code = credentials.clone_code.clone();
    }

    /// Records that this account logs in with its SSO master password.
    pub fn set_sso_master_password(&mut self) {
        self.sso_master_password = Some(true);
    }

    /// Forgets the session (clone code); the device stays registered and approved.
    pub fn forget_session(&mut self) {
        self.clone_code = None;
    }

    /// Writes the config atomically: a temporary file in the same directory, flushed, then
    /// renamed over the old one (following a symlink to its target).
    pub fn save(&mut self) -> Result<(), ConfigError> {
        let ConfigSource::File { path, kind } = &self.source else {
            return Err(ConfigError::ReadOnly);
        };
        let text = self.render().map_err(|detail| ConfigError::Write {
            path: path.display().to_string(),
            detail,
        })?;
        write_atomically(path, *kind, text.as_bytes()).map_err(|e| ConfigError::Write {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        self.exists = true;
        Ok(())
    }

    /// The config as it would be saved (pretty JSON, unknown keys carried through).
    pub(crate) fn render(&self) -> Result<Zeroizing<String>, String> {
        let mut out = Map::new();
        let server_text = match (&self.server, &self.server_text) {
            (Some(server), Some(text)) if text.parse::<Server>().ok().as_ref() == Some(server) => {
                Some(text.clone())
            }
            (Some(server), _) => Some(server.host().to_owned()),
            (None, text) => text.clone(),
        };
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                out.insert(key.to_owned(), Value::String(value));
            }
        };
        put("server", server_text);
        put("user", self.user.clone());
        if let Some((token, key)) = &self.device {
            put("device_token", Some(b64url_encode(token.as_bytes())));
            put("private_key", Some(b64url_encode(&key.to_bytes())));
        }
        put(
            "clone_code",
            self.clone_code
                .as_ref()
                .map(|c| b64url_encode(c.as_bytes())),
        );
        put("password", self.password.as_ref().map(|p| p.to_string()));
        if let Some(sso) = self.sso_master_password {
            out.insert("sso_master_password".to_owned(), Value::Bool(sso));
        }
        for (key, value) in &self.extra {
            if !KNOWN_KEYS.contains(&key.as_str()) {
                out.insert(key.clone(), value.clone());
            }
        }
        let text = serde_json::to_string_pretty(&Value::Object(out)).map_err(|e| e.to_string());
        // The map held the secrets as plain strings; the text is what stays in memory.
        text.map(Zeroizing::new)
    }
}

fn read_b64_env() -> Result<Zeroizing<String>, ConfigError> {
    let raw = Zeroizing::new(std::env::var(CONFIG_B64_ENV).unwrap_or_default());
    decode_b64_config(&raw)
}

/// Decodes the base64 (standard or URL-safe, any padding, line breaks allowed) or plain JSON
/// value of `GW_PROVISION_CONFIG_B64`.
pub(crate) fn decode_b64_config(raw: &str) -> Result<Zeroizing<String>, ConfigError> {
    let invalid = |detail: &str| ConfigError::Invalid {
        origin: CONFIG_B64_ENV.to_owned(),
        detail: detail.to_owned(),
    };
    let compact: Zeroizing<String> =
        Zeroizing::new(raw.chars().filter(|c| !c.is_whitespace()).collect());
    if compact.starts_with('{') {
        return Ok(compact);
    }
    let bytes = Zeroizing::new(
        b64_std_decode(&compact)
            .or_else(|_| b64url_decode(&compact))
            .map_err(|_| invalid("not base64 (encode the config file with `base64 -w0`)"))?,
    );
    String::from_utf8(bytes.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| invalid("the decoded config is not UTF-8 text"))
}

/// Writes `bytes` to `path` through a temporary file and a rename. gw-provision's own files get
/// mode 0600; Commander's keep the mode they had.
fn write_atomically(path: &Path, kind: ConfigKind, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    // Rename onto the symlink's target, not over the link itself.
    let target = match std::fs::canonicalize(path) {
        Ok(target) => target,
        Err(_) => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut file = tempfile::NamedTempFile::new_in(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match (kind, std::fs::metadata(&target)) {
            (ConfigKind::Commander, Ok(meta)) => meta.permissions().mode() & 0o7777,
            _ => 0o600,
        };
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = kind;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(&target).map_err(|e| e.error)?;
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(&dir) {
        // Best effort: make the rename itself durable.
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
