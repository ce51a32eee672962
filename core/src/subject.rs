//! Subjects, their credentials and the identity a request runs as.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::user_limits::UserLimits;

/// OpenWhisk's well-known `guest` credential, accepted by `gust standalone` on loopback.
pub const GUEST_AUTH: &str =
    "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";

/// A `uuid:key` credential as clients send it (in clear: it comes from the request).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuthKey {
    /// The subject's UUID (the Basic-auth user).
    pub uuid: String,
    /// The secret key (the Basic-auth password).
    pub key: String,
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "AuthKey({}:***)", self.uuid)
    }
}

impl fmt::Display for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uuid, self.key)
    }
}

/// Why a credential string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a credential must look like UUID:KEY")]
pub struct AuthKeyError;

impl FromStr for AuthKey {
    type Err = AuthKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (uuid, key) = s.trim().split_once(':').ok_or(AuthKeyError)?;
        if uuid.is_empty() || key.is_empty() {
            return Err(AuthKeyError);
        }
        Ok(Self { uuid: uuid.to_owned(), key: key.to_owned() })
    }
}

impl AuthKey {
    /// A fresh credential: a random UUID and a 64-character key.
    pub fn generate() -> Self {
        let u = crate::ids::ActivationId::generate().to_string();
        let uuid = format!("{}-{}-{}-{}-{}", &u[0..8], &u[8..12], &u[12..16], &u[16..20], &u[20..32]);
        Self { uuid, key: crate::ids::random_alphanumeric(64) }
    }

    /// True for OpenWhisk's public `guest` key, exactly as published.
    pub fn is_well_known_guest(&self) -> bool {
        self.to_string() == GUEST_AUTH
    }

    /// Whether this credential may guard an address others can reach: refused are the public
    /// guest key's secret under any UUID and in any case (the UUID is not a secret), and keys
    /// too weak to guess at (see [`WeakKey`]).
    pub fn fit_for_network(&self) -> Result<(), WeakKey> {
        let guest_key = GUEST_AUTH.split_once(':').map_or("", |(_, k)| k);
        if self.key.eq_ignore_ascii_case(guest_key) {
            return Err(WeakKey::PublicGuestKey);
        }
        let chars: Vec<char> = self.key.chars().collect();
        if chars.len() < MIN_KEY_CHARS {
            return Err(WeakKey::TooShort { chars: chars.len() });
        }
        // Mostly one step between neighbours: "aaaa…", "abcd…", "98765432109876…".
        let mut steps = std::collections::HashMap::new();
        for w in chars.windows(2) {
            *steps.entry(i64::from(u32::from(w[1])) - i64::from(u32::from(w[0]))).or_insert(0usize) += 1;
        }
        let run = steps.values().max().copied().unwrap_or(0) * 4 >= (chars.len() - 1) * 3;
        let bits = estimated_bits(&chars);
        if run || bits < MIN_KEY_BITS {
            return Err(WeakKey::TooPredictable { bits: bits as u32 });
        }
        Ok(())
    }
}

/// The fewest characters a key may have.
pub const MIN_KEY_CHARS: usize = 16;

/// The least estimated strength of a key that faces a network, in bits. 16 random letters and
/// digits score about 56 (the lowest of 300,000 samples: 44); `abcabcabc…` scores 25. A
/// generated key ([`AuthKey::generate`]) scores about 330.
pub const MIN_KEY_BITS: f64 = 40.0;

/// A key's strength estimated from its own characters: its length times the Shannon entropy of
/// their frequencies. Repeated characters count for little: `aaaaaaaaaaaaaaaa` has 0 bits,
/// `abababababababab` 16.
fn estimated_bits(chars: &[char]) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in chars {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    let per_char: f64 = counts.values().map(|&k| k as f64 / n).map(|p| -p * p.log2()).sum();
    per_char * n
}

/// Why a credential is not fit to guard an address others can reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakKey {
    /// The secret of OpenWhisk's guest credential, published with OpenWhisk.
    #[error("its key is OpenWhisk's public guest key, which anyone can look up")]
    PublicGuestKey,
    /// Fewer than [`MIN_KEY_CHARS`] characters.
    #[error("its key has {chars} characters: use at least {MIN_KEY_CHARS} random ones (OpenWhisk uses 64)")]
    TooShort {
        /// The key's length.
        chars: usize,
    },
    /// Too few distinct characters, or a plain run such as `abcd…`.
    #[error(
        "its key is too predictable (about {bits} bits by the variety of its characters; at least {} needed): \
         use random letters and digits, as `gust admin` generates",
        MIN_KEY_BITS as u32
    )]
    TooPredictable {
        /// The key's estimated strength.
        bits: u32,
    },
}

