//! Lists of a namespace's collections: the namespace argument and the `skip`/`limit` page.

use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use super::path::namespace_segment;
use super::{Client, ClientError};

impl Client {
    /// `/namespaces/<ns>` for a namespace argument (`ns` or `/ns`), or for the settings'
    /// namespace when there is none.
    pub(crate) fn namespace_path(&self, namespace: Option<&str>) -> Result<String, ClientError> {
        Ok(format!("/namespaces/{}", namespace_segment(&self.namespace, namespace)?))
    }

    /// `GET <path>?skip=..&limit=..`: one page of a list. `limit` `None` is the server's default
    /// (30); `Some(0)` its maximum (200).
    pub(crate) async fn list_page(&self, path: &str, skip: u32, limit: Option<u32>) -> Result<Value, ClientError> {
        self.json(self.page_request(path, skip, limit)).await
    }

    /// The request of [`Client::list_page`].
    fn page_request(&self, path: &str, skip: u32, limit: Option<u32>) -> RequestBuilder {
        let rb = self.request(Method::GET, path).query(&[("skip", skip)]);
        match limit {
            Some(limit) => rb.query(&[("limit", limit)]),
            None => rb,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::client::Client;
    use crate::props::Settings;

    #[test]
    fn namespace_arguments_replace_the_settings_namespace() {
        let c = Client::new(&Settings::new("localhost", "u:k")).unwrap();
        assert_eq!(c.namespace_path(None).unwrap(), "/namespaces/_");
        assert_eq!(c.namespace_path(Some("/whisk.system")).unwrap(), "/namespaces/whisk.system");
        assert!(c.namespace_path(Some("/guest/pkg")).is_err());
    }

    #[test]
    fn pages_become_query_parameters() {
        let c = Client::new(&Settings::new("localhost:3233", "u:k")).unwrap();
        let req = c.page_request("/namespaces/_/packages", 2, None).build().unwrap();
        assert_eq!(req.url().as_str(), "http://localhost:3233/api/v1/namespaces/_/packages?skip=2");
        let req = c.page_request("/namespaces/_/actions/utils/", 0, Some(0)).build().unwrap();
        assert_eq!(req.url().as_str(), "http://localhost:3233/api/v1/namespaces/_/actions/utils/?skip=0&limit=0");
    }
}
