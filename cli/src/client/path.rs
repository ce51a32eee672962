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

/// A name as users write it, split but not escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameParts<'a> {
    /// The namespace of a fully qualified name (`/ns/...`); `None` for a relative name.
    pub(crate) namespace: Option<&'a str>,
    /// The package and the name, or only the name.
    pub(crate) parts: Vec<&'a str>,
}

/// What kind of name [`split_name`] reads, for its limit and its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// An action: `name`, `pkg/name`, `/ns/name`, `/ns/pkg/name`.
    Entity,
    /// A package, trigger or rule (they do not nest): `name`, `/ns/name`.
    TopLevel(&'static str),
}

impl NameKind {
    fn max_parts(self) -> usize {
        match self {
            NameKind::Entity => 2,
            NameKind::TopLevel(_) => 1,
        }
    }

    fn invalid(self, name: &str, why: &str) -> ClientError {
        let what = match self {
            NameKind::Entity => "entity",
            NameKind::TopLevel(what) => what,
        };
        ClientError::InvalidArgument(format!("'{name}' is not a valid {what} name: {why}"))
    }

    fn usage(self) -> &'static str {
        match self {
            NameKind::Entity => "use NAME, PACKAGE/NAME, /NAMESPACE/NAME or /NAMESPACE/PACKAGE/NAME",
            NameKind::TopLevel(_) => "use NAME or /NAMESPACE/NAME (these do not live in packages)",
        }
    }
}

/// Splits a name as users write it: relative (`name`, or `pkg/name` for an entity) or fully
/// qualified (`/ns/name`, `/ns/pkg/name`); every part must be non-blank and at most 256 long.
pub(crate) fn split_name(name: &str, kind: NameKind) -> Result<NameParts<'_>, ClientError> {
    let (namespace, parts): (Option<&str>, Vec<&str>) = match name.strip_prefix('/') {
        Some(qualified) => {
            let mut parts = qualified.split('/');
            let ns = parts.next().unwrap_or_default();
            (Some(ns), parts.collect())
        }
        None => (None, name.split('/').collect()),
    };
    if parts.is_empty() || parts.len() > kind.max_parts() {
        return Err(kind.invalid(name, kind.usage()));
    }
    for segment in namespace.into_iter().chain(parts.iter().copied()) {
        check_segment(segment).map_err(|why| kind.invalid(name, &why))?;
    }
    Ok(NameParts { namespace, parts })
}

/// Why `segment` cannot be a part of a name, if it cannot.
fn check_segment(segment: &str) -> Result<(), String> {
    if segment.trim().is_empty() {
        return Err("a part of it is empty".into());
    }
    if segment.len() > MAX_SEGMENT {
        return Err(format!("a part of it is longer than {MAX_SEGMENT} characters"));
    }
    Ok(())
}

/// Splits a name as users write it: `name`, `pkg/name` (in `default_ns`), or fully qualified
/// `/ns/name` and `/ns/pkg/name`.
pub(crate) fn entity_path(default_ns: &str, name: &str) -> Result<EntityPath, ClientError> {
    qualified_path(default_ns, name, NameKind::Entity)
}

/// Like [`entity_path`], for any [`NameKind`].
pub(crate) fn qualified_path(default_ns: &str, name: &str, kind: NameKind) -> Result<EntityPath, ClientError> {
    let split = split_name(name, kind)?;
    let rest = split.parts.iter().map(|p| escape_segment(p)).collect::<Vec<_>>().join("/");
    let namespace = split.namespace.map_or_else(|| default_ns.to_owned(), escape_segment);
    Ok(EntityPath { namespace, rest })
}

/// The escaped namespace segment for a namespace argument: `ns` or `/ns` (a trailing slash is
/// allowed), or `default_ns` (already escaped) when there is none.
pub(crate) fn namespace_segment(default_ns: &str, namespace: Option<&str>) -> Result<String, ClientError> {
    let Some(given) = namespace else { return Ok(default_ns.to_owned()) };
    let bare = given.strip_prefix('/').unwrap_or(given);
    let bare = bare.strip_suffix('/').unwrap_or(bare);
    let invalid = |why: &str| ClientError::InvalidArgument(format!("'{given}' is not a valid namespace: {why}"));
    if bare.contains('/') {
        return Err(invalid("use /NAMESPACE (an entity name has no place here)"));
    }
    check_segment(bare).map_err(|why| invalid(&why))?;
    Ok(escape_segment(bare))
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

    #[test]
    fn top_level_names_have_one_part() {
        let kind = NameKind::TopLevel("package");
        let p = qualified_path("_", "/whisk.system/utils", kind).unwrap();
        assert_eq!((p.namespace.as_str(), p.rest.as_str()), ("whisk.system", "utils"));
        assert_eq!(qualified_path("my%20ns", "my pkg", kind).unwrap().rest, "my%20pkg");
        let err = qualified_path("_", "pkg/a", kind).unwrap_err().to_string();
        assert!(err.starts_with("'pkg/a' is not a valid package name: "), "{err}");
        for bad in ["", "/ns", "/ns/", "/ns/a/b", " "] {
            assert!(qualified_path("_", bad, kind).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn split_names_keep_their_parts_unescaped() {
        let split = split_name("/whisk.system/my utils", NameKind::TopLevel("package")).unwrap();
        assert_eq!(split, NameParts { namespace: Some("whisk.system"), parts: vec!["my utils"] });
        let split = split_name("pkg/a", NameKind::Entity).unwrap();
        assert_eq!(split, NameParts { namespace: None, parts: vec!["pkg", "a"] });
    }

    #[test]
    fn namespace_arguments_may_have_slashes_around_them() {
        assert_eq!(namespace_segment("_", None).unwrap(), "_");
        for given in ["guest", "/guest", "/guest/"] {
            assert_eq!(namespace_segment("_", Some(given)).unwrap(), "guest", "{given}");
        }
        assert_eq!(namespace_segment("_", Some("/my team")).unwrap(), "my%20team");
        for bad in ["/guest/pkg", "", "/", "//"] {
            assert!(matches!(namespace_segment("_", Some(bad)), Err(ClientError::InvalidArgument(_))), "{bad:?}");
        }
    }
}
