//! Entity names, namespaces and fully qualified names, with OpenWhisk's validation rules.
//!
//! A name is 1 to 256 characters: a word character first, then word characters, space, `@`,
//! `.`, `&` or `-`, and never a space last (`\A([\w]|[\w][\w@ .&-]{0,254}[\w@.&-])\z`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest entity name or namespace segment OpenWhisk accepts.
pub const MAX_NAME_LENGTH: usize = 256;

/// Why a name was refused. The `Display` text is OpenWhisk's exact message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// An entity segment breaks the character rules.
    #[error("The name of the entity contains illegal characters.")]
    IllegalEntity,
    /// A namespace segment breaks the character rules.
    #[error("The namespace contains illegal characters.")]
    IllegalNamespace,
    /// An entity segment is longer than 256 characters (the typo is OpenWhisk's).
    #[error("Name segement longer than allowed: {0} > 256.")]
    EntityTooLong(usize),
    /// A namespace segment is longer than 256 characters.
    #[error("Namespace longer than allowed: {0} > 256.")]
    NamespaceTooLong(usize),
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True when `s` matches the entity-name pattern (length included).
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !is_word(first) || s.chars().count() > MAX_NAME_LENGTH {
        return false;
    }
    let rest: Vec<char> = chars.collect();
    match rest.split_last() {
        None => true,
        Some((last, middle)) => {
            let mid_ok = middle.iter().all(|&c| is_word(c) || matches!(c, '@' | ' ' | '.' | '&' | '-'));
            let last_ok = is_word(*last) || matches!(*last, '@' | '.' | '&' | '-');
            mid_ok && last_ok
        }
    }
}

/// Validates one entity segment of a URL or body.
pub fn validate_entity_name(s: &str) -> Result<(), NameError> {
    let n = s.chars().count();
    if n > MAX_NAME_LENGTH {
        return Err(NameError::EntityTooLong(n));
    }
    if is_valid_name(s) { Ok(()) } else { Err(NameError::IllegalEntity) }
}

/// Validates one namespace segment of a URL or body.
pub fn validate_namespace(s: &str) -> Result<(), NameError> {
    let n = s.chars().count();
    if n > MAX_NAME_LENGTH {
        return Err(NameError::NamespaceTooLong(n));
    }
    if is_valid_name(s) { Ok(()) } else { Err(NameError::IllegalNamespace) }
}

/// A fully qualified entity name: its path (`ns` or `ns/pkg`) and its simple name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FullyQualifiedName {
    /// `namespace` or `namespace/package`, never with a leading slash.
    pub path: String,
    /// The simple name.
    pub name: String,
}

impl FullyQualifiedName {
    /// Builds a name from its parts; the caller has validated them.
    pub fn new(path: impl Into<String>, name: impl Into<String>) -> Self {
        Self { path: path.into(), name: name.into() }
    }

    /// The root namespace (first path segment).
    pub fn namespace(&self) -> &str {
        self.path.split('/').next().unwrap_or(&self.path)
    }

    /// The package segment, when the entity lives in a package.
    pub fn package(&self) -> Option<&str> {
        self.path.split_once('/').map(|(_, pkg)| pkg)
    }

    /// The document id the stores key on: `ns/name` or `ns/pkg/name`.
    pub fn doc_id(&self) -> String {
        format!("{}/{}", self.path, self.name)
    }

    /// The name as clients see it in `__OW_ACTION_NAME`: `/ns[/pkg]/name`.
    pub fn qualified(&self) -> String {
        format!("/{}/{}", self.path, self.name)
    }
}

/// Why a string is not an action name a sequence or a composition can refer to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a fully qualified action name (/namespace/[package/]name).")]
pub struct NotQualified(pub String);

impl FullyQualifiedName {
    /// Parses `/ns/name` or `/ns/pkg/name` (`_` allowed as the namespace): how sequences name
    /// their components.
    pub fn parse_qualified(s: &str) -> Result<Self, NotQualified> {
        let bad = || NotQualified(s.to_owned());
        let parts: Vec<&str> = s.strip_prefix('/').ok_or_else(bad)?.split('/').collect();
        let valid = |p: &&str| is_valid_name(p);
        match parts.as_slice() {
            [ns, name] if (*ns == "_" || valid(ns)) && valid(name) => Ok(Self::new(*ns, *name)),
            [ns, pkg, name] if (*ns == "_" || valid(ns)) && valid(pkg) && valid(name) => {
                Ok(Self::new(format!("{ns}/{pkg}"), *name))
            }
            _ => Err(bad()),
        }
    }

