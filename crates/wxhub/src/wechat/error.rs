//! WeChat's errors, typed: the errcode/errmsg WeChat sent, or why no answer was usable.

/// An error from one WeChat API call. Never carries a URL (it may hold a secret or token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeChatError {
    /// WeChat answered with a non-zero `errcode`.
    #[error("wechat error {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    /// WeChat (or the proxy in front of it) answered with a non-success HTTP status.
    #[error("wechat answered http status {0}")]
    Status(u16),
    /// No answer: connection refused, timeout, reset.
    #[error("wechat unreachable: {0}")]
    Transport(String),
    /// An answer we could not read.
    #[error("unexpected answer from wechat: {0}")]
    Decode(String),
}

/// access_token invalid (40001), expired (42001) or not the latest (40014).
pub const TOKEN_REJECTED: [i64; 3] = [40001, 42001, 40014];
/// The daily quota for this API is used up.
pub const QUOTA_EXHAUSTED: i64 = 45009;

impl WeChatError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Self::Api { errcode, .. } => Some(*errcode),
            Self::Status(_) | Self::Transport(_) | Self::Decode(_) => None,
        }
    }

    /// WeChat refused the access_token itself: expire it (if still current) and retry once.
    pub fn rejects_token(&self) -> bool {
        self.errcode()
            .is_some_and(|code| TOKEN_REJECTED.contains(&code))
    }

    pub fn is_quota_exhausted(&self) -> bool {
        self.errcode() == Some(QUOTA_EXHAUSTED)
    }

    /// From a reqwest error, dropping the URL (its query may hold a secret or token).
    pub fn from_transport(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if err.is_timeout() {
            Self::Transport("timed out".into())
        } else if err.is_decode() {
            Self::Decode(err.to_string())
        } else {
            Self::Transport(err.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(errcode: i64) -> WeChatError {
        WeChatError::Api {
            errcode,
            errmsg: "x".into(),
        }
    }

    #[test]
    fn token_rejections_are_40001_42001_40014_only() {
        assert!(api(40001).rejects_token());
        assert!(api(42001).rejects_token());
        assert!(api(40014).rejects_token());
        assert!(!api(45009).rejects_token());
        assert!(!api(-1).rejects_token());
        assert!(!WeChatError::Status(502).rejects_token());
        assert!(api(45009).is_quota_exhausted());
    }
}
