//! Stable invoker ids per unique invoker name, claimed through Consul's KV with check-and-set.
//!
//! Keys (under `gust/<cluster>/invoker-ids/`): `next` holds the next unused id; `names/<name>`
//! holds the id given to that name. A claim reads the name; when it has no id yet, it takes the
//! counter's value by incrementing it with `?cas=<ModifyIndex>` (retrying on conflict), then
//! writes the name with `?cas=0` (create only). Losing that last race means another process
//! claimed the same name at the same moment: its id is the answer, and the number just taken
//! stays unused. So one name always gets one id, and two names never share one.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gust_core::messages::InvokerId;
use reqwest::Method;
use serde::Deserialize;

use crate::client::{Client, escape_segment};
use crate::config::ConsulConfig;
use crate::error::ConsulError;

/// How many compare-and-set rounds a claim may take before it gives up.
const MAX_ATTEMPTS: u32 = 200;
/// The longest unique name accepted.
const MAX_NAME: usize = 256;

/// One entry of `GET /v1/kv/<key>`.
#[derive(Debug, Deserialize)]
struct KvEntry {
    #[serde(rename = "ModifyIndex")]
    modify_index: u64,
    #[serde(rename = "Value")]
    value: Option<String>,
}

/// A number stored under a key, with the index to compare-and-set against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    value: u32,
    modify_index: u64,
}

/// The id of `name` in the cluster of `config`, claiming a new one the first time.
pub(crate) async fn claim(client: &Client, config: &ConsulConfig, name: &str) -> Result<InvokerId, ConsulError> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(ConsulError::Claim {
            name: name.to_owned(),
            detail: format!("a unique invoker name has 1 to {MAX_NAME} bytes"),
        });
    }
    let prefix = config.ids_prefix();
    let name_key = format!("{prefix}/names/{}", escape_segment(name));
    let counter_key = format!("{prefix}/next");
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(jitter(attempt)).await;
        }
        if let Some(stored) = get(client, &name_key).await? {
            return Ok(InvokerId(stored.value));
        }
        let counter = get(client, &counter_key).await?;
        let (candidate, index) = counter.map_or((0, 0), |c| (c.value, c.modify_index));
        let Some(next) = candidate.checked_add(1) else {
            return Err(ConsulError::Claim { name: name.to_owned(), detail: "invoker ids are exhausted".into() });
        };
        if !put_cas(client, &counter_key, next, index).await? {
            continue; // Someone else took this number: read again.
        }
        if put_cas(client, &name_key, candidate, 0).await? {
            tracing::info!(cluster = %config.cluster, name, id = candidate, "Claimed a new invoker id.");
            return Ok(InvokerId(candidate));
        }
        // The same name was claimed concurrently; the next round reads its id.
    }
    Err(ConsulError::Claim {
        name: name.to_owned(),
        detail: format!("still conflicting after {MAX_ATTEMPTS} compare-and-set attempts"),
    })
}

/// Reads a key holding a number; `None` when it does not exist.
async fn get(client: &Client, key: &str) -> Result<Option<Stored>, ConsulError> {
    let path = kv_path(key);
    let what = format!("GET {path}");
    let Some(resp) = client.send_allow_404(&what, client.request(Method::GET, &path)).await? else {
        return Ok(None);
    };
    let entries: Vec<KvEntry> = client.json(&what, resp).await?;
    let Some(entry) = entries.into_iter().next() else { return Ok(None) };
    let raw = entry.value.unwrap_or_default();
    let decoded = STANDARD
        .decode(raw.as_bytes())
        .map_err(|e| ConsulError::Decode { what: what.clone(), detail: format!("value is not base64: {e}") })?;
    let value = std::str::from_utf8(&decoded)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .ok_or_else(|| ConsulError::Decode { what, detail: format!("value {decoded:?} of {key} is not an id") })?;
    Ok(Some(Stored { value, modify_index: entry.modify_index }))
}

/// Writes `value` to `key` only if its ModifyIndex is still `index` (0: only if absent).
async fn put_cas(client: &Client, key: &str, value: u32, index: u64) -> Result<bool, ConsulError> {
    let path = kv_path(key);
    let what = format!("PUT {path}?cas={index}");
    let rb = client.request(Method::PUT, &path).query(&[("cas", index)]).body(value.to_string());
    let resp = client.send(&what, rb).await?;
    client.json(&what, resp).await
}

/// The URL path of a KV key (its segments are already safe, but `%` needs escaping again).
fn kv_path(key: &str) -> String {
    let segments: Vec<String> = key.split('/').map(escape_segment).collect();
    format!("/v1/kv/{}", segments.join("/"))
}

/// A random pause that grows with the attempt, so that racing claimers spread out.
fn jitter(attempt: u32) -> Duration {
    let mut h = RandomState::new().build_hasher();
    h.write_u32(attempt);
    let ceiling_ms = u64::from(attempt.min(10)) * 5 + 5;
    Duration::from_millis(h.finish() % ceiling_ms + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_paths_escape_names() {
        assert_eq!(kv_path("gust/c/invoker-ids/names/host-1.local"), "/v1/kv/gust/c/invoker-ids/names/host-1.local");
        let key = format!("gust/c/invoker-ids/names/{}", escape_segment("a/b"));
        assert_eq!(kv_path(&key), "/v1/kv/gust/c/invoker-ids/names/a%252Fb");
        assert!(jitter(1) <= Duration::from_millis(11));
        assert!(jitter(100) <= Duration::from_millis(56));
    }
}