    /// Parses an action name as a conductor action names the next one: fully qualified
    /// (`/ns/[pkg/]name`, `_` being `default_ns`), or relative to `default_ns` (`name`,
    /// `pkg/name`).
    pub fn parse_relative(s: &str, default_ns: &str) -> Result<Self, NotQualified> {
        if s.starts_with('/') {
            return Self::parse_qualified(s).map(|n| n.resolve_default(default_ns));
        }
        Self::parse_qualified(&format!("/{default_ns}/{s}")).map_err(|_| NotQualified(s.to_owned()))
    }

    /// The same name with the `_` namespace replaced by `ns`.
    pub fn resolve_default(&self, ns: &str) -> Self {
        match self.path.split_once('/') {
            None if self.path == "_" => Self::new(ns, self.name.clone()),
            Some(("_", pkg)) => Self::new(format!("{ns}/{pkg}"), self.name.clone()),
            _ => self.clone(),
        }
    }
}

impl fmt::Display for FullyQualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.path, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_names_openwhisk_accepts() {
        for ok in ["a", "hello", "hello world", "a.b", "a@b", "a&b", "a-b", "_x", "x-", "x.", "0"] {
            assert!(is_valid_name(ok), "{ok:?} should be valid");
        }
        assert!(is_valid_name(&"a".repeat(256)));
    }

    #[test]
    fn refuses_names_that_break_the_rules() {
        for bad in ["", " a", "a ", "-a", ".a", "a/b", "a$b", "a?b", "ä", "a\tb"] {
            assert!(!is_valid_name(bad), "{bad:?} should be invalid");
        }
        assert!(!is_valid_name(&"a".repeat(257)));
    }

    #[test]
    fn long_segments_get_the_length_message() {
        let long = "a".repeat(300);
        assert_eq!(
            validate_entity_name(&long).unwrap_err().to_string(),
            "Name segement longer than allowed: 300 > 256."
        );
        assert_eq!(validate_namespace("a b ").unwrap_err().to_string(), "The namespace contains illegal characters.");
    }

    #[test]
    fn component_names_must_be_fully_qualified() {
        assert_eq!(FullyQualifiedName::parse_qualified("/guest/a").unwrap(), FullyQualifiedName::new("guest", "a"));
        assert_eq!(FullyQualifiedName::parse_qualified("/_/p/a").unwrap(), FullyQualifiedName::new("_/p", "a"));
        for bad in ["a", "guest/a", "/guest", "/a/b/c/d", "/guest/", "//a", "/guest/a b/c?"] {
            assert!(FullyQualifiedName::parse_qualified(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            FullyQualifiedName::parse_qualified("x").unwrap_err().to_string(),
            "'x' is not a fully qualified action name (/namespace/[package/]name)."
        );
        assert_eq!(FullyQualifiedName::parse_relative("p/a", "me").unwrap(), FullyQualifiedName::new("me/p", "a"));
        assert_eq!(FullyQualifiedName::parse_relative("/o/a", "me").unwrap(), FullyQualifiedName::new("o", "a"));
        assert_eq!(FullyQualifiedName::parse_relative("/_/a", "me").unwrap(), FullyQualifiedName::new("me", "a"));
        assert_eq!(FullyQualifiedName::new("_/p", "a").resolve_default("me"), FullyQualifiedName::new("me/p", "a"));
        assert_eq!(FullyQualifiedName::new("_", "a").resolve_default("me"), FullyQualifiedName::new("me", "a"));
        assert_eq!(FullyQualifiedName::new("o", "a").resolve_default("me"), FullyQualifiedName::new("o", "a"));
    }

    #[test]
    fn fully_qualified_names_split_namespace_and_package() {
        let f = FullyQualifiedName::new("guest/utils", "echo");
        assert_eq!(f.namespace(), "guest");
        assert_eq!(f.package(), Some("utils"));
        assert_eq!(f.doc_id(), "guest/utils/echo");
        assert_eq!(f.qualified(), "/guest/utils/echo");
        assert_eq!(FullyQualifiedName::new("guest", "a").package(), None);
    }
}
