//! The vault as the provisioning flow sees it: shared folders and KSM applications.
//!
//! `sync_down` downloads the vault page by page and [`sync::SyncBuilder`] turns the pages into a
//! [`VaultSnapshot`]; `add_shared_folder` creates a shared folder at the vault root.
//! Facts: protocol-vault-ksm-gateway.md §1, §2.2, §7.

pub mod delete;
pub mod folders;
pub mod move_record;
pub mod sync;

use crate::keeper::auth::Session;
use crate::keeper::crypto::AesKey;
use crate::keeper::proto::vault::{SyncDownRequest, SyncDownResponse};
use crate::keeper::refusal::Failure;
use crate::keeper::transport::TransportError;
use crate::keeper::uid::Uid;

pub use delete::{delete_from_root, RootObject};
pub use folders::{add_shared_folder, folder_add_command, DefaultPermissions};
pub use move_record::move_record_to_shared_folder;
pub use sync::{SyncBuilder, VaultKeys};

/// Pages after which a sync that still says `hasMore` is treated as a server loop.
const MAX_SYNC_PAGES: usize = 10_000;

/// Why a vault call failed; carries Keeper's code and message, never keys or names of secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The request never got a Keeper answer (network, TLS, session, throttling, …).
    #[error(transparent)]
    Transport(TransportError),
    /// Keeper refused the call (v2 `result_code` or REST `error`) with this message.
    #[error("Keeper refused the request: {code}: {message}")]
    Refused {
        /// Keeper's error code.
        code: String,
        /// Keeper's message.
        message: String,
    },
    /// Keeper says the object already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// A shared folder or application that should exist is not in the vault.
    #[error("not found: {0}")]
    NotFound(String),
    /// An argument was rejected before anything was sent (e.g. an empty folder name).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Keeper's answer was not what the protocol promises.
    #[error("unexpected answer from Keeper: {0}")]
    BadResponse(String),
}

impl From<TransportError> for VaultError {
    /// Lifts Keeper's refusals out of the transport error, so callers match on one place.
    fn from(error: TransportError) -> Self {
        match Failure::from(error) {
            Failure::Transport(error) => VaultError::Transport(error),
            Failure::Conflict { message, .. } => VaultError::Conflict(message),
            Failure::NotFound(message) => VaultError::NotFound(message),
            Failure::Refused { code, message } => VaultError::Refused { code, message },
        }
    }
}

/// Downloads the whole vault (following `hasMore`) and decrypts what provisioning needs.
pub async fn sync_down(session: &Session) -> Result<VaultSnapshot, VaultError> {
    let mut sync = VaultSync::default();
    sync.sync(session).await
}

/// A vault kept in step with the server: the first [`VaultSync::sync`] downloads everything, each
/// later one only what changed since (Keeper's continuation token), applied to the same pages —
/// so a run can look again after a write for what others made meanwhile at the cost of one small
/// request.
#[derive(Default)]
pub struct VaultSync {
    builder: SyncBuilder,
    continuation_token: Vec<u8>,
}

impl VaultSync {
    /// Brings the vault up to date and decrypts what provisioning needs.
    pub async fn sync(&mut self, session: &Session) -> Result<VaultSnapshot, VaultError> {
        let mut request = SyncDownRequest {
            continuation_token: self.continuation_token.clone(),
            ..SyncDownRequest::default()
        };
        for _ in 0..MAX_SYNC_PAGES {
            let page: SyncDownResponse = session.execute_proto("vault/sync_down", &request).await?;
            self.builder.apply(&page);
            if !page.continuation_token.is_empty() {
                self.continuation_token = page.continuation_token.clone();
            }
            if !page.has_more {
                return Ok(self.builder.finish(&VaultKeys {
                    data_key: session.data_key(),
                    rsa_private_key: session.rsa_private_key(),
                    ecc_private_key: session.ecc_private_key(),
                }));
            }
            if page.continuation_token.is_empty()
                || page.continuation_token == request.continuation_token
            {
                return Err(VaultError::BadResponse(
                    "sync_down says hasMore but gives no new continuation token".into(),
                ));
            }
            request.continuation_token = page.continuation_token;
        }
        Err(VaultError::BadResponse(format!(
            "sync_down still had more after {MAX_SYNC_PAGES} pages"
        )))
    }
}

