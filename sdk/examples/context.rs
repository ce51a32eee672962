//! `context`: ignores its parameters and returns what [`gust_sdk::Context`] read from the
//! environment: `activationId`, `actionName`, `namespace`, `actionVersion`, `deadline` (epoch
//! ms, a number), `transactionId`, `apiHost` (null when absent) and `apiKeyPresent`.

use std::convert::Infallible;

use gust_sdk::Context;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

fn context(_params: IgnoredAny) -> Result<Value, Infallible> {
    let ctx = Context::current();
    Ok(json!({
        "activationId": ctx.activation_id,
        "actionName": ctx.action_name,
        "namespace": ctx.namespace,
        "actionVersion": ctx.action_version,
        "deadline": ctx.deadline,
        "transactionId": ctx.transaction_id,
        "apiHost": ctx.api_host,
        "apiKeyPresent": ctx.api_key.is_some(),
    }))
}

gust_sdk::action!(context);
