//! Namespaces.

use reqwest::Method;
use serde_json::Value;

use super::{Client, ClientError};

impl Client {
    /// `GET /namespaces`: the namespaces of the credential (a JSON array of names).
    pub async fn namespaces(&self) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, "/namespaces")).await
    }
}
