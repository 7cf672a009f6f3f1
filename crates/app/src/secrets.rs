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
        hmac_sha256(&self.0, parts)
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

/// The letters and digits of generated strings, without look-alikes (0, 1, I, O, l), in byte
/// order (so a time written in them sorts as the time, see [`time_ordered`]).
const ALNUM: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A random alphanumeric string (pubsub tokens, identifiers, passwords).
pub fn random_alnum(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char)
        .collect()
}

/// A new signing key for webhook deliveries: 256 random bits in hex.
pub fn webhook_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// The `X-Chatwoot-Signature` of a delivery: `sha256=` and the hex HMAC-SHA256, keyed with the
/// receiver's secret, of `"{timestamp}.{body}"`.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let mac = hmac_sha256(secret.as_bytes(), &[ts.as_bytes(), b".", body]);
    format!("sha256={}", hex::encode(mac))
}

/// HMAC-SHA256 of the concatenated `parts`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail; fall back to an
    // empty-keyed MAC only to satisfy the type.
    let mut mac = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// A random UUID (v4) as text.
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new contact identity's `source_id`: 128 random bits written as a UUID (every bit random,
/// so not a version-4 UUID, whose version and variant fix 6 bits). It is the customer side's
/// only credential, so it must not be guessable.
pub fn new_source_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// For bulk-loaded rows only (`confab admin seed`): the formats of [`random_uuid`],
/// [`new_source_id`] and [`random_alnum`], led by the row's creation time in milliseconds (as a
/// UUIDv7 or a ULID is) and random after it.
///
/// A unique index on a fully random key takes each new row on a random leaf page: a seed batch
/// of 25,000 conversations rewrote nearly every leaf of the three such indexes (conversation
/// UUIDs, contact inboxes' source ids and pubsub tokens), hundreds of megabytes per batch at a
/// million rows. Rows generated in creation order now land together at the index's end. The
/// random part stays unguessable: 74 bits in the UUID, 80 in the source id, 93 in a 24-character
/// token (live rows keep their fully random keys).
pub mod time_ordered {
    use rand::Rng;

    /// Milliseconds since the epoch, of a time in microseconds (clamped to 48 bits).
    fn millis(micros: i64) -> u64 {
        (micros.max(0) as u64 / 1000).min((1 << 48) - 1)
    }

    fn time_led_bytes(micros: i64) -> [u8; 16] {
        let mut bytes: [u8; 16] = rand::rng().random();
        bytes[..6].copy_from_slice(&millis(micros).to_be_bytes()[2..]);
        bytes
    }

    /// A version-7 UUID.
    pub fn uuid(micros: i64) -> String {
        uuid::Builder::from_unix_timestamp_millis(millis(micros), &rand::rng().random())
            .into_uuid()
            .to_string()
    }

    /// A source id: 48 bits of time, then 80 random bits, written as a UUID.
    pub fn source_id(micros: i64) -> String {
        uuid::Uuid::from_bytes(time_led_bytes(micros)).to_string()
    }

    /// `len` characters of [`super::random_alnum`]'s alphabet: the time in 8, then random ones.
    pub fn alnum(micros: i64, len: usize) -> String {
        let base = super::ALNUM.len() as u64;
        let mut t = millis(micros);
        let mut time = [0u8; 8];
        for c in time.iter_mut().rev() {
            *c = super::ALNUM[(t % base) as usize];
            t /= base;
        }
        let mut out: String = time.iter().map(|&c| c as char).take(len).collect();
        out.push_str(&super::random_alnum(len.saturating_sub(8)));
        out
    }
}

/// Checks an identity-verification hash: the hex HMAC-SHA256 of `identifier` keyed with the
/// inbox's `hmac_token`, compared in constant time (either hex case).
pub fn identifier_hash_matches(hmac_token: &str, identifier: &str, hash: &str) -> bool {
    let expected = hex::encode(hmac_sha256(hmac_token.as_bytes(), &[identifier.as_bytes()]));
    constant_time_eq(&expected, &hash.trim().to_ascii_lowercase())
}

