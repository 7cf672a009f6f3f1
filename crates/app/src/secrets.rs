//! Tokens and passwords.
//!
//! Access tokens are never stored. The database keeps, per owner, a random `seed` and the
//! `digest` = HMAC-SHA256(server secret, "digest:" + token). The token itself is
//! base58(HMAC-SHA256(server secret, "token:" + seed)) cut to 24 characters (~140 bits), so the
//! server can show a user their token again (`GET /api/v1/profile`) without storing it, while a
//! copy of the database alone reveals no usable token.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::error::{AppError, AppResult};

type HmacSha256 = Hmac<Sha256>;

/// The server secret (`SECRET_KEY_BASE`), used as the key of every token HMAC.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn new(key: impl AsRef<[u8]>) -> Self {
        Self(key.as_ref().to_vec())
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC accepts keys of any length, so construction cannot fail; fall back to an
        // empty-keyed MAC only to satisfy the type.
        let mut mac = HmacSha256::new_from_slice(&self.0)
            .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    /// The token derived from a seed.
    pub fn token_for_seed(&self, seed: &str) -> String {
        let raw = self.mac(&[b"token:", seed.as_bytes()]);
        bs58::encode(raw).into_string().chars().take(24).collect()
    }

    /// The look-up digest of a presented token.
    pub fn digest(&self, token: &str) -> String {
        hex::encode(self.mac(&[b"digest:", token.as_bytes()]))
    }
}

/// A fresh random seed for a token.
pub fn new_seed() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// A random alphanumeric string (pubsub tokens, identifiers, passwords).
pub fn random_alnum(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// A random UUID (v4) as text.
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Hashes a password with argon2id off the async threads.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing failed: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Checks a password against a stored argon2 hash off the async threads.
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(AppError::internal)
}

/// Constant-time comparison of two strings (HMAC signatures).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_24_chars_and_depend_on_the_secret() {
        let a = Secret::new("one").token_for_seed("seed");
        let b = Secret::new("two").token_for_seed("seed");
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert_eq!(a, Secret::new("one").token_for_seed("seed"));
    }

    #[test]
    fn digests_differ_from_tokens_and_are_stable() {
        let s = Secret::new("k");
        let t = s.token_for_seed("x");
        assert_eq!(s.digest(&t), s.digest(&t));
        assert_ne!(s.digest(&t), t);
        assert_eq!(s.digest(&t).len(), 64);
    }

    #[tokio::test]
    async fn a_password_verifies_only_against_its_own_hash() {
        let h = hash_password("Secret-123".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("Secret-123".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("secret-123".into(), h).await.unwrap());
    }
}
