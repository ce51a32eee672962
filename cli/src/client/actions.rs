//! Actions: create/update, get, list, delete. (Invoking is in [`super::invocation`].)

use reqwest::Method;
use serde_json::Value;

use super::path::{NameKind, entity_path, qualified_path};
use super::{Client, ClientError};

impl Client {
    /// The URL path of action `name` (`/namespaces/<ns>/actions/<name or pkg/name>`).
    pub(crate) fn action_path(&self, name: &str) -> Result<String, ClientError> {
        let p = entity_path(&self.namespace, name)?;
        Ok(format!("/namespaces/{}/actions/{}", p.namespace, p.rest))
    }

    /// `PUT .../actions/{name}?overwrite=..`: creates action `name` from an OpenWhisk action body
    /// (`exec`, `parameters`, `annotations`, `limits`, ...), or with `overwrite` updates it.
    /// Answers the stored action.
    pub async fn put_action(&self, name: &str, body: &Value, overwrite: bool) -> Result<Value, ClientError> {
        let rb = self.request(Method::PUT, &self.action_path(name)?).query(&[("overwrite", overwrite)]).json(body);
        self.json(rb).await
    }

    /// `GET .../actions/{name}?code=..`: the action, with its code only when `code` is true.
    pub async fn get_action(&self, name: &str, code: bool) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, &self.action_path(name)?).query(&[("code", code)])).await
    }

    /// `GET .../actions?skip=..&limit=..`: action summaries, newest first. `limit` `None` is the
    /// server's default (30); `Some(0)` its maximum (200).
    pub async fn list_actions(&self, skip: u32, limit: Option<u32>) -> Result<Value, ClientError> {
        self.list_actions_in(None, skip, limit).await
    }

    /// `GET /namespaces/{namespace}/actions?skip=..&limit=..`: the action summaries of
    /// `namespace` (`ns` or `/ns`; `None` for the settings' namespace), newest first, those in
    /// its packages included.
    pub async fn list_actions_in(
        &self,
        namespace: Option<&str>,
        skip: u32,
        limit: Option<u32>,
    ) -> Result<Value, ClientError> {
        self.list_page(&format!("{}/actions", self.namespace_path(namespace)?), skip, limit).await
    }

    /// `GET .../actions/{package}/?skip=..&limit=..` (with the trailing slash): the action
    /// summaries of package (or binding) `package`, `PKG` or `/NS/PKG`.
    pub async fn list_package_actions(
        &self,
        package: &str,
        skip: u32,
        limit: Option<u32>,
    ) -> Result<Value, ClientError> {
        self.list_page(&self.package_actions_path(package)?, skip, limit).await
    }

    /// `/namespaces/<ns>/actions/<package>/`.
    fn package_actions_path(&self, package: &str) -> Result<String, ClientError> {
        let p = qualified_path(&self.namespace, package, NameKind::TopLevel("package"))?;
        Ok(format!("/namespaces/{}/actions/{}/", p.namespace, p.rest))
    }

    /// `DELETE .../actions/{name}`: answers the deleted action.
    pub async fn delete_action(&self, name: &str) -> Result<Value, ClientError> {
        self.json(self.request(Method::DELETE, &self.action_path(name)?)).await
    }
}

#[cfg(test)]
mod tests {
    use crate::client::Client;
    use crate::props::Settings;

    #[test]
    fn action_paths_are_escaped_and_namespaced() {
        let c = Client::new(&Settings::new("localhost", "u:k")).unwrap();
        assert_eq!(c.action_path("say hi").unwrap(), "/namespaces/_/actions/say%20hi");
        assert_eq!(c.action_path("/guest/pkg/a").unwrap(), "/namespaces/guest/actions/pkg/a");
        assert!(c.action_path("").is_err());
    }

    #[test]
    fn package_listings_end_with_a_slash() {
        let c = Client::new(&Settings::new("localhost", "u:k")).unwrap();
        assert_eq!(c.package_actions_path("utils").unwrap(), "/namespaces/_/actions/utils/");
        assert_eq!(c.package_actions_path("/whisk.system/utils").unwrap(), "/namespaces/whisk.system/actions/utils/");
        assert!(c.package_actions_path("utils/echo").is_err());
    }
}