/// A friendly random name for a contact who gave none ("misty-river-482"), as upstream's
/// Haikunator does.
pub fn haiku_name() -> String {
    const ADJECTIVES: &[&str] = &[
        "autumn",
        "hidden",
        "bitter",
        "misty",
        "silent",
        "empty",
        "dry",
        "dark",
        "summer",
        "icy",
        "delicate",
        "quiet",
        "white",
        "cool",
        "spring",
        "winter",
        "patient",
        "twilight",
        "dawn",
        "crimson",
        "wispy",
        "weathered",
        "blue",
        "billowing",
        "broken",
        "cold",
        "damp",
        "falling",
        "frosty",
        "green",
        "long",
        "late",
        "lingering",
        "bold",
        "little",
        "morning",
        "muddy",
        "old",
        "red",
        "rough",
        "still",
        "small",
        "sparkling",
        "shy",
        "wandering",
        "withered",
        "wild",
        "black",
        "young",
        "holy",
        "solitary",
        "fragrant",
        "aged",
        "snowy",
        "proud",
        "floral",
        "restless",
        "divine",
        "polished",
        "ancient",
        "purple",
        "lively",
        "nameless",
    ];
    const NOUNS: &[&str] = &[
        "waterfall",
        "river",
        "breeze",
        "moon",
        "rain",
        "wind",
        "sea",
        "morning",
        "snow",
        "lake",
        "sunset",
        "pine",
        "shadow",
        "leaf",
        "dawn",
        "glitter",
        "forest",
        "hill",
        "cloud",
        "meadow",
        "sun",
        "glade",
        "bird",
        "brook",
        "butterfly",
        "bush",
        "dew",
        "dust",
        "field",
        "fire",
        "flower",
        "firefly",
        "feather",
        "grass",
        "haze",
        "mountain",
        "night",
        "pond",
        "darkness",
        "snowflake",
        "silence",
        "sound",
        "sky",
        "shape",
        "surf",
        "thunder",
        "violet",
        "water",
        "wildflower",
        "wave",
        "resonance",
        "wood",
        "dream",
        "cherry",
        "tree",
        "fog",
        "frost",
        "voice",
        "paper",
        "frog",
        "smoke",
        "star",
    ];
    let mut rng = rand::rng();
    format!(
        "{}-{}-{}",
        ADJECTIVES[rng.random_range(0..ADJECTIVES.len())],
        NOUNS[rng.random_range(0..NOUNS.len())],
        rng.random_range(1000..10000)
    )
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
    fn webhook_signatures_are_hmac_sha256_of_timestamp_dot_body() {
        // Python: hmac.new(b"whsec-test", b'1795000000.{"event":"message_created"}', sha256)
        assert_eq!(
            webhook_signature(
                "whsec-test",
                1_795_000_000,
                br#"{"event":"message_created"}"#
            ),
            "sha256=d1226827bb95cc935121891701d90362f4f850d5b3fc788ef50ba5e5e6f442fc"
        );
        assert_ne!(
            webhook_signature(
                "whsec-test",
                1_795_000_001,
                br#"{"event":"message_created"}"#
            ),
            webhook_signature(
                "whsec-test",
                1_795_000_000,
                br#"{"event":"message_created"}"#
            )
        );
    }

    #[test]
    fn identifier_hashes_are_hex_hmac_sha256_of_the_identifier() {
        // HMAC-SHA256(key = "key", msg = "The quick brown fox jumps over the lazy dog").
        let msg = "The quick brown fox jumps over the lazy dog";
        let hash = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
        assert!(identifier_hash_matches("key", msg, hash));
        assert!(identifier_hash_matches("key", msg, &hash.to_uppercase()));
        assert!(!identifier_hash_matches("other", msg, hash));
        assert!(!identifier_hash_matches("key", "another identifier", hash));
        assert!(!identifier_hash_matches("key", msg, &hash[..63]));
    }

    #[test]
    fn source_ids_are_uuid_shaped_and_distinct() {
        let a = new_source_id();
        assert_eq!(a.len(), 36);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
        assert_ne!(a, new_source_id());
    }

    #[test]
    fn time_ordered_keys_sort_by_their_time_keep_their_formats_and_stay_random() {
        // Microseconds: 2026-11-22, then 1 ms, 1 s and ten years later.
        let times = [
            1_795_000_000_000_000,
            1_795_000_000_001_000,
            1_795_000_001_000_000,
            2_110_000_000_000_000,
        ];
        // And every millisecond of a stretch longer than the alphabet.
        let stretch: Vec<i64> = (0..120).map(|ms| times[0] + ms * 1000).collect();
        for key in [time_ordered::uuid, time_ordered::source_id, |t| {
            time_ordered::alnum(t, 24)
        }] {
            for at in [&times[..], &stretch] {
                let keys: Vec<String> = at.iter().map(|&t| key(t)).collect();
                assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
            }
        }
        let v7 = uuid::Uuid::parse_str(&time_ordered::uuid(times[0])).unwrap();
        assert_eq!(v7.get_version_num(), 7);
        assert_eq!(v7.get_variant(), uuid::Variant::RFC4122);
        assert!(uuid::Uuid::parse_str(&time_ordered::source_id(times[0])).is_ok());
        let token = time_ordered::alnum(times[0], 24);
        assert_eq!(token.len(), 24);
        assert!(token.bytes().all(|c| ALNUM.contains(&c)), "{token}");
        // At the same millisecond only the random part differs, and it does.
        assert_ne!(time_ordered::uuid(times[0]), time_ordered::uuid(times[0]));
        assert_ne!(
            time_ordered::source_id(times[0]),
            time_ordered::source_id(times[0])
        );
        assert_ne!(token[8..], time_ordered::alnum(times[0], 24)[8..]);
        assert_eq!(token[..8], time_ordered::alnum(times[0] + 999, 24)[..8]);
    }

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
