//! Where the CouchDB server is and how patiently to talk to it.

use std::fmt;
use std::time::Duration;

/// How to reach CouchDB (or a server speaking its HTTP API, such as pouchdb-server).
///
/// Build one with [`CouchConfig::new`] (or [`Default`], which points at
/// `http://127.0.0.1:5984`) and adjust the public fields. Credentials may be given in the
/// fields or in the URL (`http://user:pass@host:5984`); either way they are sent as HTTP
/// Basic auth and never printed.
#[derive(Clone)]
pub struct CouchConfig {
    /// Base URL of the server, e.g. `http://127.0.0.1:5984` (a path prefix is kept, for a
    /// server behind a proxy).
    pub url: String,
    /// Basic-auth user name, if the server needs one.
    pub username: Option<String>,
    /// Basic-auth password (used only with a user name).
    pub password: Option<String>,
    /// Prefix of the three database names: `<prefix>subjects`, `<prefix>whisks`,
    /// `<prefix>activations`. CouchDB allows lowercase letters, digits and `_$()+-/` after a
    /// leading letter.
    pub db_prefix: String,
    /// Longest wait for a TCP connection.
    pub connect_timeout: Duration,
    /// Longest wait for one request's whole answer (the first query of a view after many
    /// writes includes indexing them).
    pub request_timeout: Duration,
    /// Most attempts of one request when the server cannot be reached (at least 1).
    pub retry_attempts: u32,
    /// Upper bound on the time spent retrying one request (and on how long an activation
    /// list waits for a writer that cannot reach the server) before answering
    /// [`StoreError::Unavailable`](gust_core::store::StoreError::Unavailable).
    pub retry_budget: Duration,
    /// Most activation records in one `_bulk_docs` request.
    pub max_batch: usize,
    /// How many `_bulk_docs` requests the activation writer keeps in flight (the next batch
    /// forms while the server writes the previous one); 1 writes strictly one after another.
    pub bulk_concurrency: usize,
}

impl CouchConfig {
    /// The defaults, for the server at `url`.
    pub fn new(url: impl Into<String>) -> CouchConfig {
        CouchConfig { url: url.into(), ..CouchConfig::default() }
    }

    /// Sets Basic-auth credentials.
    pub fn with_credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> CouchConfig {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Sets the database name prefix.
    pub fn with_db_prefix(mut self, prefix: impl Into<String>) -> CouchConfig {
        self.db_prefix = prefix.into();
        self
    }
}

impl Default for CouchConfig {
    fn default() -> CouchConfig {
        CouchConfig {
            url: "http://127.0.0.1:5984".into(),
            username: None,
            password: None,
            db_prefix: "gust_".into(),
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(60),
            retry_attempts: 5,
            retry_budget: Duration::from_secs(5),
            max_batch: 1000,
            bulk_concurrency: 2,
        }
    }
}

impl fmt::Debug for CouchConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CouchConfig")
            .field("url", &crate::client::redact_url(&self.url))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("db_prefix", &self.db_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry_attempts", &self.retry_attempts)
            .field("retry_budget", &self.retry_budget)
            .field("max_batch", &self.max_batch)
            .field("bulk_concurrency", &self.bulk_concurrency)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let c = CouchConfig::new("http://admin:secret1@127.0.0.1:5984").with_credentials("u", "secret2");
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret1"), "{shown}");
        assert!(!shown.contains("secret2"), "{shown}");
        assert!(shown.contains("gust_"), "{shown}");
    }
}
