//! Entity versions, `major.minor.patch`, bumped on every update.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An entity version, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SemVer {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl SemVer {
    /// `0.0.1`, the version of every new entity.
    pub const INITIAL: SemVer = SemVer { major: 0, minor: 0, patch: 1 };

    /// The next patch version (every update bumps it). A patch (or minor) number that cannot
    /// grow carries into the next minor (or major), so the result is always greater; only at
    /// the very last version does it stay put.
    pub fn bump_patch(self) -> SemVer {
        match (self.patch.checked_add(1), self.minor.checked_add(1), self.major.checked_add(1)) {
            (Some(patch), _, _) => SemVer { patch, ..self },
            (None, Some(minor), _) => SemVer { minor, patch: 0, ..self },
            (None, None, Some(major)) => SemVer { major, minor: 0, patch: 0 },
            (None, None, None) => self,
        }
    }
}

impl Default for SemVer {
    fn default() -> Self {
        Self::INITIAL
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for SemVer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let num = |p: &str| p.parse::<u32>().map_err(|_| format!("bad semantic version '{s}'"));
        match parts.as_slice() {
            [a] => Ok(SemVer { major: num(a)?, minor: 0, patch: 0 }),
            [a, b] => Ok(SemVer { major: num(a)?, minor: num(b)?, patch: 0 }),
            [a, b, c] => Ok(SemVer { major: num(a)?, minor: num(b)?, patch: num(c)? }),
            _ => Err(format!("bad semantic version '{s}'")),
        }
    }
}

impl Serialize for SemVer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SemVer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_parses_and_bumps() {
        let v: SemVer = "1.2.3".parse().unwrap();
        assert_eq!(v.bump_patch().to_string(), "1.2.4");
        assert_eq!("2".parse::<SemVer>().unwrap().to_string(), "2.0.0");
        assert!("x.y".parse::<SemVer>().is_err());
    }

    #[test]
    fn bumping_the_largest_patch_carries_instead_of_overflowing() {
        // An update of an entity PUT with version 0.0.4294967295 once panicked here.
        let v: SemVer = "0.0.4294967295".parse().unwrap();
        assert_eq!(v.bump_patch().to_string(), "0.1.0");
        let v: SemVer = "1.4294967295.4294967295".parse().unwrap();
        assert_eq!(v.bump_patch().to_string(), "2.0.0");
        let last = SemVer { major: u32::MAX, minor: u32::MAX, patch: u32::MAX };
        assert_eq!(last.bump_patch(), last);
    }
}
