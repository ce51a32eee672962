//! The REST routes, one file per resource.

pub(crate) mod actions;
pub(crate) mod activations;
pub(crate) mod docs;
mod entities;
pub(crate) mod info;
pub(crate) mod invoke;
pub(crate) mod namespaces;
pub(crate) mod packages;
pub(crate) mod triggers;

use std::collections::HashMap;

use crate::error::{ApiError, ApiResult};

/// Query parameters, last value wins. Undecodable query strings are a 400.
#[derive(Debug, Default)]
pub(crate) struct QueryMap(HashMap<String, String>);

impl QueryMap {
    pub(crate) fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let Some(raw) = raw else { return Ok(Self::default()) };
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
            .map_err(|e| ApiError::BadRequest(format!("The query string is malformed: {e}")))?;
        Ok(Self(pairs.into_iter().collect()))
    }

    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
}
