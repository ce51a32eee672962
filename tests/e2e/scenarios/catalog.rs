//! The whisk.system catalog: a published package of every deployment, installed at start,
//! invocable from any namespace on the Wasm path.

use gust_tests::{Deployment, annotation, new_user};
use serde_json::json;

use super::invoke;

pub(crate) async fn utils(d: &dyn Deployment) {
    let guest = d.api();
    let (alice_ns, alice) = new_user(d, "carol").await;
    for api in [&guest, &alice] {
        let r = api.get("/api/v1/namespaces/whisk.system/packages").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(r.body.as_array().into_iter().flatten().any(|p| p["name"] == "utils"), "{:?}", r.body);
        let r = api.get("/api/v1/namespaces/whisk.system/packages/utils").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["publish"], true);
        let actions: Vec<&str> =
            r.body["actions"].as_array().into_iter().flatten().filter_map(|a| a["name"].as_str()).collect();
        for want in ["echo", "cat", "head", "sort", "split", "date", "namespace", "hosturl", "smash"] {
            assert!(actions.contains(&want), "{want} in {actions:?}");
        }

        let r = invoke(api, "whisk.system", "utils/echo", &json!({"hello": "world"}), "blocking=true").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["response"]["result"], json!({"hello": "world"}));
        assert_eq!(annotation(&r.body, "kind"), Some(&json!("wasm:wasip1")));
        assert_eq!(annotation(&r.body, "path"), Some(&json!("whisk.system/utils/echo")));

        let lines = json!({"lines": ["pear", "Apple", "banana", "apple"]});
        let r = invoke(api, "whisk.system", "utils/sort", &lines, "blocking=true&result=true").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body, json!({"lines": ["Apple", "apple", "banana", "pear"], "length": 4}));
    }
    // The namespace action answers the caller's namespace: the activation is the caller's.
    let r = invoke(&alice, "whisk.system", "utils/namespace", &json!({}), "blocking=true&result=true").await;
    assert_eq!(r.body, json!({"namespace": alice_ns}), "{:?}", r.body);
    // A binding to the catalog, as wsk users make one.
    let r = super::put_package(
        &alice,
        "_",
        "myutils",
        &json!({"binding": {"namespace": "whisk.system", "name": "utils"},
        "parameters": [{"key": "separator", "value": ","}]}),
        false,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = invoke(&alice, "_", "myutils/split", &json!({"payload": "a,b,c"}), "blocking=true&result=true").await;
    assert_eq!(r.body["lines"], json!(["a", "b", "c"]), "{:?}", r.body);
    // Nobody but whisk.system writes there.
    let r = super::put_echo(&alice, "whisk.system", "utils/mine", json!({})).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
}
