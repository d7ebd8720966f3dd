//! Where the flow keeps a new gateway's token until it has been shown: one 0600 file per
//! gateway under `$XDG_CONFIG_HOME/gw-provision/pending-tokens/`, written atomically, named by a
//! hash of (server, account, application, gateway) so nothing about them shows in the name.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keeper::crypto::b64url_encode;
use crate::keeper::ksm::OneTimeToken;
use crate::keeper::uid::Uid;
use crate::provision::kept::{KeepError, KeptToken, TokenKeeper};

/// Kept tokens of one account on one server, as files in a private directory.
pub struct FileTokenKeeper {
    dir: PathBuf,
    scope: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    app_uid: Uid,
    gateway: String,
    #[serde(with = "secret")]
    token: Zeroizing<String>,
    expires_at_ms: i64,
}

/// Serde for a token string that is wiped when dropped.
mod secret {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub fn serialize<S: Serializer>(text: &Zeroizing<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
        String::deserialize(d).map(Zeroizing::new)
    }
}

impl FileTokenKeeper {
    /// The keeper for `username` on `server_host`, under the user's config directory; `None`
    /// when there is no such directory (a CI runner without a home).
    pub fn for_account(server_host: &str, username: &str) -> Option<FileTokenKeeper> {
        let dir = dirs::config_dir()?
            .join("gw-provision")
            .join("pending-tokens");
        Some(FileTokenKeeper::in_dir(dir, server_host, username))
    }

    /// A keeper in `dir` (tests).
    pub fn in_dir(dir: PathBuf, server_host: &str, username: &str) -> FileTokenKeeper {
        FileTokenKeeper {
            dir,
            scope: format!(
                "{}\n{}",
                server_host.to_lowercase(),
                username.to_lowercase()
            ),
        }
    }

    fn path(&self, app_uid: &Uid, gateway: &str) -> PathBuf {
        let key = format!("{}\n{app_uid}\n{}", self.scope, gateway.to_lowercase());
        let digest = <sha2::Sha256 as sha2::Digest>::digest(key.as_bytes());
        self.dir
            .join(format!("{}.json", b64url_encode(&digest[..18])))
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl TokenKeeper for FileTokenKeeper {
    fn keep(&self, kept: &KeptToken) -> Result<(), KeepError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            KeepError(format!("{what} in {}: {e}", self.dir.display()))
        };
        create_private_dir(&self.dir).map_err(|e| fail("cannot create the directory", &e))?;
        let entry = Entry {
            app_uid: kept.app_uid,
            gateway: kept.gateway.clone(),
            token: Zeroizing::new(kept.token.expose().to_owned()),
            expires_at_ms: kept.expires_at_ms,
        };
        let text = Zeroizing::new(
            serde_json::to_vec(&entry).map_err(|e| fail("cannot encode the entry", &e))?,
        );
        // NamedTempFile is created 0600; renaming it over the old entry is atomic.
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(|e| fail("cannot create a file", &e))?;
        std::io::Write::write_all(&mut file, &text).map_err(|e| fail("cannot write", &e))?;
        file.as_file()
            .sync_all()
            .map_err(|e| fail("cannot write", &e))?;
        file.persist(self.path(&kept.app_uid, &kept.gateway))
            .map_err(|e| fail("cannot save", &e.error))?;
        Ok(())
    }

    fn find(&self, app_uid: &Uid, gateway: &str) -> Option<KeptToken> {
        let text = Zeroizing::new(std::fs::read(self.path(app_uid, gateway)).ok()?);
        let entry: Entry = serde_json::from_slice(&text).ok()?;
        let token: OneTimeToken = entry.token.parse().ok()?;
        (entry.app_uid == *app_uid && entry.gateway.eq_ignore_ascii_case(gateway)).then(|| {
            KeptToken {
                app_uid: entry.app_uid,
                gateway: entry.gateway,
                token,
                expires_at_ms: entry.expires_at_ms,
            }
        })
    }

    fn forget(&self, app_uid: &Uid, gateway: &str) {
        let _ = std::fs::remove_file(self.path(app_uid, gateway));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(app: Uid) -> KeptToken {
        KeptToken {
            app_uid: app,
            gateway: "Edge-1".into(),
            token: OneTimeToken::generate("US"),
            expires_at_ms: 1_900_000_000_000,
        }
    }

    #[test]
    fn a_kept_token_is_found_by_app_and_gateway_in_any_case_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let keeper = FileTokenKeeper::in_dir(dir.path().join("p"), "keepersecurity.com", "a@b.c");
        let app = Uid::generate();
        let original = kept(app);
        keeper.keep(&original).unwrap();
        let found = keeper.find(&app, "edge-1").expect("kept");
        assert_eq!(found.token.expose(), original.token.expose());
        assert_eq!(found.expires_at_ms, original.expires_at_ms);
        assert!(keeper.find(&Uid::generate(), "edge-1").is_none());
        let other_account =
            FileTokenKeeper::in_dir(dir.path().join("p"), "keepersecurity.com", "x@b.c");
        assert!(other_account.find(&app, "edge-1").is_none());
        keeper.forget(&app, "EDGE-1");
        assert!(keeper.find(&app, "edge-1").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn kept_token_files_are_private_and_name_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let keeper = FileTokenKeeper::in_dir(dir.path().join("p"), "h", "u");
        let original = kept(Uid::generate());
        keeper.keep(&original).unwrap();
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("p")).unwrap().collect();
        assert_eq!(entries.len(), 1);
        let entry = entries[0].as_ref().unwrap();
        assert_eq!(
            entry.metadata().unwrap().permissions().mode() & 0o777,
            0o600
        );
        let name = entry.file_name().into_string().unwrap();
        assert!(!name.to_lowercase().contains("edge"));
        let dir_mode = std::fs::metadata(dir.path().join("p"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }
}
