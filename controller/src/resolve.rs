//! What a name refers to: packages read on the way (a binding leads to the package it binds),
//! the action itself, and its parameters merged as OpenWhisk merges them (package < binding <
//! action). The invoke path keeps the resolution of each name it was asked for (without code)
//! for a short time, so that a warm invoke does not read the entity store; entries are
//! dropped on every entity write of this controller and expire after a TTL, since other
//! controllers may write too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use gust_core::action::Action;
use gust_core::entity::{Entity, Revision, Versioned};
use gust_core::names::FullyQualifiedName;
use gust_core::package::Package;
use gust_core::params::Params;
use gust_core::store::{EntityStore, StoreError};
use gust_core::subject::Identity;

use crate::entitle::{self, Forbidden, PackageAccess, Privilege};
use crate::error::conflict;

/// Why a name did not lead to an action the caller may use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// 403: not entitled (said before existence, outside the caller's namespace).
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// 404: no such action (or package on the way).
    #[error("The requested resource does not exist.")]
    NotFound,
    /// 409: the name belongs to an entity of another collection.
    #[error("{}", conflict::OTHER_COLLECTION)]
    NotAnAction,
    /// The entity store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The packages a name inside a package goes through.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    /// The package named, with its revision (maybe a binding).
    pub(crate) named: Versioned<Package>,
    /// What a binding binds, when it still exists as a plain package.
    pub(crate) bound: Option<Package>,
}

impl Chain {
    /// The facts entitlement decides on.
    pub(crate) fn access(&self) -> PackageAccess {
        PackageAccess::of(&self.named.doc, self.bound.as_ref())
    }

    /// The package whose actions the name reaches: the bound one for a binding.
    pub(crate) fn real(&self) -> Option<&Package> {
        match &self.named.doc.binding {
            None => Some(&self.named.doc),
            Some(_) => self.bound.as_ref(),
        }
    }

    /// The parameters the package gives its actions: the bound package's, under the binding's.
    pub(crate) fn parameters(&self) -> Params {
        match &self.bound {
            Some(b) if self.named.doc.binding.is_some() => b.parameters.merged_with(&self.named.doc.parameters),
            _ => self.named.doc.parameters.clone(),
        }
    }

    /// `ns/binding` when the name goes through a binding (the `binding` annotation of records).
    pub(crate) fn binding(&self) -> Option<String> {
        self.named.doc.binding.as_ref().map(|_| self.named.doc.meta.doc_id())
    }
}

/// An action, found.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// The action that runs, in its own package (without its code when cached).
    pub(crate) action: Action,
    /// Its revision (what the invoker loads).
    pub(crate) rev: Revision,
    /// Package, binding and action parameters, merged.
    pub(crate) parameters: Params,
    /// `ns/binding` when found through a binding.
    pub(crate) binding: Option<String>,
    /// The package the name goes through, for entitlement.
    pub(crate) access: Option<PackageAccess>,
    loaded: Instant,
}

/// Reads the package `ns/pkg` and, for a binding, what it binds. `None` when `ns/pkg` is not
/// a package.
pub(crate) async fn chain(entities: &dyn EntityStore, ns: &str, pkg: &str) -> Result<Option<Chain>, StoreError> {
    let Some(named) = read_package(entities, &format!("{ns}/{pkg}")).await? else { return Ok(None) };
    let bound = match &named.doc.binding {
        // A binding never binds a binding (refused on create); should one exist, it binds nothing.
        Some(b) => read_package(entities, &b.doc_id()).await?.map(|v| v.doc).filter(|p| p.binding.is_none()),
        None => None,
    };
    Ok(Some(Chain { named, bound }))
}

/// Reads package `ns/pkg` (and what it binds) for `caller` to do `privilege` through it, and
/// checks that right first: a 403 (naming `resource`) says nothing of whether the package
/// exists; `None` then means there is no such package.
pub(crate) async fn entitled_chain(
    entities: &dyn EntityStore,
    caller: &Identity,
    privilege: Privilege,
    ns: &str,
    pkg: &str,
    resource: impl FnOnce() -> String,
) -> Result<Option<Chain>, ResolveError> {
    let chain = chain(entities, ns, pkg).await?;
    entitle::check(caller, privilege, ns, chain.as_ref().map(Chain::access).as_ref(), resource)?;
    Ok(chain)
}

