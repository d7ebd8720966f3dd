//! The state directory: an exclusive lock plus one JSON file replaced atomically on every save.
//!
//! A save writes `state.json.tmp`, fsyncs it, renames it over `state.json` and fsyncs the
//! directory, so a `kill -9` at any point leaves either the old or the new state, never a torn one.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::state::{State, StateError, STATE_FORMAT};

const STATE_FILE: &str = "state.json";
const TEMP_FILE: &str = "state.json.tmp";
const LOCK_FILE: &str = "sandbox.lock";

/// Why the state directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Another sandbox holds the directory's lock.
    #[error("state directory {0} is in use by another sandbox (its lock file is held)")]
    Locked(PathBuf),
    /// Reading or writing a file failed.
    #[error("state directory {path}: {source}")]
    Io {
        /// File or directory concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The state file is not valid JSON of the expected layout.
    #[error("state file {path} is unreadable: {message}")]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// Parser message (no secrets: serde reports positions and field names).
        message: String,
    },
    /// The state file was written by an incompatible version.
    #[error("state file {path} has format {found}, this build reads format {STATE_FORMAT}")]
    Format {
        /// The state file.
        path: PathBuf,
        /// Format number found in the file.
        found: u32,
    },
    /// Creating the first-start state failed.
    #[error(transparent)]
    Create(#[from] StateError),
    /// The background save task failed to run.
    #[error("state save task failed: {0}")]
    Task(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
    move |source| PersistError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An opened, locked state directory.
#[derive(Debug)]
pub struct StateStore {
    dir: PathBuf,
    // Held for the store's lifetime: the OS releases the lock when the file is closed.
    _lock: File,
    changes: AtomicU64,
    saved: tokio::sync::Mutex<u64>,
}

impl StateStore {
    /// Locks `dir` (creating it) and loads its state, creating and saving a fresh one at first start.
    pub fn open(dir: &Path) -> Result<(Self, State), PersistError> {
        create_private_dir(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(PersistError::Locked(dir.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }
        let store = Self {
            dir: dir.to_path_buf(),
            _lock: lock,
            changes: AtomicU64::new(0),
            saved: tokio::sync::Mutex::new(0),
        };
        let path = dir.join(STATE_FILE);
        let state = match std::fs::read(&path) {
            Ok(bytes) => parse_state(&path, &bytes)?,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let state = State::create()?;
                store.write_state(&state)?;
                state
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        Ok((store, state))
    }

    /// Serializes `state` and replaces the state file atomically (blocking).
    pub fn write_state(&self, state: &State) -> Result<(), PersistError> {
        let path = self.dir.join(STATE_FILE);
        let bytes = serde_json::to_vec(state).map_err(|e| PersistError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        self.write_bytes(&bytes)
    }

    fn write_bytes(&self, bytes: &[u8]) -> Result<(), PersistError> {
        let temp = self.dir.join(TEMP_FILE);
        let path = self.dir.join(STATE_FILE);
        let mut options = OpenOptions::new();
        options.create(true).write(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp).map_err(io_err(&temp))?;
        file.write_all(bytes).map_err(io_err(&temp))?;
        file.sync_all().map_err(io_err(&temp))?;
        drop(file);
        std::fs::rename(&temp, &path).map_err(io_err(&path))?;
        // The rename is durable only once the directory entry is flushed too.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))?;
        Ok(())
    }

    /// Records that the in-memory state changed since the last save.
    pub fn mark_changed(&self) -> u64 {
        self.changes.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Saves `state` if it changed since the last save; concurrent callers share one write.
    pub async fn save(self: &Arc<Self>, state: &Arc<RwLock<State>>) -> Result<(), PersistError> {
        let wanted = self.changes.load(Ordering::SeqCst);
        let mut saved = self.saved.lock().await;
        if *saved >= wanted {
            return Ok(());
        }
        // Read the counter before serializing: a change racing with us is then saved now or later.
        let covering = self.changes.load(Ordering::SeqCst);
        let store = Arc::clone(self);
        let state = Arc::clone(state);
        tokio::task::spawn_blocking(move || {
            let bytes = {
                let guard = state
                    .read()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                serde_json::to_vec(&*guard)
            }
            .map_err(|e| PersistError::Corrupt {
                path: store.dir.join(STATE_FILE),
                message: e.to_string(),
            })?;
            store.write_bytes(&bytes)
        })
        .await
        .map_err(|e| PersistError::Task(e.to_string()))??;
        *saved = covering;
        Ok(())
    }
}

fn parse_state(path: &Path, bytes: &[u8]) -> Result<State, PersistError> {
    #[derive(serde::Deserialize)]
    struct FormatOnly {
        format: u32,
    }
    let corrupt = |e: serde_json::Error| PersistError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let header: FormatOnly = serde_json::from_slice(bytes).map_err(corrupt)?;
    if header.format != STATE_FORMAT {
        return Err(PersistError::Format {
            path: path.to_path_buf(),
            found: header.format,
        });
    }
    serde_json::from_slice(bytes).map_err(corrupt)
}

fn create_private_dir(dir: &Path) -> Result<(), PersistError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_open_of_a_locked_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_store, _state) = StateStore::open(dir.path()).unwrap();
        let err = StateStore::open(dir.path()).unwrap_err();
        assert!(matches!(err, PersistError::Locked(_)), "{err}");
    }

    #[test]
    fn reopened_directory_keeps_the_server_key_and_account() {
        let dir = tempfile::tempdir().unwrap();
        let (key, password) = {
            let (_store, state) = StateStore::open(dir.path()).unwrap();
            (
                state.server.ec_private_key.to_vec(),
                state.accounts[0].password.to_string(),
            )
        };
        let (_store, state) = StateStore::open(dir.path()).unwrap();
        assert_eq!(state.server.ec_private_key.to_vec(), key);
        assert_eq!(*state.accounts[0].password, password);
    }

    #[test]
    fn leftover_temp_file_from_a_killed_save_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        drop(StateStore::open(dir.path()).unwrap());
        std::fs::write(dir.path().join(TEMP_FILE), b"{\"format\":1, torn").unwrap();
        StateStore::open(dir.path()).unwrap();
    }

    #[test]
    fn truncated_state_file_is_reported_not_panicked() {
        let dir = tempfile::tempdir().unwrap();
        drop(StateStore::open(dir.path()).unwrap());
        std::fs::write(dir.path().join(STATE_FILE), b"{\"format\":1,").unwrap();
        let err = StateStore::open(dir.path()).unwrap_err();
        assert!(matches!(err, PersistError::Corrupt { .. }), "{err}");
    }
}
