//! The HTTP side: one pooled client, URLs with percent-encoded segments, Basic auth, and
//! retries with backoff for requests that could not reach the server.
//!
//! Which failures are retried depends on the request ([`Retry`]): a request that never left
//! (no connection) is always safe to repeat; one whose answer was lost may have been applied,
//! so only idempotent requests (reads, and the activation bulk writes, whose repeat is a
//! harmless conflict) are repeated then, and also on a 5xx answer. Whatever still fails is
//! [`CouchError::Unavailable`], so the controller answers 503.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::CouchConfig;
use crate::error::CouchError;

/// The first pause between two attempts; it doubles up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(50);

/// The longest pause between two attempts of one request.
const MAX_DELAY: Duration = Duration::from_secs(1);

/// Idle pooled connections are dropped after this. It is below the 5 s keep-alive timeout of
/// Node.js servers (pouchdb-server), so a request is never sent on a connection the server is
/// closing at that very moment.
const POOL_IDLE: Duration = Duration::from_secs(3);

/// When a failed request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads and other idempotent requests: after any transport failure or a 5xx answer.
    Idempotent,
    /// Writes: only when no connection could be made (the request never reached the server).
    ConnectOnly,
    /// Never: the caller has its own retry loop.
    Never,
}

/// One request: method, path segments (each percent-encoded on its own, so a document id
/// containing `/` stays one segment), query and JSON body.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    method: Method,
    path: &'a [&'a str],
    query: Vec<(&'static str, String)>,
    body: Option<Bytes>,
    retry: Retry,
}

impl<'a> Request<'a> {
    /// A request; reads retry as [`Retry::Idempotent`], writes as [`Retry::ConnectOnly`].
    pub(crate) fn new(method: Method, path: &'a [&'a str]) -> Request<'a> {
        let retry =
            if method == Method::GET || method == Method::HEAD { Retry::Idempotent } else { Retry::ConnectOnly };
        Request { method, path, query: Vec::new(), body: None, retry }
    }

    /// `GET` of `path`.
    pub(crate) fn get(path: &'a [&'a str]) -> Request<'a> {
        Request::new(Method::GET, path)
    }

    /// Adds a query parameter.
    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Request<'a> {
        self.query.push((key, value.into()));
        self
    }

    /// Adds a query parameter whose value is JSON (view keys).
    pub(crate) fn query_json(self, key: &'static str, value: &serde_json::Value) -> Request<'a> {
        let text = value.to_string();
        self.query(key, text)
    }

    /// Sets a JSON body.
    pub(crate) fn json(self, body: &impl serde::Serialize) -> Result<Request<'a>, CouchError> {
        Ok(self.body(Bytes::from(serde_json::to_vec(body)?)))
    }

    /// Sets an already encoded JSON body.
    pub(crate) fn body(mut self, body: Bytes) -> Request<'a> {
        self.body = Some(body);
        self
    }

    /// Overrides the retry behaviour.
    pub(crate) fn retry(mut self, retry: Retry) -> Request<'a> {
        self.retry = retry;
        self
    }

    /// `METHOD /path` for messages (no query, no credentials).
    fn describe(&self) -> String {
        let mut s = format!("{} ", self.method);
        for segment in self.path {
            s.push('/');
            s.push_str(segment);
        }
        s
    }
}

/// An answer: any status, with its body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The body (JSON for every CouchDB answer).
    pub(crate) body: Bytes,
    /// `METHOD /path` of the request, for messages.
    pub(crate) request: String,
}

/// CouchDB's error body.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    reason: String,
}