/// What the provisioning flow needs from a vault sync: shared folders and applications, decrypted.
#[derive(Debug, Clone, Default)]
pub struct VaultSnapshot {
    /// Every shared folder whose key this account can decrypt, ordered by UID.
    pub shared_folders: Vec<SharedFolder>,
    /// Every KSM application record (v5, `type: "app"`) this account can decrypt, ordered by UID.
    pub applications: Vec<Application>,
    /// The sync revision at which each shared folder and application was last written; the
    /// lower of two twins made by a race is the older one.
    pub revisions: std::collections::BTreeMap<Uid, i64>,
    /// Every PAM configuration record (version 6) this account can decrypt, ordered by UID.
    pub pam_configurations: Vec<PamConfigurationRecord>,
}

/// A PAM configuration as its version-6 record says: title, type and `pamResources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PamConfigurationRecord {
    /// The record (configuration) UID.
    pub uid: Uid,
    /// The title.
    pub title: String,
    /// The record type, e.g. `pamNetworkConfiguration`.
    pub record_type: String,
    /// `pamResources.controllerUid`: the gateway the record names.
    pub controller_uid: Option<Uid>,
    /// `pamResources.folderUid`: the shared folder the record names.
    pub folder_uid: Option<Uid>,
    /// The shared folder holding the record; `None` while it sits at the vault root.
    pub shared_folder: Option<Uid>,
    /// The record key.
    pub key: AesKey,
    /// The sync revision it was last written at.
    pub revision: i64,
}

/// A classic shared folder with its decrypted key (the key KSM shares are built from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFolder {
    /// The shared folder UID.
    pub uid: Uid,
    /// Decrypted name (or the UID text when no name decrypts, as Commander shows it).
    pub name: String,
    /// The 32-byte shared folder key.
    pub key: AesKey,
    /// Whether the folder sits at the vault root rather than inside a user folder.
    pub at_root: bool,
}

/// A KSM application: a version-5 record whose record key is the application key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The application (record) UID.
    pub uid: Uid,
    /// The application title.
    pub title: String,
    /// The application key, which wraps shared-folder keys for KSM and is what clients receive.
    pub key: AesKey,
}

impl VaultSnapshot {
    /// All shared folders with exactly this name (names are case-sensitive, like Commander paths).
    pub fn shared_folders_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a SharedFolder> {
        self.shared_folders.iter().filter(move |sf| sf.name == name)
    }

    /// The shared folder to reuse for `name`: an exact match, preferring one at the vault root.
    pub fn find_shared_folder(&self, name: &str) -> Option<&SharedFolder> {
        let mut named = self.shared_folders.iter().filter(|sf| sf.name == name);
        let first = named.clone().next();
        named.find(|sf| sf.at_root).or(first)
    }

    /// The shared folder with this UID.
    pub fn shared_folder(&self, uid: &Uid) -> Option<&SharedFolder> {
        self.shared_folders.iter().find(|sf| sf.uid == *uid)
    }

    /// All applications with exactly this title.
    pub fn applications_titled<'a>(
        &'a self,
        title: &'a str,
    ) -> impl Iterator<Item = &'a Application> {
        self.applications
            .iter()
            .filter(move |app| app.title == title)
    }

    /// The first application with exactly this title (Commander's `get_app_record` rule).
    pub fn find_application(&self, title: &str) -> Option<&Application> {
        self.applications.iter().find(|app| app.title == title)
    }

    /// The application with this UID.
    pub fn application(&self, uid: &Uid) -> Option<&Application> {
        self.applications.iter().find(|app| app.uid == *uid)
    }
}
