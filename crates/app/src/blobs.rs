//! Encrypted blob storage (C8): AES-256-GCM per blob under a per-user data key, the data key
//! wrapped by the master key. Below this module the bytes are opaque; above it, plain.
//!
//! Owns the master key file and the blob layout. It must not know about rows: callers keep
//! the blob key in their table and delete blob then row.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use futures::TryStreamExt;
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::config::StorageConfig;
use crate::domain::{Timestamp, UserId};
use crate::storage::{StorageError, open_store};

const NONCE_LEN: usize = 12;
const BLOB_VERSION: u8 = 1;

/// Why a blob could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found")]
    NotFound,
    #[error("the user's data key is gone")]
    KeyShredded,
    #[error("blob or key failed authentication")]
    Tampered,
    #[error("storage error: {0}")]
    Storage(#[from] object_store::Error),
    #[error("master key: {0}")]
    MasterKey(String),
    #[error(transparent)]
    Open(#[from] StorageError),
    #[error("blob folder: {0}")]
    Folder(String),
}

impl BlobError {
    pub fn code(&self) -> &'static str {
        match self {
            BlobError::NotFound => "not-found",
            BlobError::KeyShredded => "key-shredded",
            BlobError::Tampered => "blob-tampered",
            BlobError::Storage(_) => "storage-error",
            BlobError::MasterKey(_) => "master-key",
            BlobError::Open(_) => "storage-unavailable",
            BlobError::Folder(_) => "storage-error",
        }
    }
}

/// The key that wraps every user's data key. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    pub fn random() -> Result<MasterKey, BlobError> {
        Ok(MasterKey(random_bytes()?))
    }

    /// Reads `path`, or creates it with a fresh key readable by the owner only (0600).
    pub fn load_or_create(path: &Path) -> Result<MasterKey, BlobError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    BlobError::MasterKey(format!("{} must hold exactly 32 bytes", path.display()))
                })?;
                Ok(MasterKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = MasterKey::random()?;
                write_private(path, &key.0)
                    .map_err(|e| BlobError::MasterKey(format!("{}: {e}", path.display())))?;
                Ok(key)
            }
            Err(e) => Err(BlobError::MasterKey(format!("{}: {e}", path.display()))),
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // create_new: two processes starting at once must not each write a different key.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], BlobError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| BlobError::MasterKey(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// Encrypts `plain` as `version ‖ nonce ‖ ciphertext+tag`, bound to `aad`.
fn seal(key: &[u8; 32], plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, BlobError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| BlobError::Tampered)?;
    let nonce_bytes: [u8; NONCE_LEN] = random_bytes()?;
    let nonce = Nonce::try_from(&nonce_bytes[..]).map_err(|_| BlobError::Tampered)?;
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: plain, aad })
        .map_err(|_| BlobError::Tampered)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(BLOB_VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, BlobError> {
    let (&version, rest) = sealed.split_first().ok_or(BlobError::Tampered)?;
    if version != BLOB_VERSION || rest.len() < NONCE_LEN {
        return Err(BlobError::Tampered);
    }
    let (nonce_bytes, body) = rest.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| BlobError::Tampered)?;
    let nonce = Nonce::try_from(nonce_bytes).map_err(|_| BlobError::Tampered)?;
    cipher
        .decrypt(&nonce, Payload { msg: body, aad })
        .map_err(|_| BlobError::Tampered)
}

fn key_aad(user: UserId) -> Vec<u8> {
    format!("atelier/data-key/v1/{user}").into_bytes()
}

fn blob_aad(user: UserId, blob_key: &str) -> Vec<u8> {
    format!("atelier/blob/v1/{user}/{blob_key}").into_bytes()
}

/// An object store with envelope encryption on top.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    master: MasterKey,
    /// The folder behind a `file://` store: deleting objects there leaves their folders,
    /// and a user's folder is named by their id, so erasure removes it too.
    local_root: Option<PathBuf>,
}

impl Blobs {
    pub fn new(store: Arc<dyn ObjectStore>, master: MasterKey) -> Blobs {
        Blobs {
            store,
            master,
            local_root: None,
        }
    }

    /// Blobs kept in memory, for tests.
    pub fn in_memory() -> Result<Blobs, BlobError> {
        Ok(Blobs::new(Arc::new(InMemory::new()), MasterKey::random()?))
    }