/// Checks that `caller` may do `privilege` to the action `fqn` names, whether or not it exists
/// (a sequence's components are checked so when it is invoked).
pub(crate) async fn entitled(
    entities: &dyn EntityStore,
    caller: &Identity,
    fqn: &FullyQualifiedName,
    privilege: Privilege,
) -> Result<(), ResolveError> {
    match fqn.package() {
        Some(pkg) => {
            entitled_chain(entities, caller, privilege, fqn.namespace(), pkg, || fqn.doc_id()).await?;
        }
        None => entitle::check(caller, privilege, fqn.namespace(), None, || fqn.doc_id())?,
    }
    Ok(())
}

async fn read_package(entities: &dyn EntityStore, doc_id: &str) -> Result<Option<Versioned<Package>>, StoreError> {
    Ok(entities.get(doc_id).await?.and_then(|v| match v.doc {
        Entity::Package(p) => Some(Versioned { rev: v.rev, doc: p }),
        _ => None,
    }))
}

/// Finds the action `fqn` names for `caller` to do `privilege` to it, checking entitlement on
/// the way: 403 before anything is read for a name outside the caller's namespace and
/// packages, 403 for an unpublished package of another namespace (found or not), then 404 /
/// 409 for the action itself.
pub(crate) async fn action(
    entities: &dyn EntityStore,
    caller: &Identity,
    fqn: &FullyQualifiedName,
    privilege: Privilege,
) -> Result<Resolved, ResolveError> {
    let ns = fqn.namespace();
    let chain = match fqn.package() {
        Some(pkg) => {
            let chain = entitled_chain(entities, caller, privilege, ns, pkg, || fqn.doc_id()).await?;
            Some(chain.ok_or(ResolveError::NotFound)?)
        }
        None => {
            // Outside a package only the owner has rights: decided before reading anything.
            entitle::check(caller, privilege, ns, None, || fqn.doc_id())?;
            None
        }
    };
    let real = match &chain {
        Some(c) => FullyQualifiedName::new(c.real().ok_or(ResolveError::NotFound)?.actions_path(), fqn.name.clone()),
        None => fqn.clone(),
    };
    let doc = entities.get(&real.doc_id()).await?.ok_or(ResolveError::NotFound)?;
    let Entity::Action(action) = doc.doc else { return Err(ResolveError::NotAnAction) };
    let parameters = match &chain {
        Some(c) => c.parameters().merged_with(&action.parameters),
        None => action.parameters.clone(),
    };
    Ok(Resolved {
        parameters,
        binding: chain.as_ref().and_then(Chain::binding),
        access: chain.as_ref().map(Chain::access),
        rev: doc.rev,
        action,
        loaded: Instant::now(),
    })
}

/// Resolutions for the invoke path, by the document id asked for.
pub(crate) struct ResolveCache {
    entries: DashMap<String, Arc<Resolved>>,
    ttl: Duration,
}

impl ResolveCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { entries: DashMap::new(), ttl }
    }

    /// The action `fqn` names, for invoking by `caller`: from the cache when fresh, else read
    /// (and cached without its code). Entitlement is checked either way.
    pub(crate) async fn invocable(
        &self,
        entities: &dyn EntityStore,
        caller: &Identity,
        fqn: &FullyQualifiedName,
    ) -> Result<Arc<Resolved>, ResolveError> {
        let doc_id = fqn.doc_id();
        if let Some(r) = self.entries.get(&doc_id).filter(|r| r.loaded.elapsed() < self.ttl).map(|r| r.clone()) {
            entitle::check(caller, Privilege::Activate, fqn.namespace(), r.access.as_ref(), || doc_id)?;
            return Ok(r);
        }
        let mut r = action(entities, caller, fqn, Privilege::Activate).await?;
        r.action = r.action.without_code();
        let r = Arc::new(r);
        self.entries.insert(doc_id, r.clone());
        Ok(r)
    }

    /// Forgets everything (after an entity write: a package change reaches many names).
    pub(crate) fn clear(&self) {
        self.entries.clear();
    }
}
