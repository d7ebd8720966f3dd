//! The state directory: an exclusive lock plus an SQLite database with one row per object.
//!
//! The sandbox serves from the in-memory `State`; the database is its durable copy. Each row is
//! one object as JSON in `objects(kind, key, json)`: the server identity, each device, each
//! account (without its vault maps), and each user folder, shared folder, record, application and
//! controller. A save writes only the rows that changed — vault entries as recorded by their
//! `TrackedMap`s, the few small rows by comparing digests — in one transaction, committed before
//! the reply leaves (`server::finish`). A write therefore costs the same in an empty vault and
//! in one of 100,000 records.
//!
//! Durability: WAL journal with `synchronous=NORMAL`. A commit is in the WAL file (the OS page
//! cache) before the reply is sent, so `kill -9` of the sandbox loses nothing acknowledged; only
//! a power loss or OS crash may lose the last commits (never corrupt the database). That trade is
//! right for a test emulator: FULL would add an fsync to every acknowledged request.
//!
//! A directory written by an older version (`state.json`) is imported once on open and the file
//! is renamed to `state.json.imported`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use rusqlite::{params, Connection, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::state::{Account, State, StateError, Vault, STATE_FORMAT};
use super::tracked::TrackedMap;
use crate::keeper::uid::Uid;

const DATABASE_FILE: &str = "state.sqlite3";
const LEGACY_FILE: &str = "state.json";
const LEGACY_IMPORTED: &str = "state.json.imported";
const LOCK_FILE: &str = "sandbox.lock";

/// Version of the database layout (`PRAGMA user_version`); bumped on incompatible changes.
pub const STORE_FORMAT: u32 = 1;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;";

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
    /// The database refused a read or write.
    #[error("state database {path}: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A state file or row is not valid JSON of the expected layout.
    #[error("state {path} is unreadable: {message}")]
    Corrupt {
        /// The state file (and row, for the database).
        path: PathBuf,
        /// Parser message (no secrets: serde reports positions and field names).
        message: String,
    },
    /// The state was written by an incompatible version.
    #[error("state {path} has format {found}, this build reads format {expected}")]
    Format {
        /// The state file or database.
        path: PathBuf,
        /// Format number found.
        found: u32,
        /// Format number this build reads.
        expected: u32,
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
    path: PathBuf,
    // Held for the store's lifetime: the OS releases the lock when the file is closed.
    _lock: File,
    changes: AtomicU64,
    saved: tokio::sync::Mutex<u64>,
    writer: Mutex<Writer>,
}

/// The connection plus what the database holds of the rows that are compared, not tracked.
struct Writer {
    db: Connection,
    digests: Digests,
    /// Set when a save failed after taking the changed keys: the next save rewrites every row.
    rewrite_all: bool,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("rows_compared", &self.digests.len())
            .finish_non_exhaustive()
    }
}

