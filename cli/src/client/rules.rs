//! Rules: listing and reading one (a list item has no `status`; the rule itself has it).

use reqwest::Method;
use serde_json::Value;

use super::path::{NameKind, qualified_path};
use super::{Client, ClientError};

impl Client {
    /// The URL path of rule `name` (`/namespaces/<ns>/rules/<name>`).
    pub(crate) fn rule_path(&self, name: &str) -> Result<String, ClientError> {
        let p = qualified_path(&self.namespace, name, NameKind::TopLevel("rule"))?;
        Ok(format!("/namespaces/{}/rules/{}", p.namespace, p.rest))
    }

    /// `GET /namespaces/{namespace}/rules?skip=..&limit=..`: rules of `namespace` (`ns` or `/ns`;
    /// `None` for the settings' namespace), newest first, without their `status`.
    pub async fn list_rules(
        &self,
        namespace: Option<&str>,
        skip: u32,
        limit: Option<u32>,
    ) -> Result<Value, ClientError> {
        self.list_page(&format!("{}/rules", self.namespace_path(namespace)?), skip, limit).await
    }

    /// `GET .../rules/{name}`: the rule, with its `status` (`active` or `inactive`).
    pub async fn get_rule(&self, name: &str) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, &self.rule_path(name)?)).await
    }
}

#[cfg(test)]
mod tests {
    use crate::client::Client;
    use crate::props::Settings;

    #[test]
    fn rule_paths_are_top_level() {
        let c = Client::new(&Settings::new("localhost", "u:k")).unwrap();
        assert_eq!(c.rule_path("/guest/t2a").unwrap(), "/namespaces/guest/rules/t2a");
        assert_eq!(c.rule_path("on push").unwrap(), "/namespaces/_/rules/on%20push");
        assert!(c.rule_path("pkg/r").is_err());
    }
}
