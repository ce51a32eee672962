//! `conductor`: a conductor action (deployed with the annotation `conductor: true`) that runs
//! the actions named by its `plan` parameter one after the other, as OpenWhisk's conductor
//! protocol has it: it answers `{action, params, state: {"$step": n}}` for each step of the plan,
//! then `{params}` (the final result). A step's error (`{"error": ...}` in its input) ends the
//! composition with that error.

use std::convert::Infallible;

use serde_json::{Map, Value, json};

fn conductor(mut params: Map<String, Value>) -> Result<Value, Infallible> {
    let step = params.remove("$step").and_then(|s| s.as_u64()).unwrap_or(0) as usize;
    let plan = params.remove("plan").and_then(|p| p.as_array().cloned()).unwrap_or_default();
    if params.contains_key("error") {
        return Ok(Value::Object(params));
    }
    Ok(match plan.get(step) {
        Some(action) => json!({"action": action, "params": params, "state": {"$step": step + 1}}),
        None => json!({ "params": params }),
    })
}

gust_sdk::action!(conductor);
