/// Why a ciphertext, key or signature was refused. Each maps onto the error code WeChat's
/// sample code (WXBizMsgCrypt) documents, via [`CryptoError::wechat_code`].
///
/// No variant carries a secret: keys and plaintext never enter an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("signature does not match")]
    InvalidSignature,
    #[error("envelope xml could not be parsed")]
    ParseXml,
    #[error("encoding aes key must be 43 base64 characters")]
    InvalidAesKey,
    #[error("receive id mismatch: expected {expected:?}, found {found:?}")]
    ReceiveIdMismatch { expected: String, found: String },
    #[error("ciphertext is not valid base64")]
    Base64,
    #[error("ciphertext is not a whole number of aes blocks")]
    Decrypt,
    #[error("decrypted padding is invalid")]
    Padding,
    #[error("decrypted message length does not fit the buffer")]
    LengthMismatch,
    #[error("decrypted message is not utf-8")]
    Utf8,
}

impl CryptoError {
    /// WeChat's code for this failure, as its WXBizMsgCrypt sample code numbers them:
    /// -40001 signature, -40002 xml parse, -40004 aes key, -40005 appid/corpid,
    /// -40007 aes decrypt, -40008 illegal buffer, -40010 base64 decode. (-40003, -40006,
    /// -40009 and -40011 are failures to compute, encrypt or encode, which cannot happen here.)
    pub fn wechat_code(&self) -> i32 {
        match self {
            Self::InvalidSignature => -40001,
            Self::ParseXml => -40002,
            Self::InvalidAesKey => -40004,
            Self::ReceiveIdMismatch { .. } => -40005,
            Self::Decrypt | Self::Padding => -40007,
            Self::LengthMismatch | Self::Utf8 => -40008,
            Self::Base64 => -40010,
        }
    }
}
