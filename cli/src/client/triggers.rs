//! Triggers: listing (what `gust namespace get` shows).

use serde_json::Value;

use super::{Client, ClientError};

impl Client {
    /// `GET /namespaces/{namespace}/triggers?skip=..&limit=..`: trigger summaries of `namespace`
    /// (`ns` or `/ns`; `None` for the settings' namespace), newest first.
    pub async fn list_triggers(
        &self,
        namespace: Option<&str>,
        skip: u32,
        limit: Option<u32>,
    ) -> Result<Value, ClientError> {
        self.list_page(&format!("{}/triggers", self.namespace_path(namespace)?), skip, limit).await
    }
}
