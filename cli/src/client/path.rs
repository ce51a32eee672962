//! URL paths: percent-escaping segments and splitting entity names.

use std::fmt::Write as _;

use super::ClientError;

/// OpenWhisk's longest name segment.
const MAX_SEGMENT: usize = 256;

/// Percent-escapes one path segment: unreserved characters, `@` and `&` stay, everything else
/// (space as `%20`, `/`, `?`, `#`, non-ASCII bytes, ...) is escaped, like the Go client's
/// `url.PathEscape` for the characters OpenWhisk names may hold.
pub fn escape_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@' | b'&') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Where an entity lives: its namespace and its escaped `name` or `pkg/name` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntityPath {
    /// The namespace segment, escaped (`_` for the caller's own).
    pub(crate) namespace: String,
    /// `name` or `pkg/name`, each segment escaped.
    pub(crate) rest: String,
}

/// Splits a name as users write it: `name`, `pkg/name` (in `default_ns`), or fully qualified
/// `/ns/name` and `/ns/pkg/name`.
pub(crate) fn entity_path(default_ns: &str, name: &str) -> Result<EntityPath, ClientError> {
    let invalid = |why: &str| ClientError::InvalidArgument(format!("'{name}' is not a valid entity name: {why}"));
    let (namespace, parts): (&str, Vec<&str>) = match name.strip_prefix('/') {
        Some(qualified) => {
            let mut parts = qualified.split('/');
            let ns = parts.next().unwrap_or_default();
            (ns, parts.collect())
        }
        None => (default_ns, name.split('/').collect()),
    };
    if parts.is_empty() || parts.len() > 2 {
        return Err(invalid("use NAME, PACKAGE/NAME, /NAMESPACE/NAME or /NAMESPACE/PACKAGE/NAME"));
    }
    for segment in std::iter::once(namespace).chain(parts.iter().copied()) {
        if segment.trim().is_empty() {
            return Err(invalid("a part of it is empty"));
        }
        if segment.len() > MAX_SEGMENT {
            return Err(invalid(&format!("a part of it is longer than {MAX_SEGMENT} characters")));
        }
    }
    let rest = parts.iter().map(|p| escape_segment(p)).collect::<Vec<_>>().join("/");
    Ok(EntityPath { namespace: escape_segment(namespace), rest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_spaces_and_keeps_name_characters() {
        assert_eq!(escape_segment("my action"), "my%20action");
        assert_eq!(escape_segment("a@b.c&d-e_f"), "a@b.c&d-e_f");
        assert_eq!(escape_segment("a/b?c#d%"), "a%2Fb%3Fc%23d%25");
        assert_eq!(escape_segment("é"), "%C3%A9");
    }

    #[test]
    fn plain_and_packaged_names_use_the_default_namespace() {
        let p = entity_path("_", "hello").unwrap();
        assert_eq!((p.namespace.as_str(), p.rest.as_str()), ("_", "hello"));
        let p = entity_path("_", "utils/say hi").unwrap();
        assert_eq!(p.rest, "utils/say%20hi");
    }

    #[test]
    fn fully_qualified_names_carry_their_namespace() {
        let p = entity_path("_", "/guest/hello").unwrap();
        assert_eq!((p.namespace.as_str(), p.rest.as_str()), ("guest", "hello"));
        let p = entity_path("_", "/guest/pkg/hello").unwrap();
        assert_eq!(p.rest, "pkg/hello");
    }

    #[test]
    fn empty_or_deep_names_are_refused() {
        for bad in ["", "a/", "/guest", "/guest/", "a/b/c", "/ns/a/b/c", "//x"] {
            assert!(matches!(entity_path("_", bad), Err(ClientError::InvalidArgument(_))), "{bad:?}");
        }
        assert!(entity_path("_", &"x".repeat(257)).is_err());
    }
}
