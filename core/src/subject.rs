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

    /// True for OpenWhisk's public `guest` key.
    pub fn is_well_known_guest(&self) -> bool {
        self.to_string() == GUEST_AUTH
    }
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
        assert!(format!("{k:?}").contains("***"));
    }
}
