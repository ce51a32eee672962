//! Triggers: the stored document. (Creating and firing them come with the events capability;
//! the type is here so that every collection of the entity store is typed.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::entity::EntityMeta;
use crate::names::FullyQualifiedName;
use crate::params::Params;

/// Whether a rule fires its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// Firing the trigger invokes the rule's action.
    Active,
    /// The rule is kept but does nothing.
    Inactive,
}

/// What a trigger keeps of each rule that refers to it (the source of truth for its status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReducedRule {
    /// The rule's action.
    pub action: FullyQualifiedName,
    /// Its status.
    pub status: RuleStatus,
}

/// A trigger's `limits`: always `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerLimits {}

/// A stored trigger, in OpenWhisk's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// Namespace, name, version, publish, annotations (`feed`, ...), updated.
    #[serde(flatten)]
    pub meta: EntityMeta,
    /// Parameters every firing passes on.
    pub parameters: Params,
    /// Always `{}`.
    #[serde(default)]
    pub limits: TriggerLimits,
    /// The rules that refer to it, by `ns/rule`, once any has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<BTreeMap<String, ReducedRule>>,
}

impl Trigger {
    /// The list-summary view.
    pub fn summary(&self) -> Value {
        Value::Object(self.meta.summary())
    }
}