impl Reply {
    /// True for a 2xx status.
    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Decodes the body; a body that does not decode is [`CouchError::Corrupt`] (`what` names
    /// the document or answer).
    pub(crate) fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, CouchError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| CouchError::Corrupt { id: what.to_owned(), reason: e.to_string() })
    }

    /// The error this answer reports: [`CouchError::Status`] with CouchDB's `error` and
    /// `reason` (or the raw body when it is not CouchDB's error shape).
    pub(crate) fn error(&self) -> CouchError {
        let body: ErrorBody = serde_json::from_slice(&self.body).unwrap_or_else(|_| ErrorBody {
            error: "unknown".into(),
            reason: String::from_utf8_lossy(&self.body[..self.body.len().min(200)]).into_owned(),
        });
        CouchError::Status {
            status: self.status,
            request: self.request.clone(),
            error: body.error,
            reason: body.reason,
        }
    }
}

/// The HTTP client of one store (cheap to share: reqwest pools connections).
#[derive(Debug)]
pub(crate) struct Couch {
    http: reqwest::Client,
    /// The server's base URL, without credentials.
    base: Url,
    attempts: u32,
    budget: Duration,
}

impl Couch {
    /// A client for `config` (no request is made).
    pub(crate) fn new(config: &CouchConfig) -> Result<Couch, CouchError> {
        let mut base = Url::parse(&config.url)
            .map_err(|e| CouchError::Config(format!("url '{}': {e}", redact_url(&config.url))))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() || base.host().is_none() {
            return Err(CouchError::Config(format!("url '{}' is not an http(s) URL", redact_url(&config.url))));
        }
        // Credentials in the URL move into the Authorization header, out of every URL we print.
        let mut username = config.username.clone();
        let mut password = config.password.clone();
        if !base.username().is_empty() {
            username.get_or_insert_with(|| percent_decode(base.username()));
            if password.is_none() {
                password = base.password().map(percent_decode);
            }
        }
        let _ = base.set_username("");
        let _ = base.set_password(None);
        base.set_query(None);
        base.set_fragment(None);

        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(user) = username {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.unwrap_or_default()));
            let mut value = HeaderValue::from_str(&format!("Basic {token}"))
                .map_err(|e| CouchError::Config(format!("credentials: {e}")))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(POOL_IDLE)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| CouchError::Config(format!("HTTP client: {e}")))?;
        Ok(Couch { http, base, attempts: config.retry_attempts.max(1), budget: config.retry_budget })
    }

    /// The server's URL (without credentials), for messages.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// The URL of `path` and `query` on this server.
    fn url(&self, path: &[&str], query: &[(&'static str, String)]) -> Url {
        let mut url = self.base.clone();
        let mut p = url.path().trim_end_matches('/').to_owned();
        for segment in path {
            p.push('/');
            p.push_str(&encode_segment(segment));
        }
        url.set_path(&p);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// Sends `req`, retrying as its [`Retry`] allows within the configured attempts and
    /// budget. Any HTTP status is an `Ok` [`Reply`]; no answer at all is
    /// [`CouchError::Unavailable`].
    pub(crate) async fn send(&self, req: Request<'_>) -> Result<Reply, CouchError> {
        let started = Instant::now();
        let url = self.url(req.path, &req.query);
        let request = req.describe();
        let mut delay = FIRST_DELAY;
        let mut attempt = 1;
        loop {
            let outcome = self.send_once(&req, url.clone()).await;
            let retry = match &outcome {
                Ok(status_body) => req.retry == Retry::Idempotent && matches!(status_body.0, 500 | 502 | 503 | 504),
                Err(e) => match req.retry {
                    Retry::Idempotent => true,
                    Retry::ConnectOnly => e.is_connect(),
                    Retry::Never => false,
                },
            };
            let out_of_budget = attempt >= self.attempts || started.elapsed() + delay > self.budget;
            if !retry || out_of_budget {
                return match outcome {
                    Ok((status, body)) => Ok(Reply { status, body, request }),
                    Err(e) => Err(CouchError::Unavailable(format!(
                        "{request}: no answer from CouchDB at {} after {attempt} attempt(s) in {} ms: {}",
                        self.base,
                        started.elapsed().as_millis(),
                        chain(&e.without_url())
                    ))),
                };
            }
            match &outcome {
                Ok((status, _)) => tracing::debug!(%request, status, attempt, "CouchDB server error; retrying"),
                Err(e) => tracing::debug!(%request, error = %chain(e), attempt, "CouchDB request failed; retrying"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_DELAY);
            attempt += 1;
        }
    }

    /// The current revision of document `cid` (a CouchDB id) of `db`, without reading its
    /// body (`GET /db/_all_docs?key=...`); `None` when it does not exist or is deleted.
    pub(crate) async fn current_rev(&self, db: &str, cid: &str) -> Result<Option<String>, CouchError> {
        #[derive(Deserialize)]
        struct AllDocs {
            rows: Vec<AllDocsRow>,
        }
        #[derive(Deserialize)]
        struct AllDocsRow {
            /// Absent (with an `error`) for a key that is not there.
            value: Option<RevValue>,
        }
        #[derive(Deserialize)]
        struct RevValue {
            rev: String,
            /// CouchDB lists deleted documents when asked for them by key.
            #[serde(default)]
            deleted: bool,
        }
        let path = [db, "_all_docs"];
        let reply = self.send(Request::get(&path).query_json("key", &serde_json::Value::from(cid))).await?;
        if !reply.ok() {
            return Err(reply.error());
        }
        let all: AllDocs = reply.json(&format!("{db}/_all_docs"))?;
        Ok(all.rows.into_iter().next().and_then(|r| r.value).filter(|v| !v.deleted).map(|v| v.rev))
    }

    async fn send_once(&self, req: &Request<'_>, url: Url) -> Result<(u16, Bytes), reqwest::Error> {
        let mut builder = self.http.request(req.method.clone(), url);
        if let Some(body) = &req.body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        let response = builder.send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        Ok((status, body))
    }
}

/// An error and its sources on one line (reqwest's own message hides the cause).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let _ = write!(s, ": {cause}");
        source = cause.source();
    }
    s
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so that any string
/// (a document id with `/`, spaces, `%`, `?`, `#`) is exactly one path segment.
///
/// `.` and `..` (even percent-encoded) are path navigation in every URL, never a segment:
/// document ids are escaped before they get here ([`crate::schema::couch_id`]).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` sequences (URL user info); invalid sequences stay as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1).and_then(|c| hex(*c)), bytes.get(i + 2).and_then(|c| hex(*c)))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` with its password (if any) replaced by `***`, for printing.
pub(crate) fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "<unparsable url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn couch(url: &str) -> Couch {
        Couch::new(&CouchConfig::new(url)).expect("client")
    }

    #[test]
    fn every_segment_stays_one_segment() {
        let c = couch("http://127.0.0.1:5984");
        let url = c.url(&["db", "guest/pkg/my action", "a%b?c#d", "~..", "ümlaut"], &[]);
        assert_eq!(url.path(), "/db/guest%2Fpkg%2Fmy%20action/a%25b%3Fc%23d/~../%C3%BCmlaut");
        assert_eq!(url.query(), None);
    }

    #[test]
    fn a_path_prefix_in_the_base_url_is_kept() {
        let c = couch("http://127.0.0.1:5984/couch/");
        let url = c.url(&["db", "_design", "gust"], &[("startkey", "[\"a b\",{}]".into())]);
        assert_eq!(url.path(), "/couch/db/_design/gust");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs, [("startkey".to_owned(), "[\"a b\",{}]".to_owned())]);
    }

    #[test]
    fn credentials_in_the_url_leave_the_url() {
        let c = couch("http://ad%40min:s3cr%3At@127.0.0.1:5984");
        assert_eq!(c.base().as_str(), "http://127.0.0.1:5984/");
        assert_eq!(percent_decode("ad%40min"), "ad@min");
        assert_eq!(redact_url("http://a:b@h:1/"), "http://a:***@h:1/");
    }

    #[test]
    fn bad_urls_are_configuration_errors() {
        for url in ["not a url", "ftp://127.0.0.1/", "mailto:x@y"] {
            assert!(matches!(Couch::new(&CouchConfig::new(url)), Err(CouchError::Config(_))), "{url}");
        }
    }
}
