//! HTTP Basic authentication against the subject store, with verified credentials cached so
//! that a request does not pay for a store read and a hash.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use dashmap::DashMap;
use gust_core::subject::{AuthKey, Identity};

use crate::error::ApiError;
use crate::state::AppState;

/// How many verified credentials are kept; past that the cache starts over.
const CACHE_LIMIT: usize = 10_000;

/// Verified `Authorization` header values and whom they identify. Only successes are cached.
#[derive(Default)]
pub(crate) struct AuthCache {
    verified: DashMap<String, Arc<Identity>>,
}

impl AuthCache {
    /// Drops every cached credential (after a key is revoked or replaced).
    pub(crate) fn clear(&self) {
        self.verified.clear();
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<Identity>);

fn parse_basic(value: &str) -> Option<AuthKey> {
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    String::from_utf8(decoded).ok()?.parse().ok()
}

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let value = parts.headers.get(header::AUTHORIZATION).ok_or(ApiError::Unauthenticated)?;
        let value = value.to_str().map_err(|_| ApiError::InvalidAuth)?;
        let cache = &state.0.auth.verified;
        if let Some(id) = cache.get(value) {
            return Ok(Caller(id.clone()));
        }
        let key = parse_basic(value).ok_or(ApiError::InvalidAuth)?;
        let identity = state.0.services.subjects.identify(&key).await?.ok_or(ApiError::InvalidAuth)?;
        let identity = Arc::new(identity);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(value.to_owned(), identity.clone());
        Ok(Caller(identity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_parse() {
        let v = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("u-1:secret"));
        let k = parse_basic(&v).unwrap();
        assert_eq!((k.uuid.as_str(), k.key.as_str()), ("u-1", "secret"));
        assert!(parse_basic("Bearer x").is_none());
        assert!(parse_basic("Basic !!!").is_none());
        let nocolon = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("nocolon"));
        assert!(parse_basic(&nocolon).is_none());
    }
}
