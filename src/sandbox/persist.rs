//! The state directory: an exclusive lock plus one JSON file replaced atomically on every save.
//!
//! A save writes `state.json.tmp`, fsyncs it, renames it over `state.json` and fsyncs the
//! directory, so a `kill -9` at any point leaves either the old or the new state, never a torn one.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, ErrorKind};
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
        let state = match File::open(&path) {
            Ok(file) => parse_state(&path, file)?,
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
    ///
    /// The JSON is streamed to the temp file, so a 100,000-record vault never exists twice in memory.
    pub fn write_state(&self, state: &State) -> Result<(), PersistError> {
        let temp = self.dir.join(TEMP_FILE);
        let path = self.dir.join(STATE_FILE);
        // A leftover temp file keeps its own mode (and could be a link): start from a fresh one,
        // so the mode below applies.
        let _ = std::fs::remove_file(&temp);
        let mut options = OpenOptions::new();
        options.create_new(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&temp).map_err(io_err(&temp))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        serde_json::to_writer(&mut writer, state).map_err(|e| PersistError::Io {
            path: temp.clone(),
            source: std::io::Error::other(e),
        })?;
        let file = writer
            .into_inner()
            .map_err(|e| io_err(&temp)(e.into_error()))?;
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
            let guard = state
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            store.write_state(&guard)
        })
        .await
        .map_err(|e| PersistError::Task(e.to_string()))??;
        *saved = covering;
        Ok(())
    }
}

fn parse_state(path: &Path, file: File) -> Result<State, PersistError> {
    #[derive(serde::Deserialize)]
    struct FormatOnly {
        format: u32,
    }
    match serde_json::from_reader::<_, State>(BufReader::with_capacity(1 << 20, file)) {
        Ok(state) if state.format == STATE_FORMAT => Ok(state),
        Ok(state) => Err(PersistError::Format {
            path: path.to_path_buf(),
            found: state.format,
        }),
        Err(error) => {
            // Say "wrong format" rather than "corrupt" when the file is merely from another version.
            let header = File::open(path)
                .ok()
                .and_then(|f| serde_json::from_reader::<_, FormatOnly>(BufReader::new(f)).ok());
            match header {
                Some(h) if h.format != STATE_FORMAT => Err(PersistError::Format {
                    path: path.to_path_buf(),
                    found: h.format,
                }),
                _ => Err(PersistError::Corrupt {
                    path: path.to_path_buf(),
                    message: error.to_string(),
                }),
            }
        }
    }
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

    #[cfg(unix)]
    #[test]
    fn state_file_is_0600_even_over_a_world_readable_leftover_temp_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (store, state) = StateStore::open(dir.path()).unwrap();
        let temp = dir.path().join(TEMP_FILE);
        std::fs::write(&temp, b"torn").unwrap();
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o644)).unwrap();
        store.write_state(&state).unwrap();
        let mode = std::fs::metadata(dir.path().join(STATE_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
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
