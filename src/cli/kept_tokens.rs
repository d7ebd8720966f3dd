//! Where the flow keeps a new gateway's token until it has been shown: one 0600 file per
//! gateway under `$XDG_CONFIG_HOME/gw-provision/pending-tokens/`, written atomically, named by a
//! hash of (server, account, application, gateway) so nothing about them shows in the name.
//!
//! A fleet run keeps a whole group's tokens in one `batch-*.json` file instead (one file system
//! sync costs milliseconds; a thousand of them cost seconds). A batch names its (server, account)
//! only by the same kind of hash; `find` reads the batches once per run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    /// The batch files, read on the first `find` after a change.
    batches: Mutex<Option<Vec<(PathBuf, Batch)>>>,
}

/// A fleet group's kept tokens, in one file.
#[derive(Serialize, Deserialize)]
struct Batch {
    /// The hash of (server, account): batches of other accounts in the same directory are skipped.
    scope: String,
    entries: Vec<Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
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
            batches: Mutex::new(None),
        }
    }

    fn scope_digest(&self) -> String {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(self.scope.as_bytes());
        b64url_encode(&digest[..18])
    }

    /// Runs `f` over this account's batches, reading them first if a change made that necessary.
    fn with_batches<T>(&self, f: impl FnOnce(&mut Vec<(PathBuf, Batch)>) -> T) -> T {
        let mut cached = self.batches.lock().unwrap_or_else(|e| e.into_inner());
        let batches = cached.get_or_insert_with(|| {
            let scope = self.scope_digest();
            let Ok(dir) = std::fs::read_dir(&self.dir) else {
                return Vec::new();
            };
            dir.flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("batch-") && n.ends_with(".json"))
                })
                .filter_map(|path| {
                    let text = Zeroizing::new(std::fs::read(&path).ok()?);
                    let batch: Batch = serde_json::from_slice(&text).ok()?;
                    (batch.scope == scope).then_some((path, batch))
                })
                .collect()
        });
        f(batches)
    }

    fn write(&self, path: &Path, text: &[u8], durable: bool) -> Result<(), KeepError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            KeepError(format!("{what} in {}: {e}", self.dir.display()))
        };
        create_private_dir(&self.dir).map_err(|e| fail("cannot create the directory", &e))?;
        // NamedTempFile is created 0600; renaming it over the old file is atomic.
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(|e| fail("cannot create a file", &e))?;
        std::io::Write::write_all(&mut file, text).map_err(|e| fail("cannot write", &e))?;
        if durable {
            file.as_file()
                .sync_all()
                .map_err(|e| fail("cannot write", &e))?;
        }
        file.persist(path)
            .map_err(|e| fail("cannot save", &e.error))?;
        Ok(())
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
        let text = Zeroizing::new(
            serde_json::to_vec(&Entry::of(kept))
                .map_err(|e| KeepError(format!("cannot encode the entry: {e}")))?,
        );
        self.write(&self.path(&kept.app_uid, &kept.gateway), &text, true)
    }

    fn keep_all(&self, kept: &[KeptToken]) -> Result<(), KeepError> {
        if kept.len() < 2 {
            return kept.iter().try_for_each(|one| self.keep(one));
        }
        let batch = Batch {
            scope: self.scope_digest(),
            entries: kept.iter().map(Entry::of).collect(),
        };
        let text = Zeroizing::new(
            serde_json::to_vec(&batch)
                .map_err(|e| KeepError(format!("cannot encode the entries: {e}")))?,
        );
        let name = format!(
            "batch-{}.json",
            b64url_encode(&crate::keeper::crypto::random_bytes(12))
        );
        let path = self.dir.join(name);
        self.write(&path, &text, true)?;
        self.with_batches(|batches| batches.push((path, batch)));
        Ok(())
    }

    fn find(&self, app_uid: &Uid, gateway: &str) -> Option<KeptToken> {
        let matches = |entry: &Entry| {
            entry.app_uid == *app_uid && entry.gateway.eq_ignore_ascii_case(gateway)
        };
        let single = std::fs::read(self.path(app_uid, gateway))
            .ok()
            .map(Zeroizing::new)
            .and_then(|text| serde_json::from_slice::<Entry>(&text).ok())
            .filter(matches);
        let entry = match single {
            Some(entry) => entry,
            None => self.with_batches(|batches| {
                batches
                    .iter()
                    .flat_map(|(_, batch)| &batch.entries)
                    .find(|e| matches(e))
                    .cloned()
            })?,
        };
        let token: OneTimeToken = entry.token.parse().ok()?;
        Some(KeptToken {
            app_uid: entry.app_uid,
            gateway: entry.gateway,
            token,
            expires_at_ms: entry.expires_at_ms,
        })
    }

    fn forget(&self, app_uid: &Uid, gateway: &str) {
        self.forget_all(&[(*app_uid, gateway.to_owned())]);
    }

    fn forget_all(&self, gone: &[(Uid, String)]) {
        let is_gone = |entry: &Entry| {
            gone.iter().any(|(app, name)| {
                entry.app_uid == *app && entry.gateway.eq_ignore_ascii_case(name)
            })
        };
        for (app_uid, gateway) in gone {
            let _ = std::fs::remove_file(self.path(app_uid, gateway));
        }
        self.with_batches(|batches| {
            batches.retain_mut(|(path, batch)| {
                let before = batch.entries.len();
                batch.entries.retain(|e| !is_gone(e));
                if batch.entries.len() == before {
                    return true;
                }
                if batch.entries.is_empty() {
                    let _ = std::fs::remove_file(&*path);
                    return false;
                }
                // Forgetting need not be durable: a token left behind is checked against the
                // server before any use.
                if let Ok(text) = serde_json::to_vec(&*batch) {
                    let _ = self.write(path, &Zeroizing::new(text), false);
                }
                true
            })
        });
    }
}

