//! The OpenWhisk entity surface end to end, written once and run on both shapes of Gust:
//! each scenario is a test of its own on `gust standalone`, and all of them run in turn on
//! one distributed deployment (controllers and invokers on Kafka, CouchDB and Consul).
//! Scenarios use names of their own, so they do not meet.

mod bindings;
mod catalog;
mod chains;
mod keys;
mod packages;
mod sharing;
mod throttles;

use gust_tests::cluster::Cluster;
use gust_tests::{Api, Deployment, Gust, Resp};
use reqwest::Method;
use serde_json::Value;

/// `PUT .../packages/{name}?overwrite=`.
pub(crate) async fn put_package(api: &Api, ns: &str, name: &str, body: &Value, overwrite: bool) -> Resp {
    let path = format!("/api/v1/namespaces/{ns}/packages/{name}?overwrite={overwrite}");
    api.json(Method::PUT, &path, Some(body)).await
}

/// `PUT .../actions/{name}` of the SDK's `echo` (it answers its parameters).
pub(crate) async fn put_echo(api: &Api, ns: &str, name: &str, extra: Value) -> Resp {
    let mut body = serde_json::json!({"exec": {"kind": "wasm:wasip1", "code": gust_tests::wasm_b64("echo")}});
    if let (Some(b), Value::Object(x)) = (body.as_object_mut(), extra) {
        b.extend(x);
    }
    api.json(Method::PUT, &format!("/api/v1/namespaces/{ns}/actions/{name}"), Some(&body)).await
}

/// A blocking invoke of `/{ns}/{name}` with `params`.
pub(crate) async fn invoke(api: &Api, ns: &str, name: &str, params: &Value, query: &str) -> Resp {
    api.json(Method::POST, &format!("/api/v1/namespaces/{ns}/actions/{name}?{query}"), Some(params)).await
}

/// Asserts status and error message of `r`.
#[track_caller]
pub(crate) fn refused(r: &Resp, status: u16, message: &str) {
    assert_eq!(r.status.as_u16(), status, "{:?}", r.body);
    assert_eq!(r.error(), message, "{:?}", r.body);
    assert!(r.body["code"].is_string(), "every error carries a code: {:?}", r.body);
}

macro_rules! on_standalone {
    ($($name:ident => $scenario:path),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let g = Gust::start().await;
                $scenario(&g as &dyn Deployment).await;
            }
        )*

        /// Every scenario, in turn, on one distributed deployment.
        #[tokio::test]
        async fn every_scenario_passes_on_the_distributed_roles() {
            let c = Cluster::start(1, 1, "").await;
            $(
                eprintln!("distributed: {}", stringify!($scenario));
                $scenario(&c as &dyn Deployment).await;
            )*
        }
    };
}

on_standalone! {
    packages_are_created_read_listed_updated_and_deleted => packages::crud,
    actions_live_in_packages_and_get_their_parameters => packages::actions_inside,
    a_package_with_actions_is_deleted_only_with_force => packages::delete_needs_force,
    bindings_merge_parameters_and_refuse_what_openwhisk_refuses => bindings::bindings,
    published_packages_are_shared_and_nothing_else_is => sharing::sharing,
    the_catalog_is_invocable_from_any_namespace => catalog::utils,
    each_throttle_answers_429 => throttles::throttles,
    a_revoked_key_stops_working_within_the_stated_time => keys::revoked,
    sequences_chain_their_components_and_refuse_what_openwhisk_refuses => chains::sequences,
    conductor_actions_run_the_components_they_name => chains::compositions,
}
