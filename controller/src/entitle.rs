//! Entitlement, as OpenWhisk decides it: a subject has every right in its own namespace;
//! in another namespace it may only read (and invoke) what lies in a published package. A
//! binding in one's own namespace is readable only while its bound package is (one's own, or
//! published). The decision is made on the resource, not only on the URL: the facts about the
//! packages on the way come from [`crate::resolve`].

use gust_core::package::Package;
use gust_core::subject::Identity;

/// A request the caller is not entitled to make (403). The text is OpenWhisk's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The supplied authentication is not authorized to access '{0}'.")]
pub struct Forbidden(pub String);

/// What a request does to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Privilege {
    /// Read it (GET), or list what it holds.
    Read,
    /// Create, update or delete it.
    Write,
    /// Invoke it.
    Activate,
}

/// What entitlement needs to know about the package a name goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageAccess {
    /// The package named is published.
    pub(crate) public: bool,
    /// When it is a binding: the bound package's namespace, and whether that package exists
    /// and is published.
    pub(crate) bound: Option<BoundAccess>,
}

/// The facts about a binding's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoundAccess {
    /// Its namespace.
    pub(crate) namespace: String,
    /// It exists and is published.
    pub(crate) public: bool,
}

impl PackageAccess {
    /// The facts of `named` and, for a binding, of the package it binds (`None`: gone).
    pub(crate) fn of(named: &Package, bound: Option<&Package>) -> Self {
        PackageAccess {
            public: named.meta.publish,
            bound: named
                .binding
                .as_ref()
                .map(|b| BoundAccess { namespace: b.namespace.clone(), public: bound.is_some_and(|p| p.meta.publish) }),
        }
    }
}

/// True when `caller` owns namespace `ns` (the first segment of an entity path).
pub(crate) fn owns(caller: &Identity, ns: &str) -> bool {
    caller.namespace == ns
}

/// May `caller` do `privilege` to an entity in namespace `ns`, inside a package whose facts
/// are `package` (`None`: not in a package, or the package does not exist)? `resource` names
/// the entity in the 403.
pub(crate) fn check(
    caller: &Identity,
    privilege: Privilege,
    ns: &str,
    package: Option<&PackageAccess>,
    resource: impl FnOnce() -> String,
) -> Result<(), Forbidden> {
    let allowed = if owns(caller, ns) {
        match (privilege, package.and_then(|p| p.bound.as_ref())) {
            (Privilege::Write, _) | (_, None) => true,
            // Reading through one's own binding needs the right to read what it binds.
            (_, Some(b)) => owns(caller, &b.namespace) || b.public,
        }
    } else {
        privilege != Privilege::Write && package.is_some_and(|p| p.public)
    };
    if allowed { Ok(()) } else { Err(Forbidden(resource())) }
}

#[cfg(test)]
mod tests {
    use gust_core::subject::{AuthKey, GUEST_AUTH};

    use super::*;

    fn caller(ns: &str) -> Identity {
        let key: AuthKey = GUEST_AUTH.parse().unwrap_or_else(|e| panic!("{e}"));
        Identity::new(ns, ns, key)
    }

    fn access(public: bool, bound: Option<(&str, bool)>) -> PackageAccess {
        PackageAccess { public, bound: bound.map(|(ns, public)| BoundAccess { namespace: ns.into(), public }) }
    }

    fn allowed(c: &str, p: Privilege, ns: &str, pkg: Option<PackageAccess>) -> bool {
        check(&caller(c), p, ns, pkg.as_ref(), || "x".into()).is_ok()
    }

    #[test]
    fn owners_may_do_anything_in_their_namespace() {
        for p in [Privilege::Read, Privilege::Write, Privilege::Activate] {
            assert!(allowed("guest", p, "guest", None));
            assert!(allowed("guest", p, "guest", Some(access(false, None))));
        }
    }

    #[test]
    fn others_read_and_invoke_only_inside_published_packages() {
        assert!(!allowed("alice", Privilege::Read, "guest", None));
        assert!(!allowed("alice", Privilege::Activate, "guest", Some(access(false, None))));
        assert!(allowed("alice", Privilege::Read, "guest", Some(access(true, None))));
        assert!(allowed("alice", Privilege::Activate, "guest", Some(access(true, None))));
        assert!(!allowed("alice", Privilege::Write, "guest", Some(access(true, None))));
        let e = check(&caller("alice"), Privilege::Read, "guest", None, || "guest/hello".into()).unwrap_err();
        assert_eq!(e.to_string(), "The supplied authentication is not authorized to access 'guest/hello'.");
    }

    #[test]
    fn an_own_binding_is_readable_while_its_target_is() {
        let to_public = access(false, Some(("whisk.system", true)));
        let to_private = access(false, Some(("bob", false)));
        let to_own = access(false, Some(("guest", false)));
        assert!(allowed("guest", Privilege::Activate, "guest", Some(to_public)));
        assert!(!allowed("guest", Privilege::Activate, "guest", Some(to_private.clone())));
        assert!(!allowed("guest", Privilege::Read, "guest", Some(to_private.clone())));
        assert!(allowed("guest", Privilege::Write, "guest", Some(to_private)), "a binding can always be changed");
        assert!(allowed("guest", Privilege::Read, "guest", Some(to_own)));
    }
}