impl Entry {
    fn of(kept: &KeptToken) -> Entry {
        Entry {
            app_uid: kept.app_uid,
            gateway: kept.gateway.clone(),
            token: Zeroizing::new(kept.token.expose().to_owned()),
            expires_at_ms: kept.expires_at_ms,
        }
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

    #[test]
    fn a_fleet_keeps_its_tokens_in_one_private_file_and_forgets_them_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let place = dir.path().join("p");
        let keeper = FileTokenKeeper::in_dir(place.clone(), "keepersecurity.com", "a@b.c");
        let app = Uid::generate();
        let tokens: Vec<KeptToken> = ["edge-1", "edge-2", "edge-3"]
            .iter()
            .map(|name| KeptToken {
                gateway: (*name).into(),
                ..kept(app)
            })
            .collect();
        keeper.keep_all(&tokens).unwrap();
        let files: Vec<_> = std::fs::read_dir(&place).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "one durable write for the whole group");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = files[0].metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        // A later run (a new keeper) finds each of them; another account finds none.
        let later = FileTokenKeeper::in_dir(place.clone(), "keepersecurity.com", "A@B.C");
        let found = later.find(&app, "EDGE-2").expect("kept in the batch");
        assert_eq!(found.token.expose(), tokens[1].token.expose());
        let other = FileTokenKeeper::in_dir(place.clone(), "keepersecurity.com", "x@b.c");
        assert!(other.find(&app, "edge-2").is_none());

        later.forget_all(&[(app, "edge-1".into()), (app, "Edge-2".into())]);
        let again = FileTokenKeeper::in_dir(place.clone(), "keepersecurity.com", "a@b.c");
        assert!(again.find(&app, "edge-1").is_none());
        assert!(again.find(&app, "edge-2").is_none());
        assert_eq!(
            again
                .find(&app, "edge-3")
                .map(|k| k.token.expose().to_owned()),
            Some(tokens[2].token.expose().to_owned())
        );
        again.forget(&app, "edge-3");
        assert_eq!(
            std::fs::read_dir(&place).unwrap().count(),
            0,
            "an empty batch is removed"
        );
    }
}
