//! HTTP Basic authentication against the subject store, with verified credentials cached so
//! that a request does not pay for a store read and a hash. A cached credential is trusted for
//! a bounded time (the controller's `auth_cache_ttl`): a key deleted or replaced in the subject
//! store, on any controller or with `gust admin`, stops working within that time everywhere.

use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Verified `Authorization` header values, whom they identify and when they were verified.
/// Only successes are cached.
pub(crate) struct AuthCache {
    verified: DashMap<String, (Arc<Identity>, Instant)>,
    ttl: Duration,
}

impl AuthCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { verified: DashMap::new(), ttl }
    }

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
        let auth = &state.0.auth;
        let cache = &auth.verified;
        if let Some(e) = cache.get(value)
            && e.1.elapsed() < auth.ttl
        {
            return Ok(Caller(e.0.clone()));
        }
        let key = parse_basic(value).ok_or(ApiError::InvalidAuth)?;
        let Some(identity) = state.0.services.subjects.identify(&key).await? else {
            cache.remove(value);
            return Err(ApiError::InvalidAuth);
        };
        let identity = Arc::new(identity);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(value.to_owned(), (identity.clone(), Instant::now()));
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
