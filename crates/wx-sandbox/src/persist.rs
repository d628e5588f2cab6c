//! The optional state file: the whole `State` as JSON, written atomically (temp file +
//! rename). Serialisation happens under the lock (CPU only); the write happens outside it.

use crate::state::State;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("reading state file")]
    Read(#[source] std::io::Error),
    #[error("writing state file")]
    Write(#[source] std::io::Error),
    #[error("state file is not valid sandbox state")]
    Parse(#[source] serde_json::Error),
    #[error("serialising state")]
    Serialise(#[source] serde_json::Error),
}

/// Loads the state file; a missing file is an empty state.
pub fn load(path: &Path) -> Result<State, PersistError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(PersistError::Parse),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(PersistError::Read(e)),
    }
}

pub fn to_bytes(state: &State) -> Result<Vec<u8>, PersistError> {
    serde_json::to_vec(state).map_err(PersistError::Serialise)
}

pub async fn write(path: &Path, bytes: Vec<u8>) -> Result<(), PersistError> {
    let tmp = path.with_extension("tmp");
    tokio::fs::write(&tmp, bytes)
        .await
        .map_err(PersistError::Write)?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(PersistError::Write)
}
