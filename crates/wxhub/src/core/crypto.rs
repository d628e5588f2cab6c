//! Secrets at rest and credentials we mint.
//!
//! Account secrets are sealed with AES-256-GCM under the [`MasterKey`]. A sealed value is text,
//! `v1.<base64(nonce ‖ ciphertext ‖ tag)>`, so it fits a TEXT column on both backends. The
//! associated data names the row and field it belongs to (`account:demo-mp:secret`), so a
//! ciphertext copied into another row or field does not open. Caller secrets and bearer tokens
//! are random 256-bit values; only their SHA-256 is stored (they are high-entropy, so a slow
//! password hash buys nothing).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::core::secret::Secret;

const SEALED_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;

/// The 32-byte key that encrypts account secrets. `Debug` is redacted.
#[derive(Clone)]
pub struct MasterKey(Secret<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

/// Sealing or opening a secret failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("master key is not 64 hex characters")]
    BadKey,
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value does not open with this master key")]
    WrongKey,
}

impl MasterKey {
    pub fn from_hex(hex_text: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(hex_text).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(MasterKey(Secret::new(key)))
    }

    pub fn from_bytes(key: [u8; 32]) -> Self {
        MasterKey(Secret::new(key))
    }

    /// A fresh random key (tests, `wxhub demo`).
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        MasterKey(Secret::new(key))
    }

    pub fn to_hex(&self) -> Secret<String> {
        Secret::new(hex::encode(self.0.expose()))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.0.expose()))
    }

    /// Encrypts `plaintext`, bound to `context` (which row and field it belongs to).
    pub fn seal(&self, context: &str, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Malformed)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(out)))
    }

    /// Decrypts a value made by [`MasterKey::seal`] with the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Secret<String>, CryptoError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(CryptoError::Malformed)?;
        let raw = STANDARD.decode(body).map_err(|_| CryptoError::Malformed)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::WrongKey)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| CryptoError::Malformed)
    }
}

/// A random credential: `prefix` followed by 32 random bytes in URL-safe base64.
pub fn random_token(prefix: &str) -> Secret<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    Secret::new(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// SHA-256 of a credential, hex; what the store keeps instead of the credential.
pub fn hash_credential(credential: &str) -> String {
    hex::encode(Sha256::digest(credential.as_bytes()))
}

/// Compares two byte strings in constant time (for equal lengths).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_with_the_same_key_and_context() {
        let key = MasterKey::generate();
        let sealed = key.seal("account:a:secret", "s3cr3t").expect("seal");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("s3cr3t"));
        let opened = key.open("account:a:secret", &sealed).expect("open");
        assert_eq!(opened.expose(), "s3cr3t");
    }

    #[test]
    fn sealed_secret_does_not_open_elsewhere() {
        let key = MasterKey::generate();
        let sealed = key.seal("account:a:secret", "s3cr3t").expect("seal");
        assert_eq!(
            key.open("account:b:secret", &sealed).err(),
            Some(CryptoError::WrongKey)
        );
        assert_eq!(
            MasterKey::generate()
                .open("account:a:secret", &sealed)
                .err(),
            Some(CryptoError::WrongKey)
        );
        assert_eq!(
            key.open("account:a:secret", "v1.!!!").err(),
            Some(CryptoError::Malformed)
        );
        assert_eq!(
            key.open("account:a:secret", "plain").err(),
            Some(CryptoError::Malformed)
        );
        assert_eq!(
            key.open("account:a:secret", "v1.AAAA").err(),
            Some(CryptoError::Malformed)
        );
    }

    #[test]
    fn master_key_parses_from_64_hex_chars_only() {
        assert!(MasterKey::from_hex(&"a1".repeat(32)).is_ok());
        assert_eq!(
            MasterKey::from_hex(&"a1".repeat(31)).err(),
            Some(CryptoError::BadKey)
        );
        assert_eq!(
            MasterKey::from_hex(&"zz".repeat(32)).err(),
            Some(CryptoError::BadKey)
        );
        let key = MasterKey::generate();
        let again = MasterKey::from_hex(key.to_hex().expose()).expect("round trip");
        let sealed = key.seal("c", "v").expect("seal");
        assert_eq!(again.open("c", &sealed).expect("open").expose(), "v");
    }

    #[test]
    fn random_tokens_differ_and_hash_stably() {
        let a = random_token("x_");
        let b = random_token("x_");
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("x_"));
        assert_eq!(hash_credential(a.expose()), hash_credential(a.expose()));
        assert_eq!(hash_credential("abc").len(), 64);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
