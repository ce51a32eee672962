//! Packages and package bindings: create/update, bind, get, list, delete.

use reqwest::Method;
use serde_json::{Value, json};

use super::path::{NameKind, qualified_path, split_name};
use super::{Client, ClientError};

/// How package names are read: `NAME` or `/NAMESPACE/NAME` (packages do not nest).
const PACKAGE: NameKind = NameKind::TopLevel("package");

impl Client {
    /// The URL path of package `name` (`/namespaces/<ns>/packages/<name>`).
    pub(crate) fn package_path(&self, name: &str) -> Result<String, ClientError> {
        let p = qualified_path(&self.namespace, name, PACKAGE)?;
        Ok(format!("/namespaces/{}/packages/{}", p.namespace, p.rest))
    }

    /// `PUT .../packages/{name}?overwrite=..`: creates package `name` from an OpenWhisk package
    /// body (`parameters`, `annotations`, `publish`, `binding`, ...), or with `overwrite` updates
    /// it. Answers the stored package.
    pub async fn put_package(&self, name: &str, body: &Value, overwrite: bool) -> Result<Value, ClientError> {
        let rb = self.request(Method::PUT, &self.package_path(name)?).query(&[("overwrite", overwrite)]).json(body);
        self.json(rb).await
    }

    /// Creates (or with `overwrite` updates) binding `binding` of package `package` (`PKG`, in
    /// the settings' namespace, or `/NS/PKG`): [`Client::put_package`] with `body` (parameters,
    /// annotations, ...) and its `binding` set.
    pub async fn bind_package(
        &self,
        binding: &str,
        package: &str,
        body: &Value,
        overwrite: bool,
    ) -> Result<Value, ClientError> {
        let mut body = match body {
            Value::Object(m) => m.clone(),
            Value::Null => serde_json::Map::new(),
            other => return Err(ClientError::InvalidArgument(format!("a binding's body must be an object: {other}"))),
        };
        body.insert("binding".into(), self.binding_of(package)?);
        self.put_package(binding, &Value::Object(body), overwrite).await
    }

    /// The `binding` field naming package `package`: `{"namespace", "name"}`, the namespace
    /// unescaped (`_`, the caller's own, unless `package` or the settings name one).
    pub(crate) fn binding_of(&self, package: &str) -> Result<Value, ClientError> {
        let split = split_name(package, PACKAGE)?;
        let namespace = split.namespace.unwrap_or(&self.namespace_name);
        Ok(json!({"namespace": namespace, "name": split.parts[0]}))
    }

    /// `GET .../packages/{name}`: the package (or binding) with its `actions` and `feeds`.
    pub async fn get_package(&self, name: &str) -> Result<Value, ClientError> {
        self.json(self.request(Method::GET, &self.package_path(name)?)).await
    }

    /// `GET /namespaces/{namespace}/packages?skip=..&limit=..`: package summaries of `namespace`
    /// (`ns` or `/ns`; `None` for the settings' namespace), newest first; each has `binding`
    /// `false` or `{"namespace", "name"}`. Another namespace answers only its shared packages.
    pub async fn list_packages(
        &self,
        namespace: Option<&str>,
        skip: u32,
        limit: Option<u32>,
    ) -> Result<Value, ClientError> {
        self.list_page(&format!("{}/packages", self.namespace_path(namespace)?), skip, limit).await
    }

    /// `DELETE .../packages/{name}[?force=true]`: answers the deleted package. A package that
    /// still holds actions is refused (409) unless `force`, which deletes them first.
    pub async fn delete_package(&self, name: &str, force: bool) -> Result<Value, ClientError> {
        let mut rb = self.request(Method::DELETE, &self.package_path(name)?);
        if force {
            rb = rb.query(&[("force", true)]);
        }
        self.json(rb).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::client::{Client, ClientError};
    use crate::props::Settings;

    fn client(namespace: Option<&str>) -> Client {
        let mut settings = Settings::new("localhost", "u:k");
        settings.namespace = namespace.map(str::to_owned);
        Client::new(&settings).unwrap()
    }

    #[test]
    fn package_paths_are_escaped_and_do_not_nest() {
        let c = client(None);
        assert_eq!(c.package_path("my pkg").unwrap(), "/namespaces/_/packages/my%20pkg");
        assert_eq!(c.package_path("/whisk.system/utils").unwrap(), "/namespaces/whisk.system/packages/utils");
        assert!(matches!(c.package_path("a/b"), Err(ClientError::InvalidArgument(m)) if m.contains("package name")));
    }

    #[test]
    fn bindings_name_the_bound_package_unescaped() {
        assert_eq!(
            client(None).binding_of("/whisk.system/utils").unwrap(),
            json!({"namespace": "whisk.system", "name": "utils"})
        );
        assert_eq!(client(None).binding_of("my pkg").unwrap(), json!({"namespace": "_", "name": "my pkg"}));
        assert_eq!(client(Some("my team")).binding_of("p").unwrap(), json!({"namespace": "my team", "name": "p"}));
        assert!(client(None).binding_of("/whisk.system").is_err());
    }
}