/// JSON digests of the compared rows, by (kind, key), as the database holds them.
type Digests = BTreeMap<(&'static str, String), [u8; 32]>;

/// One row to write: `Some(json)` upserts, `None` deletes.
type RowWrite = (&'static str, String, Option<String>);

impl StateStore {
    /// Locks `dir` (creating it) and loads its state: from the database, else by importing a
    /// legacy `state.json`, else a fresh state created and saved at first start.
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
        let path = dir.join(DATABASE_FILE);
        let db = open_database(&path)?;
        let store = Self {
            path,
            _lock: lock,
            changes: AtomicU64::new(0),
            saved: tokio::sync::Mutex::new(0),
            writer: Mutex::new(Writer {
                db,
                digests: BTreeMap::new(),
                rewrite_all: true,
            }),
        };
        let state = match store.load()? {
            Some(state) => state,
            None => {
                let legacy = dir.join(LEGACY_FILE);
                let mut state = match File::open(&legacy) {
                    Ok(file) => parse_legacy(&legacy, file)?,
                    Err(e) if e.kind() == ErrorKind::NotFound => State::create()?,
                    Err(e) => return Err(io_err(&legacy)(e)),
                };
                store.write_changes(&mut state)?;
                if legacy.exists() {
                    let aside = dir.join(LEGACY_IMPORTED);
                    std::fs::rename(&legacy, &aside).map_err(io_err(&legacy))?;
                    tracing::info!(from = %legacy.display(), "sandbox state imported");
                }
                state
            }
        };
        Ok((store, state))
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn db_err(&self) -> impl FnOnce(rusqlite::Error) -> PersistError + '_ {
        move |source| PersistError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Reads every row back into a `State`; `None` for an empty database.
    fn load(&self) -> Result<Option<State>, PersistError> {
        let mut writer = self.writer();
        let mut statement = writer
            .db
            .prepare("SELECT kind, key, json FROM objects ORDER BY kind, key")
            .map_err(self.db_err())?;
        let mut rows = statement.query([]).map_err(self.db_err())?;
        let mut server = None;
        let mut devices = Vec::new();
        let mut accounts: Vec<Account> = Vec::new();
        let mut vault_rows = Vec::new();
        while let Some(row) = rows.next().map_err(self.db_err())? {
            let kind: String = row.get(0).map_err(self.db_err())?;
            let key: String = row.get(1).map_err(self.db_err())?;
            let json: String = row.get(2).map_err(self.db_err())?;
            match kind.as_str() {
                "server" => server = Some(self.parse(&kind, &key, &json)?),
                "device" => devices.push(self.parse(&kind, &key, &json)?),
                "account" => accounts.push(self.parse(&kind, &key, &json)?),
                _ => vault_rows.push((kind, key, json)),
            }
        }
        drop(rows);
        drop(statement);
        let Some(server) = server else {
            return Ok(None);
        };
        let mut state = State {
            format: STATE_FORMAT,
            server,
            devices,
            accounts,
        };
        let by_uid: BTreeMap<Uid, usize> = state
            .accounts
            .iter()
            .enumerate()
            .map(|(index, account)| (account.account_uid, index))
            .collect();
        let mut maps: Vec<VaultMaps> = (0..state.accounts.len())
            .map(|_| VaultMaps::default())
            .collect();
        for (kind, key, json) in vault_rows {
            let orphan = || self.corrupt(&kind, &key, "no account or UID for this row");
            let (account, uid) = key.split_once('/').ok_or_else(orphan)?;
            let account: Uid = account.parse().map_err(|_| orphan())?;
            let uid: Uid = uid.parse().map_err(|_| orphan())?;
            let index = *by_uid.get(&account).ok_or_else(orphan)?;
            let target = &mut maps[index];
            match kind.as_str() {
                "user_folder" => {
                    target
                        .user_folders
                        .insert(uid, self.parse(&kind, &key, &json)?);
                }
                "shared_folder" => {
                    target
                        .shared_folders
                        .insert(uid, self.parse(&kind, &key, &json)?);
                }
                "record" => {
                    target.records.insert(uid, self.parse(&kind, &key, &json)?);
                }
                "app" => {
                    target.apps.insert(uid, self.parse(&kind, &key, &json)?);
                }
                "controller" => {
                    target
                        .controllers
                        .insert(uid, self.parse(&kind, &key, &json)?);
                }
                "pam_configuration" => {
                    target
                        .pam_configurations
                        .insert(uid, self.parse(&kind, &key, &json)?);
                }
                _ => return Err(self.corrupt(&kind, &key, "unknown kind")),
            }
        }
        for (account, maps) in state.accounts.iter_mut().zip(maps) {
            maps.install(&mut account.vault);
        }
        // Everything just read is what the database holds: remember the compared rows' digests.
        writer.digests = compared_rows(&state)
            .into_iter()
            .map(|(kind, key, json)| ((kind, key), digest(&json)))
            .collect();
        writer.rewrite_all = false;
        Ok(Some(state))
    }

    fn parse<T: DeserializeOwned>(
        &self,
        kind: &str,
        key: &str,
        json: &str,
    ) -> Result<T, PersistError> {
        serde_json::from_str(json).map_err(|e| self.corrupt(kind, key, &e.to_string()))
    }

    fn corrupt(&self, kind: &str, key: &str, message: &str) -> PersistError {
        PersistError::Corrupt {
            path: self.path.clone(),
            message: format!("row {kind}/{key}: {message}"),
        }
    }

    /// Writes what changed in `state` since the last write, in one transaction (blocking).
    ///
    /// Returns how many rows were written or deleted.
    pub fn write_changes(&self, state: &mut State) -> Result<usize, PersistError> {
        let mut writer = self.writer();
        let rewrite_all = std::mem::replace(&mut writer.rewrite_all, true);
        let (rows, digests) = collect(state, &writer.digests, rewrite_all);
        let count = rows.len();
        let committed = write_rows(&mut writer.db, &rows, rewrite_all).map_err(self.db_err());
        // On failure `rewrite_all` stays set: the changed keys were taken, so only a full rewrite
        // brings the database back in line with memory.
        committed?;
        writer.digests = digests;
        writer.rewrite_all = false;
        Ok(count)
    }

    /// Records that the in-memory state changed since the last save.
    pub fn mark_changed(&self) -> u64 {
        self.changes.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Saves what changed in `state` since the last save; concurrent callers share one write.
    pub async fn save(self: &Arc<Self>, state: &Arc<RwLock<State>>) -> Result<(), PersistError> {
        let wanted = self.changes.load(Ordering::SeqCst);
        let mut saved = self.saved.lock().await;
        if *saved >= wanted {
            return Ok(());
        }
        // Read the counter before collecting: a change racing with us is then saved now or later.
        let covering = self.changes.load(Ordering::SeqCst);
        let store = Arc::clone(self);
        let state = Arc::clone(state);
        tokio::task::spawn_blocking(move || {
            let mut guard = state.write().unwrap_or_else(|p| p.into_inner());
            store.write_changes(&mut guard)
        })
        .await
        .map_err(|e| PersistError::Task(e.to_string()))??;
        *saved = covering;
        Ok(())
    }
}

/// The vault maps of one account while loading.
#[derive(Default)]
struct VaultMaps {
    user_folders: BTreeMap<Uid, super::state::UserFolder>,
    shared_folders: BTreeMap<Uid, super::state::SharedFolder>,
    records: BTreeMap<Uid, super::state::Record>,
    apps: BTreeMap<Uid, super::state::App>,
    controllers: BTreeMap<Uid, super::state::Controller>,
    pam_configurations: BTreeMap<Uid, super::state::PamConfiguration>,
}

impl VaultMaps {
    fn install(self, vault: &mut Vault) {
        vault.user_folders = TrackedMap::loaded(self.user_folders);
        vault.shared_folders = TrackedMap::loaded(self.shared_folders);
        vault.records = TrackedMap::loaded(self.records);
        vault.apps = TrackedMap::loaded(self.apps);
        vault.controllers = TrackedMap::loaded(self.controllers);
        vault.pam_configurations = TrackedMap::loaded(self.pam_configurations);
    }
}

fn open_database(path: &Path) -> Result<Connection, PersistError> {
    // SQLite creates the -wal and -shm files with the mode of the database file: make it 0600
    // before SQLite first creates it.
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(io_err(path))?;
    let db_err = |source| PersistError::Database {
        path: path.to_path_buf(),
        source,
    };
    let db = Connection::open(path).map_err(db_err)?;
    let found: u32 = db
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(db_err)?;
    let tables: i64 = db
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(db_err)?;
    if tables > 0 && found != STORE_FORMAT {
        return Err(PersistError::Format {
            path: path.to_path_buf(),
            found,
            expected: STORE_FORMAT,
        });
    }
    db.pragma_update(None, "journal_mode", "WAL")
        .map_err(db_err)?;
    db.pragma_update(None, "synchronous", "NORMAL")
        .map_err(db_err)?;
    db.execute_batch(SCHEMA).map_err(db_err)?;
    db.pragma_update(None, "user_version", STORE_FORMAT)
        .map_err(db_err)?;
    Ok(db)
}

/// Rows that are compared by digest rather than tracked: few, small, and rarely all changed.
fn compared_rows(state: &State) -> Vec<(&'static str, String, String)> {
    let mut rows = Vec::with_capacity(1 + state.devices.len() + state.accounts.len());
    rows.push(("server", String::new(), to_json(&state.server)));
    for (index, device) in state.devices.iter().enumerate() {
        rows.push(("device", position_key(index), to_json(device)));
    }
    for (index, account) in state.accounts.iter().enumerate() {
        // The vault maps are skipped by serde: this is the account with its vault revision.
        rows.push(("account", position_key(index), to_json(account)));
    }
    rows
}

/// Devices and accounts keep their order (the first account is the demo account): key = position.
fn position_key(index: usize) -> String {
    format!("{index:08}")
}

fn to_json(value: &impl Serialize) -> String {
    // The state types serialize only strings, numbers and maps with string keys: infallible.
    serde_json::to_string(value).unwrap_or_default()
}

fn digest(json: &str) -> [u8; 32] {
    Sha256::digest(json.as_bytes()).into()
}

/// The rows to write and the digests the database will hold once they are committed.
fn collect(state: &mut State, known: &Digests, everything: bool) -> (Vec<RowWrite>, Digests) {
    let mut rows = Vec::new();
    let mut digests = BTreeMap::new();
    for (kind, key, json) in compared_rows(state) {
        let new = digest(&json);
        if everything || known.get(&(kind, key.clone())) != Some(&new) {
            rows.push((kind, key.clone(), Some(json)));
        }
        digests.insert((kind, key), new);
    }
    // Devices or accounts that are no longer there (none are removed today, but stay correct).
    for (kind, key) in known.keys() {
        if !digests.contains_key(&(*kind, key.clone())) && !everything {
            rows.push((kind, key.clone(), None));
        }
    }
    for account in &mut state.accounts {
        let owner = account.account_uid.to_string();
        let vault = &mut account.vault;
        tracked_rows(
            &mut rows,
            "user_folder",
            &owner,
            &mut vault.user_folders,
            everything,
        );
        tracked_rows(
            &mut rows,
            "shared_folder",
            &owner,
            &mut vault.shared_folders,
            everything,
        );
        tracked_rows(&mut rows, "record", &owner, &mut vault.records, everything);
        tracked_rows(&mut rows, "app", &owner, &mut vault.apps, everything);
        tracked_rows(
            &mut rows,
            "controller",
            &owner,
            &mut vault.controllers,
            everything,
        );
        tracked_rows(
            &mut rows,
            "pam_configuration",
            &owner,
            &mut vault.pam_configurations,
            everything,
        );
    }
    (rows, digests)
}

fn tracked_rows<V: Serialize>(
    rows: &mut Vec<RowWrite>,
    kind: &'static str,
    owner: &str,
    map: &mut TrackedMap<Uid, V>,
    everything: bool,
) {
    let changed = map.take_changed();
    let keys: Vec<Uid> = if everything {
        map.keys().copied().collect()
    } else {
        changed.into_iter().collect()
    };
    for uid in keys {
        let json = map.get(&uid).map(to_json);
        rows.push((kind, format!("{owner}/{uid}"), json));
    }
}

fn write_rows(db: &mut Connection, rows: &[RowWrite], everything: bool) -> rusqlite::Result<()> {
    let tx = db.transaction()?;
    if everything {
        tx.execute("DELETE FROM objects", [])?;
    }
    put_rows(&tx, rows)?;
    tx.commit()
}

fn put_rows(tx: &Transaction<'_>, rows: &[RowWrite]) -> rusqlite::Result<()> {
    let mut upsert =
        tx.prepare_cached("INSERT OR REPLACE INTO objects (kind, key, json) VALUES (?1, ?2, ?3)")?;
    let mut delete = tx.prepare_cached("DELETE FROM objects WHERE kind = ?1 AND key = ?2")?;
    for (kind, key, json) in rows {
        match json {
            Some(json) => upsert.execute(params![kind, key, json])?,
            None => delete.execute(params![kind, key])?,
        };
    }
    Ok(())
}

fn parse_legacy(path: &Path, file: File) -> Result<State, PersistError> {
    #[derive(serde::Deserialize)]
    struct FormatOnly {
        format: u32,
    }
    let format_error = |found| PersistError::Format {
        path: path.to_path_buf(),
        found,
        expected: STATE_FORMAT,
    };
    match serde_json::from_reader::<_, State>(BufReader::with_capacity(1 << 20, file)) {
        Ok(state) if state.format == STATE_FORMAT => Ok(state),
        Ok(state) => Err(format_error(state.format)),
        Err(error) => {
            // Say "wrong format" rather than "corrupt" when the file is merely from another version.
            let header = File::open(path)
                .ok()
                .and_then(|f| serde_json::from_reader::<_, FormatOnly>(BufReader::new(f)).ok());
            match header {
                Some(h) if h.format != STATE_FORMAT => Err(format_error(h.format)),
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
#[path = "store_tests.rs"]
mod tests;
