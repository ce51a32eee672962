//! The crate's error type and its mapping onto gust-core's [`StoreError`].

use gust_core::store::StoreError;

/// What can go wrong in the CouchDB store.
///
/// Returned by [`crate::CouchStore::open`] and the other inherent methods; the store trait
/// implementations turn it into a [`StoreError`] with the `From` conversion below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouchError {
    /// The configuration cannot work (bad URL, bad database prefix).
    #[error("invalid CouchDB configuration: {0}")]
    Config(String),
    /// The server could not be reached or kept failing within the retry budget.
    #[error("CouchDB unavailable: {0}")]
    Unavailable(String),
    /// A create found the id taken, or an update or delete found a different revision.
    #[error("document update conflict")]
    Conflict,
    /// The server answered a request with an error status.
    #[error("CouchDB answered {status} to {request}: {error}: {reason}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// Method and path of the request (no credentials, no query).
        request: String,
        /// CouchDB's `error` field.
        error: String,
        /// CouchDB's `reason` field.
        reason: String,
    },
    /// A stored document (or an answer) could not be decoded.
    #[error("corrupt document {id}: {reason}")]
    Corrupt {
        /// Which document (or which answer).
        id: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A document could not be encoded as JSON.
    #[error("cannot encode document: {0}")]
    Encode(String),
    /// The store was closed: activation records are no longer accepted.
    #[error("the store is closed")]
    Closed,
    /// The store was created outside a tokio runtime (its writer task needs one).
    #[error("CouchStore needs a tokio runtime: {0}")]
    NoRuntime(String),
}

impl CouchError {
    /// True for failures that may go away by themselves: no connection, or a server error
    /// status (5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            CouchError::Unavailable(_) => true,
            CouchError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

impl From<serde_json::Error> for CouchError {
    fn from(e: serde_json::Error) -> CouchError {
        CouchError::Encode(e.to_string())
    }
}

impl From<CouchError> for StoreError {
    fn from(e: CouchError) -> StoreError {
        match e {
            CouchError::Conflict => StoreError::Conflict,
            CouchError::Corrupt { id, reason } => StoreError::Corrupt { id, reason },
            CouchError::Unavailable(reason) => StoreError::Unavailable(reason),
            e @ CouchError::Status { status, .. } if status >= 500 => StoreError::Unavailable(e.to_string()),
            other => StoreError::Backend(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_are_unavailable_and_client_errors_are_backend_errors() {
        let status =
            |status| CouchError::Status { status, request: "GET /db".into(), error: "e".into(), reason: "r".into() };
        assert!(matches!(StoreError::from(status(503)), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(status(401)), StoreError::Backend(_)));
        assert_eq!(StoreError::from(CouchError::Conflict), StoreError::Conflict);
        assert!(status(500).is_transient());
        assert!(!status(404).is_transient());
        assert!(CouchError::Unavailable("x".into()).is_transient());
    }
}