    /// Opens the storage `url` names (see [`crate::storage`]).
    pub fn open(
        url: &str,
        settings: &StorageConfig,
        master: MasterKey,
    ) -> Result<Blobs, BlobError> {
        let mut blobs = Blobs::new(open_store(url, settings)?, master);
        blobs.local_root = url.strip_prefix("file://").map(PathBuf::from);
        Ok(blobs)
    }

    /// A fresh random data key for `user`, wrapped by the master key, to store with the user.
    pub fn new_wrapped_key(&self, user: UserId) -> Result<Vec<u8>, BlobError> {
        let data_key: [u8; 32] = random_bytes()?;
        seal(&self.master.0, &data_key, &key_aad(user))
    }

    fn unwrap_key(&self, user: UserId, wrapped: Option<&[u8]>) -> Result<[u8; 32], BlobError> {
        let wrapped = wrapped.ok_or(BlobError::KeyShredded)?;
        let key = open(&self.master.0, wrapped, &key_aad(user))?;
        key.as_slice().try_into().map_err(|_| BlobError::Tampered)
    }

    /// Encrypts and stores `plain` at `blob_key` for `user`.
    pub async fn put(
        &self,
        user: UserId,
        wrapped: Option<&[u8]>,
        blob_key: &str,
        plain: &[u8],
    ) -> Result<(), BlobError> {
        let key = self.unwrap_key(user, wrapped)?;
        let sealed = seal(&key, plain, &blob_aad(user, blob_key))?;
        self.store
            .put(&StorePath::from(blob_key), sealed.into())
            .await?;
        Ok(())
    }

    /// Reads and decrypts the blob at `blob_key`; a blob moved to another user or key fails.
    pub async fn get(
        &self,
        user: UserId,
        wrapped: Option<&[u8]>,
        blob_key: &str,
    ) -> Result<Vec<u8>, BlobError> {
        let key = self.unwrap_key(user, wrapped)?;
        let sealed = match self.store.get(&StorePath::from(blob_key)).await {
            Ok(found) => found.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Err(BlobError::NotFound),
            Err(e) => return Err(e.into()),
        };
        open(&key, &sealed, &blob_aad(user, blob_key))
    }

    /// Deletes a blob; deleting one that is already gone succeeds, so sweeps can repeat.
    pub async fn delete(&self, blob_key: &str) -> Result<(), BlobError> {
        match self.store.delete(&StorePath::from(blob_key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every blob stored for `user` and, on local storage, their folder (named by
    /// their id) once it is empty; returns how many blobs there were.
    pub async fn delete_all_of(&self, user: UserId) -> Result<usize, BlobError> {
        let prefix = StorePath::from(format!("users/{user}"));
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        for meta in &metas {
            self.delete(meta.location.as_ref()).await?;
        }
        if let Some(root) = &self.local_root {
            let folder = root.join("users").join(user.to_string());
            tokio::task::spawn_blocking(move || remove_empty_tree(&folder))
                .await
                .map_err(|e| BlobError::Folder(e.to_string()))?
                .map_err(|e| BlobError::Folder(e.to_string()))?;
        }
        Ok(metas.len())
    }

    /// Every blob key under `users/`, with when it was last written.
    pub async fn list(&self) -> Result<Vec<(String, Timestamp)>, BlobError> {
        let prefix = StorePath::from("users");
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        Ok(metas
            .into_iter()
            .map(|m| {
                (
                    m.location.to_string(),
                    Timestamp::from_millis(m.last_modified.timestamp_millis()),
                )
            })
            .collect())
    }
}

/// Removes `dir` and the folders below it, deepest first, as long as they hold no file: a
/// blob written meanwhile (a job finishing during erasure) keeps its folder, for the next
/// pass to delete. A folder already gone is fine.
fn remove_empty_tree(dir: &Path) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_empty_tree(&entry.path())?;
        }
    }
    match std::fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::DirectoryNotEmpty
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Where a user's upload lives; the path names its owner so a storage scan can attribute it.
pub fn upload_key(user: UserId, id: impl std::fmt::Display) -> String {
    format!("users/{user}/uploads/{id}")
}

pub fn result_key(user: UserId, id: impl std::fmt::Display) -> String {
    format!("users/{user}/results/{id}")
}

#[cfg(test)]
#[path = "blobs_tests.rs"]
mod tests;
