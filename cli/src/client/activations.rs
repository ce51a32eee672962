//! Activations: list, count, get, logs, result.

use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use super::path::escape_segment;
use super::{Client, ClientError};

/// Which activations a list or count asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivationFilter {
    /// Only those of action `name` (or `pkg/name`).
    pub name: Option<String>,
    /// Only those that started at or after this epoch millisecond.
    pub since: Option<u64>,
    /// Only those that started at or before this epoch millisecond.
    pub upto: Option<u64>,
    /// How many of the newest to skip.
    pub skip: u32,
    /// How many to answer: `None` is the server's default (30), `Some(0)` its maximum (200).
    pub limit: Option<u32>,
    /// Full records instead of summaries.
    pub docs: bool,
}

impl ActivationFilter {
    /// Adds the filter's query parameters (`docs` only for lists).
    fn apply(&self, mut rb: RequestBuilder, list: bool) -> RequestBuilder {
        if let Some(name) = &self.name {
            rb = rb.query(&[("name", name)]);
        }
        if let Some(since) = self.since {
            rb = rb.query(&[("since", since)]);
        }
        if let Some(upto) = self.upto {
            rb = rb.query(&[("upto", upto)]);
        }
        rb = rb.query(&[("skip", self.skip)]);
        if let Some(limit) = self.limit {
            rb = rb.query(&[("limit", limit)]);
        }
        if list && self.docs {
            rb = rb.query(&[("docs", true)]);
        }
        rb
    }
}

impl Client {
    fn activations_path(&self) -> String {
        format!("/namespaces/{}/activations", self.namespace)
    }

    fn activation_path(&self, id: &str, tail: &str) -> Result<String, ClientError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(ClientError::InvalidArgument("an activation id is needed".into()));
        }
        Ok(format!("{}/{}{tail}", self.activations_path(), escape_segment(id)))
    }

    /// `GET .../activations`: summaries (or, with `docs`, full records), newest first.
    pub async fn list_activations(&self, filter: &ActivationFilter) -> Result<Value, ClientError> {
        self.json(filter.apply(self.request(Method::GET, &self.activations_path()), true)).await
    }

    /// `GET .../activations?count=true`: how many activations match (after `skip`).
    pub async fn count_activations(&self, filter: &ActivationFilter) -> Result<u64, ClientError> {
        let rb = filter.apply(self.request(Method::GET, &self.activations_path()), false).query(&[("count", true)]);
        let body = self.json(rb).await?;
        body["activations"]
            .as_u64()
            .ok_or_else(|| ClientError::InvalidResponse(format!("expected {{\"activations\": <count>}}, got {body}")))
    }

    /// `GET .../activations/{id}`: the full record.
    pub async fn get_activation(&self, id: &str) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, &self.activation_path(id, "")?)).await
    }

    /// `GET .../activations/{id}/logs`: `{"logs": ["<timestamp> <stream>: <line>", ...]}`.
    pub async fn activation_logs(&self, id: &str) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, &self.activation_path(id, "/logs")?)).await
    }

    /// `GET .../activations/{id}/result`: `{"result", "success", "status", "size"?}`.
    pub async fn activation_result(&self, id: &str) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, &self.activation_path(id, "/result")?)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::props::Settings;

    fn client() -> Client {
        Client::new(&Settings::new("localhost:3233", "u:k")).unwrap()
    }

    #[test]
    fn filters_become_query_parameters() {
        let c = client();
        let f = ActivationFilter {
            name: Some("pkg/a b".into()),
            since: Some(5),
            upto: Some(9),
            skip: 2,
            limit: Some(0),
            docs: true,
        };
        let req = f.apply(c.request(Method::GET, &c.activations_path()), true).build().unwrap();
        assert_eq!(
            req.url().as_str(),
            "http://localhost:3233/api/v1/namespaces/_/activations?name=pkg%2Fa+b&since=5&upto=9&skip=2&limit=0&docs=true"
        );
        let req = ActivationFilter::default().apply(c.request(Method::GET, "/x"), false).build().unwrap();
        assert_eq!(req.url().query(), Some("skip=0"));
    }

    #[test]
    fn activation_ids_are_required() {
        assert!(matches!(client().activation_path(" ", ""), Err(ClientError::InvalidArgument(_))));
        assert_eq!(client().activation_path("abc", "/logs").unwrap(), "/namespaces/_/activations/abc/logs");
    }
}