/// Salted SHA-256 of a key, hex encoded: what subject stores keep instead of the key.
///
/// Keys are 64 random characters (about 380 bits), so a fast hash is not brute-forceable;
/// verified credentials are cached by the controller, so the hash is off the hot path anyway.
pub fn hash_key(salt: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0u8]);
    h.update(key.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time comparison of two hashes.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a subject store keeps per credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRecord {
    /// The subject (owner) name.
    pub subject: String,
    /// The namespace the key acts in.
    pub namespace: String,
    /// The credential's UUID.
    pub uuid: String,
    /// Random salt.
    pub salt: String,
    /// `hash_key(salt, key)`.
    pub key_hash: String,
}

impl SubjectRecord {
    /// A record for `key` with a fresh salt.
    pub fn new(subject: &str, namespace: &str, key: &AuthKey) -> Self {
        let salt = crate::ids::random_alphanumeric(16);
        let key_hash = hash_key(&salt, &key.key);
        Self { subject: subject.into(), namespace: namespace.into(), uuid: key.uuid.clone(), salt, key_hash }
    }

    /// True when `key` is this record's secret.
    pub fn verifies(&self, key: &str) -> bool {
        hashes_equal(&hash_key(&self.salt, key), &self.key_hash)
    }
}

/// The identity a request runs as, once its credential checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Owner name.
    pub subject: String,
    /// The namespace it acts in (its only namespace).
    pub namespace: String,
    /// The credential, kept so an action that asks for `__OW_API_KEY` gets it.
    pub authkey: AuthKey,
    /// The limits set for its namespace (overrides of the system's throttles).
    #[serde(default, skip_serializing_if = "UserLimits::is_empty")]
    pub limits: UserLimits,
}

impl Identity {
    /// The identity of `authkey`, acting in `namespace` as `subject`, with no limits set.
    pub fn new(subject: &str, namespace: &str, authkey: AuthKey) -> Self {
        Self { subject: subject.to_owned(), namespace: namespace.to_owned(), authkey, limits: UserLimits::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_verify_only_their_key() {
        let k: AuthKey = GUEST_AUTH.parse().unwrap();
        let r = SubjectRecord::new("guest", "guest", &k);
        assert!(r.verifies(&k.key));
        assert!(!r.verifies("nope"));
        assert!(!r.key_hash.contains(&k.key));
    }

    #[test]
    fn generated_keys_have_openwhisk_shape() {
        let k = AuthKey::generate();
        assert_eq!(k.uuid.len(), 36);
        assert_eq!(k.key.len(), 64);
        assert!(!k.is_well_known_guest());
        assert!(GUEST_AUTH.parse::<AuthKey>().unwrap().is_well_known_guest());
        assert!((0..1000).all(|_| AuthKey::generate().fit_for_network().is_ok()));
        assert!(format!("{k:?}").contains("***"));
    }

    #[test]
    fn the_guest_secret_is_unfit_under_any_uuid_and_case() {
        let guest: AuthKey = GUEST_AUTH.parse().unwrap();
        assert_eq!(guest.fit_for_network(), Err(WeakKey::PublicGuestKey));
        let other_uuid = AuthKey { uuid: AuthKey::generate().uuid, key: guest.key.clone() };
        assert!(!other_uuid.is_well_known_guest());
        assert_eq!(other_uuid.fit_for_network(), Err(WeakKey::PublicGuestKey));
        let upper: AuthKey = GUEST_AUTH.to_uppercase().parse().unwrap();
        assert_eq!(upper.fit_for_network(), Err(WeakKey::PublicGuestKey));
    }

    #[test]
    fn short_and_predictable_keys_are_unfit() {
        let key = |k: &str| AuthKey { uuid: "u".into(), key: k.into() };
        assert_eq!(key("Xk39fQ").fit_for_network(), Err(WeakKey::TooShort { chars: 6 }));
        for weak in ["aaaaaaaaaaaaaaaa", "abababababababab", "abcdefghijklmnopqrstuvwxyz", "98765432109876543210"] {
            assert!(key(weak).fit_for_network().is_err(), "{weak}");
        }
        assert!(matches!(key("aaaaaaaaaaaaaaaa").fit_for_network(), Err(WeakKey::TooPredictable { bits: 0 })));
        // Random letters and digits of the least length pass.
        assert_eq!(key("q8ZrT2mW5xLk9PvA").fit_for_network(), Ok(()));
        assert_eq!(key("correct-horse-battery-staple-42").fit_for_network(), Ok(()));
    }
}
