//! Rules: the stored document. (Creating and enabling them come with the events capability;
//! the type is here so that every collection of the entity store is typed.)

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::entity::EntityMeta;
use crate::names::FullyQualifiedName;

/// A stored rule: when `trigger` fires, invoke `action`. Its status lives in the trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Namespace, name, version, publish, annotations, updated.
    #[serde(flatten)]
    pub meta: EntityMeta,
    /// The trigger, `{"path", "name"}`.
    pub trigger: FullyQualifiedName,
    /// The action, `{"path", "name"}` (its path may name a package).
    pub action: FullyQualifiedName,
}

impl Rule {
    /// The list view: the whole rule, without a status (clients read each rule for that).
    pub fn summary(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
