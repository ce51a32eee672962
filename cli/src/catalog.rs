//! Installs the `whisk.system` catalog (gust-catalog's packages) in the entity store when a
//! deployment starts: each package published, each action a Wasm action, written only where
//! the store differs from this build's catalog. Idempotent, and safe when several controllers
//! start at once (a lost race is read again and compared).

use base64::Engine as _;
use gust_catalog::{CatalogAction, CatalogPackage};
use gust_core::action::Action;
use gust_core::entity::{Collection, Entity, EntityMeta};
use gust_core::exec::{CodeKind, Exec};
use gust_core::limits::{ActionLimits, LimitBounds};
use gust_core::names::FullyQualifiedName;
use gust_core::package::Package;
use gust_core::params::Params;
use gust_core::store::{EntityQuery, EntityStore, StoreError};
use gust_core::time::now_ms;
use serde_json::Value;

/// Why the catalog could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// This build has no catalog modules.
    #[error(transparent)]
    Missing(#[from] gust_catalog::CatalogMissing),
    /// A catalog description does not make a valid entity (a bug of gust-catalog).
    #[error("the catalog's {what} is malformed: {why}")]
    Malformed {
        /// Which package or action.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// The store refused.
    #[error("cannot write the catalog: {0}")]
    Store(#[from] StoreError),
}

/// What an installation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Installed {
    /// Packages of the catalog.
    pub packages: usize,
    /// Actions of the catalog.
    pub actions: usize,
    /// Entities written (created, updated or removed); 0 when the store was up to date.
    pub written: usize,
}

fn params(what: &str, v: &Value) -> Result<Params, CatalogError> {
    serde_json::from_value(v.clone()).map_err(|e| CatalogError::Malformed { what: what.to_owned(), why: e.to_string() })
}

/// The package entity of `p`.
fn package(p: &CatalogPackage, now: u64) -> Result<Package, CatalogError> {
    let fqn = FullyQualifiedName::new(p.namespace, p.name);
    Ok(Package {
        meta: EntityMeta::new(&fqn, None, Some(true), params(p.name, &p.annotations)?, now),
        binding: None,
        parameters: params(p.name, &p.parameters)?,
    })
}

/// The action entity of `a` in package `p`.
fn action(p: &CatalogPackage, a: &CatalogAction, now: u64) -> Result<Action, CatalogError> {
    let what = format!("{}/{}", p.name, a.name);
    let fqn = FullyQualifiedName::new(format!("{}/{}", p.namespace, p.name), a.name);
    let mut annotations = params(&what, &a.annotations)?;
    annotations.set("exec", Value::String(a.kind.to_owned()));
    if annotations.get("provide-api-key").is_none() {
        annotations.set("provide-api-key", Value::Bool(false));
    }
    let code = base64::engine::general_purpose::STANDARD.encode(a.module);
    Ok(Action {
        meta: EntityMeta::new(&fqn, None, Some(true), annotations, now),
        exec: Exec::Code { kind: CodeKind::parse(a.kind), code: Some(code), main: None, binary: true },
        parameters: params(&what, &a.parameters)?,
        limits: ActionLimits::defaults(&LimitBounds::default()),
    })
}

/// True when `stored` is `desired` but for the version and the time of the write.
fn same(stored: &Entity, desired: &Entity) -> bool {
    let plain = |e: &Entity| {
        let mut v = e.to_json();
        if let Some(m) = v.as_object_mut() {
            m.remove("version");
            m.remove("updated");
        }
        v
    };
    plain(stored) == plain(desired)
}

/// `desired` with the metadata of the next revision of `stored`.
fn next_of(stored: &Entity, desired: &Entity) -> Entity {
    let meta = stored.meta().next(None, Some(desired.meta().publish), desired.meta().annotations.clone(), now_ms());
    match desired.clone() {
        Entity::Package(p) => Entity::Package(Package { meta, ..p }),
        Entity::Action(a) => Entity::Action(Action { meta, ..a }),
        other => other,
    }
}

/// Makes the store hold `desired`; true when it wrote.
async fn ensure(store: &dyn EntityStore, desired: &Entity) -> Result<bool, CatalogError> {
    let id = desired.doc_id();
    // Another controller may be installing at the same moment: a lost race is read again.
    for _ in 0..5 {
        let written = match store.get(&id).await? {
            None => store.put(desired, None).await,
            Some(v) if v.doc.collection() != desired.collection() => {
                tracing::warn!(entity = %id, "A catalog name is taken by an entity of another collection; left alone.");
                return Ok(false);
            }
            Some(v) if same(&v.doc, desired) => return Ok(false),
            Some(v) => store.put(&next_of(&v.doc, desired), Some(&v.rev)).await,
        };
        match written {
            Ok(_) => return Ok(true),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// Removes the actions of catalog package `p` that this build's catalog no longer has.
async fn prune(store: &dyn EntityStore, p: &CatalogPackage) -> Result<usize, CatalogError> {
    let query = EntityQuery::new(Collection::Actions, p.namespace).in_package(p.name);
    let mut removed = 0;
    for e in store.list(&query).await? {
        if p.actions.iter().any(|a| a.name == e.meta().name) {
            continue;
        }
        let id = e.doc_id();
        if let Some(v) = store.get(&id).await? {
            match store.delete(&id, &v.rev).await {
                Ok(()) | Err(StoreError::Conflict) => removed += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(removed)
}

/// Installs this build's catalog in `store`.
pub async fn install(store: &dyn EntityStore) -> Result<Installed, CatalogError> {
    let mut done = Installed::default();
    let now = now_ms();
    for p in gust_catalog::packages()? {
        done.packages += 1;
        done.written += usize::from(ensure(store, &Entity::Package(package(&p, now)?)).await?);
        for a in &p.actions {
            done.actions += 1;
            done.written += usize::from(ensure(store, &Entity::Action(action(&p, a, now)?)).await?);
        }
        done.written += prune(store, &p).await?;
    }
    Ok(done)
}

/// Installs the catalog, logging the outcome; a deployment runs without it when it cannot be
/// installed (the reason is printed).
pub async fn install_or_warn(store: &dyn EntityStore) {
    match install(store).await {
        Ok(i) => tracing::info!(
            packages = i.packages,
            actions = i.actions,
            written = i.written,
            "The whisk.system catalog is installed."
        ),
        Err(e) => {
            tracing::warn!(error = %e, "The whisk.system catalog is not installed.");
            eprintln!("The whisk.system catalog is not installed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use gust_core::memory::MemoryEntityStore;

    use super::*;

    #[tokio::test]
    async fn installing_twice_writes_once_and_repairs_what_changed() {
        let Ok(catalog) = gust_catalog::packages() else {
            panic!("this build has no catalog: run `rustup target add wasm32-wasip1` and build again");
        };
        let store = MemoryEntityStore::default();
        let first = install(&store).await.unwrap();
        let actions: usize = catalog.iter().map(|p| p.actions.len()).sum();
        assert_eq!(first, Installed { packages: catalog.len(), actions, written: catalog.len() + actions });
        assert_eq!(install(&store).await.unwrap().written, 0, "an up-to-date store is left alone");

        let utils = store.get("whisk.system/utils").await.unwrap().unwrap();
        let Entity::Package(p) = &utils.doc else { panic!("{:?}", utils.doc) };
        assert!(p.meta.publish && p.binding.is_none());
        let echo = store.get("whisk.system/utils/echo").await.unwrap().unwrap();
        let Entity::Action(a) = &echo.doc else { panic!("{:?}", echo.doc) };
        assert!(a.exec.is_wasm() && a.exec.binary());
        assert_eq!(a.meta.annotations.get("exec"), Some(&Value::String("wasm:wasip1".into())));

        // Someone changed an action and added one to the package: both are put right.
        let mut changed = a.clone();
        changed.parameters = Params::new().with("x", Value::Bool(true));
        store.put(&Entity::Action(changed), Some(&echo.rev)).await.unwrap();
        let mut extra = a.clone();
        extra.meta.name = "stale".into();
        store.put(&Entity::Action(extra), None).await.unwrap();
        assert_eq!(install(&store).await.unwrap().written, 2);
        let repaired = store.get("whisk.system/utils/echo").await.unwrap().unwrap();
        assert_eq!(repaired.doc.as_action().map(|a| a.parameters.is_empty()), Some(true));
        assert_eq!(repaired.doc.meta().version.to_string(), "0.0.2", "a repair is a new version");
        assert!(store.get("whisk.system/utils/stale").await.unwrap().is_none());
    }
}
