use std::fmt;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes::Aes256;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{CryptoError, EncodingAesKey};

type Encryptor = cbc::Encryptor<Aes256>;
type Decryptor = cbc::Decryptor<Aes256>;

/// WeChat pads to multiples of 32 bytes, not AES's 16.
const PAD_BLOCK: usize = 32;
const AES_BLOCK: usize = 16;
const RANDOM_LEN: usize = 16;
const HEADER_LEN: usize = RANDOM_LEN + 4;

/// Encrypts and decrypts callback bodies for one receiver (an AppID, CorpID or suite id).
/// `Debug` shows the receive id, never the key.
#[derive(Clone)]
pub struct MessageCrypt {
    key: EncodingAesKey,
    receive_id: String,
}

impl MessageCrypt {
    pub fn new(key: EncodingAesKey, receive_id: impl Into<String>) -> Self {
        Self {
            key,
            receive_id: receive_id.into(),
        }
    }

    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// Encrypts `plaintext` with a fresh random 16-byte prefix; returns base64.
    pub fn encrypt(&self, plaintext: &str) -> String {
        self.encrypt_with_random(rand::random(), plaintext)
    }

    /// Encrypts with the given 16-byte prefix: deterministic, for known-answer tests.
    pub fn encrypt_with_random(&self, random: [u8; 16], plaintext: &str) -> String {
        let msg = plaintext.as_bytes();
        // A message of 4 GiB cannot reach here (callbacks are bounded far below that);
        // saturating keeps the function total.
        let msg_len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
        let body_len = HEADER_LEN + msg.len() + self.receive_id.len();
        let pad = PAD_BLOCK - body_len % PAD_BLOCK;
        let mut buf = Vec::with_capacity(body_len + pad);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&msg_len.to_be_bytes());
        buf.extend_from_slice(msg);
        buf.extend_from_slice(self.receive_id.as_bytes());
        // `pad` is 1..=32, so it fits a byte.
        buf.resize(body_len + pad, pad as u8);

        let mut cipher = Encryptor::new(self.key.as_bytes().into(), (&self.iv()).into());
        for block in buf.chunks_exact_mut(AES_BLOCK) {
            cipher.encrypt_block_mut(block.into());
        }
        STANDARD.encode(&buf)
    }

    /// Decrypts a base64 ciphertext and checks its padding, length field and receive id.
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<String, CryptoError> {
        let (message, receive_id) = self.decrypt_any_receiver(ciphertext_b64)?;
        if receive_id != self.receive_id {
            return Err(CryptoError::ReceiveIdMismatch {
                expected: self.receive_id.clone(),
                found: shorten(&receive_id),
            });
        }
        Ok(message)
    }

    /// Decrypts without checking the receive id, returning `(message, receive_id)`. For WeCom
    /// suite callbacks, whose receive id is the suite id or the CorpID depending on the event.
    pub fn decrypt_any_receiver(
        &self,
        ciphertext_b64: &str,
    ) -> Result<(String, String), CryptoError> {
        let mut data = STANDARD
            .decode(ciphertext_b64.trim())
            .map_err(|_| CryptoError::Base64)?;
        if data.is_empty() || data.len() % AES_BLOCK != 0 {
            return Err(CryptoError::Decrypt);
        }
        let mut cipher = Decryptor::new(self.key.as_bytes().into(), (&self.iv()).into());
        for block in data.chunks_exact_mut(AES_BLOCK) {
            cipher.decrypt_block_mut(block.into());
        }
        let content = unpad(&data)?;
        if content.len() < HEADER_LEN {
            return Err(CryptoError::LengthMismatch);
        }
        let (header, rest) = content.split_at(HEADER_LEN);
        let len_bytes: [u8; 4] = header[RANDOM_LEN..]
            .try_into()
            .map_err(|_| CryptoError::LengthMismatch)?;
        let msg_len = usize::try_from(u32::from_be_bytes(len_bytes))
            .map_err(|_| CryptoError::LengthMismatch)?;
        if msg_len > rest.len() {
            return Err(CryptoError::LengthMismatch);
        }
        let (msg, receive_id) = rest.split_at(msg_len);
        let msg = std::str::from_utf8(msg).map_err(|_| CryptoError::Utf8)?;
        let receive_id = String::from_utf8_lossy(receive_id).into_owned();
        Ok((msg.to_owned(), receive_id))
    }

    /// The IV is the key's first 16 bytes.
    fn iv(&self) -> [u8; 16] {
        let key = self.key.as_bytes();
        std::array::from_fn(|i| key[i])
    }
}

/// Strips PKCS#7 padding of 1..=32 bytes. Padding to 16-byte blocks, which some other
/// implementations send, is valid under the same rule.
fn unpad(data: &[u8]) -> Result<&[u8], CryptoError> {
    let pad = usize::from(*data.last().ok_or(CryptoError::Padding)?);
    if pad == 0 || pad > PAD_BLOCK || pad > data.len() {
        return Err(CryptoError::Padding);
    }
    let (content, padding) = data.split_at(data.len() - pad);
    if padding.iter().any(|&b| usize::from(b) != pad) {
        return Err(CryptoError::Padding);
    }
    Ok(content)
}

/// A receive id found in a ciphertext is attacker-controlled: keep error messages short.
fn shorten(s: &str) -> String {
    s.chars().take(64).collect()
}

impl fmt::Debug for MessageCrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageCrypt")
            .field("key", &"<redacted>")
            .field("receive_id", &self.receive_id)
            .finish()
    }
}
