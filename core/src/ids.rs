//! Activation ids (32 lowercase hex characters) and transaction ids.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An activation id: 128 bits shown as 32 lowercase hex characters.
///
/// Fresh ids lead with the creation time in milliseconds (48 bits) followed by 80 random bits,
/// the layout of a version 7 UUID. Clients see 32 hex characters as before; stores see keys that
/// arrive nearly in order, so an insert touches the right edge of each index (a few pages per
/// commit) instead of a random page per record.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActivationId(u128);

/// Why a string is not an activation id. The text is OpenWhisk's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivationIdError {
    /// Not 32 characters long.
    #[error("Activation id length is {0} but must be 32.")]
    Length(usize),
    /// 32 characters, but not all lowercase hex.
    #[error("The activation id is not valid.")]
    NotHex,
}

impl ActivationId {
    /// A fresh id: the time now, then 80 random bits.
    pub fn generate() -> Self {
        Self::at(crate::time::now_ms(), rand::rng().random())
    }

    /// The id of time `ms` (milliseconds since the epoch, low 48 bits) with random part `random`
    /// (low 80 bits).
    fn at(ms: u64, random: u128) -> Self {
        const RANDOM_BITS: u32 = 80;
        let time = u128::from(ms & ((1 << 48) - 1));
        Self(time << RANDOM_BITS | random & ((1 << RANDOM_BITS) - 1))
    }

    /// The 32 lowercase hex digits, without going through the formatting machinery (ids are
    /// written several times per activation: JSON, headers, store keys, log spans).
    fn hex(self) -> [u8; 32] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 32];
        for (i, d) in out.iter_mut().enumerate() {
            *d = DIGITS[(self.0 >> (124 - 4 * i) & 0xf) as usize];
        }
        out
    }

    /// The id of step `step` of the chain (sequence or composition) this id names: the same
    /// for the same chain and step on every controller and invoker, so a chain driven again
    /// after a crash finds the records its earlier run stored instead of making new ones.
    /// It keeps this id's time prefix (ids stay nearly in order in the stores).
    pub fn derived(self, step: u32) -> ActivationId {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new().chain_update(self.0.to_be_bytes()).chain_update(step.to_be_bytes()).finalize();
        let mut random = [0u8; 16];
        random.copy_from_slice(&digest[..16]);
        Self::at((self.0 >> 80) as u64, u128::from_be_bytes(random))
    }

    /// The raw 128 bits (used for stable ordering and hashing).
    pub fn as_u128(self) -> u128 {
        self.0
    }
}

impl FromStr for ActivationId {
    type Err = ActivationIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let n = s.chars().count();
        if n != 32 {
            return Err(ActivationIdError::Length(n));
        }
        if !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(ActivationIdError::NotHex);
        }
        u128::from_str_radix(s, 16).map(Self).map_err(|_| ActivationIdError::NotHex)
    }
}

impl fmt::Display for ActivationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex();
        // Only ASCII hex digits were written.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ActivationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActivationId({self})")
    }
}

impl Serialize for ActivationId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ActivationId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A request's transaction id (the `X-Request-ID`) and the moment the request arrived.
///
/// The start time is what an activation's `waitTime` is measured from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionId {
    /// 32 alphanumeric characters, or the client's own `X-Request-ID`.
    pub id: String,
    /// Arrival time, epoch milliseconds.
    pub start: u64,
}

impl TransactionId {
    /// A fresh id of 32 random characters from `[A-Za-z0-9]`, started now.
    pub fn generate() -> Self {
        Self { id: random_alphanumeric(32), start: crate::time::now_ms() }
    }

    /// Reuses a client-supplied id (OpenWhisk keeps it unless it starts with `sid_`).
    pub fn from_header(value: &str) -> Self {
        if value.is_empty() || value.starts_with("sid_") || value.len() > 128 {
            Self::generate()
        } else {
            Self { id: value.to_owned(), start: crate::time::now_ms() }
        }
    }
}

/// `n` random characters from `[A-Za-z0-9]`.
pub fn random_alphanumeric(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_distinct_and_keep_the_time() {
        let seq = ActivationId::generate();
        assert_eq!(seq.derived(0), seq.derived(0));
        assert_ne!(seq.derived(0), seq.derived(1));
        assert_ne!(seq.derived(0), seq);
        assert_ne!(seq.derived(0), ActivationId::generate().derived(0));
        assert_eq!(seq.derived(3).as_u128() >> 80, seq.as_u128() >> 80);
    }

    #[test]
    fn activation_ids_round_trip_as_32_hex_characters() {
        let id = ActivationId::generate();
        let s = id.to_string();
        assert_eq!(s.len(), 32);
        assert_eq!(s.parse::<ActivationId>(), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{s}\""));
    }

    #[test]
    fn activation_ids_print_as_zero_padded_lowercase_hex() {
        for n in [0u128, 1, 0xabc, u128::MAX, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210, rand::rng().random()] {
            assert_eq!(ActivationId(n).to_string(), format!("{n:032x}"));
        }
    }

    #[test]
    fn fresh_activation_ids_are_unique_and_ordered_by_time() {
        let ids: Vec<ActivationId> = (0..10_000).map(|_| ActivationId::generate()).collect();
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        let earlier = ActivationId::at(1_700_000_000_000, u128::MAX);
        let later = ActivationId::at(1_700_000_000_001, 0);
        assert!(earlier < later);
        assert!(earlier.to_string() < later.to_string(), "hex order follows time order");
        let now = ActivationId::generate();
        assert!(ActivationId::at(crate::time::now_ms() - 1000, u128::MAX) < now);
        assert!(now < ActivationId::at(crate::time::now_ms() + 1000, 0));
    }

    #[test]
    fn malformed_activation_ids_get_openwhisk_messages() {
        assert_eq!("abc".parse::<ActivationId>().unwrap_err().to_string(), "Activation id length is 3 but must be 32.");
        assert_eq!(
            "C7BB1339CB4F40E3A6CCEAD6C99F804E".parse::<ActivationId>().unwrap_err().to_string(),
            "The activation id is not valid."
        );
        assert!("c7bb1339cb4f40e3a6ccead6c99f804e".parse::<ActivationId>().is_ok());
    }

    #[test]
    fn transaction_ids_reuse_client_ids_except_system_ones() {
        assert_eq!(TransactionId::from_header("abc").id, "abc");
        assert_ne!(TransactionId::from_header("sid_x").id, "sid_x");
        let fresh = TransactionId::generate();
        assert_eq!(fresh.id.len(), 32);
        assert!(fresh.id.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
