//! Sequences and conductor compositions: created, refused, invoked blocking and not, with the
//! records OpenWhisk writes for them (the chain's own, listing its steps, and one per step,
//! each with `cause`).

use std::time::Duration;

use gust_tests::{Api, Deployment, annotation, new_user, random_lower};
use reqwest::Method;
use serde_json::{Value, json};

use super::{put_package, refused};

/// `v` as a string (panics, saying what it is, when it is not one).
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// `PUT` of sequence `name` in `_` with `components`, as OpenWhisk's clients send it.
async fn put_sequence(api: &Api, name: &str, components: &[String], overwrite: bool) -> gust_tests::Resp {
    api.put_action(name, &json!({"exec": {"kind": "sequence", "components": components}}), overwrite).await
}

/// `/_/<name>` for each name.
fn qualified(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("/_/{n}")).collect()
}

/// The record of activation `id`.
async fn record(api: &Api, id: &str) -> Value {
    api.await_record(id, Duration::from_secs(60)).await
}

/// The component ids a chain's record lists.
fn steps(record: &Value) -> Vec<String> {
    record["logs"]
        .as_array()
        .unwrap_or_else(|| panic!("no logs: {record}"))
        .iter()
        .map(|l| l.to_string().replace('"', ""))
        .collect()
}

/// Checks the chain record `seq` and its steps' records: kind, topmost, cause, and that its
/// duration is the sum of theirs; returns the steps' records.
async fn check_chain(api: &Api, seq: &Value, topmost: bool) -> Vec<Value> {
    assert_eq!(annotation(seq, "kind"), Some(&json!("sequence")), "{seq}");
    assert_eq!(annotation(seq, "topmost"), Some(&json!(topmost)), "{seq}");
    assert!(annotation(seq, "limits").is_some_and(|l| l["memory"].is_u64()), "{seq}");
    let id = text(&seq["activationId"]);
    let mut sum = 0;
    let mut records = vec![];
    for step in steps(seq) {
        let r = record(api, &step).await;
        assert_eq!(r["cause"], json!(id), "step {step} of {id}: {r}");
        assert_eq!(annotation(&r, "causedBy"), Some(&json!("sequence")), "{r}");
        sum += r["duration"].as_u64().unwrap_or_else(|| panic!("no duration: {r}"));
        records.push(r);
    }
    assert_eq!(seq["duration"].as_u64(), Some(sum), "the chain's duration is the sum of its steps': {seq}");
    records
}

/// Sequences on one deployment: everything but the fused-versus-driven comparison.
pub(crate) async fn sequences(d: &dyn Deployment) {
    let api = d.api();
    let ns = text(&api.get("/api/v1/namespaces").await.body[0]).to_owned();
    let p = random_lower(6);
    let (a, b, fail) = (format!("{p}-a"), format!("{p}-b"), format!("{p}-fail"));
    api.create_wasm(&a, "echo", json!({"limits": {"memory": 128}})).await;
    api.create_wasm(&b, "echo", json!({"parameters": [{"key": "b", "value": 2}], "limits": {"memory": 192}})).await;
    api.create_wasm(&fail, "fail", json!({})).await;

    // Created with `_` resolved to the caller's namespace.
    let seq = format!("{p}-seq");
    let r = put_sequence(&api, &seq, &qualified(&[&a, &b]), false).await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    assert_eq!(r.body["exec"], json!({"kind": "sequence", "components": [format!("/{ns}/{a}"), format!("/{ns}/{b}")]}));
    assert_eq!(annotation(&r.body, "exec"), Some(&json!("sequence")));

    // Blocking: the last component's result; the record lists both steps.
    let r = api.invoke(&seq, "blocking=true", &json!({"x": 1})).await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["result"], json!({"x": 1, "b": 2}));
    let id = text(&r.body["activationId"]).to_owned();
    let seq_record = record(&api, &id).await;
    assert_eq!(steps(&seq_record).len(), 2);
    let parts = check_chain(&api, &seq_record, true).await;
    assert_eq!(parts[0]["name"], json!(a));
    assert_eq!(
        annotation(&seq_record, "limits").map(|l| &l["memory"]),
        Some(&json!(192)),
        "the largest component memory"
    );
    assert_eq!(seq_record["cause"], Value::Null, "a topmost chain has no cause");

    // Non-blocking: 202, then the same records.
    let r = api.invoke(&seq, "blocking=false", &json!({"x": 3})).await;
    assert_eq!(r.status.as_u16(), 202, "{:?}", r.body);
    let rec = record(&api, text(&r.body["activationId"])).await;
    assert_eq!(rec["response"]["result"], json!({"x": 3, "b": 2}));
    check_chain(&api, &rec, true).await;

    // Blocking past its wait: 202 with the id, and the chain goes on to its record.
    let nap = format!("{p}-nap");
    let naps = format!("{p}-naps");
    api.create_wasm(&nap, "sleep", json!({"parameters": [{"key": "ms", "value": 400}]})).await;
    assert_eq!(put_sequence(&api, &naps, &qualified(&[&nap, &nap]), false).await.status.as_u16(), 200);
    let r = api.invoke(&naps, "blocking=true&timeout=100", &json!({})).await;
    assert_eq!(r.status.as_u16(), 202, "{:?}", r.body);
    let late = record(&api, text(&r.body["activationId"])).await;
    assert_eq!(late["response"]["result"], json!({"slept": 400}));
    assert_eq!(check_chain(&api, &late, true).await.len(), 2);

    // The first error stops the chain and is its response.
    let broken = format!("{p}-broken");
    assert_eq!(put_sequence(&api, &broken, &qualified(&[&a, &fail, &b]), false).await.status.as_u16(), 200);
    let r = api.invoke(&broken, "blocking=true", &json!({"reason": "r"})).await;
    assert_eq!(r.status.as_u16(), 502, "{:?}", r.body);
    assert_eq!(r.body["response"]["result"], json!({"error": "boom: r"}));
    assert_eq!(steps(&r.body).len(), 2, "the third component never runs: {:?}", r.body);

    // A nested sequence: its own record, caused by the outer one.
    let outer = format!("{p}-outer");
    assert_eq!(put_sequence(&api, &outer, &qualified(&[&seq, &a]), false).await.status.as_u16(), 200);
    let r = api.invoke(&outer, "blocking=true&result=true", &json!({"y": 1})).await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    assert_eq!(r.body, json!({"y": 1, "b": 2}));
    let id = r.headers.get("x-openwhisk-activation-id").and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned();
    let outer_record = record(&api, &id).await;
    let parts = check_chain(&api, &outer_record, true).await;
    check_chain(&api, &parts[0], false).await;

    // Refusals on create, with OpenWhisk's messages.
    let bad = format!("{p}-bad");
    refused(&put_sequence(&api, &bad, &[], false).await, 400, "No component specified for the sequence.");
    refused(
        &put_sequence(&api, &bad, &qualified(&[&format!("{p}-nothing")]), false).await,
        400,
        "Sequence component does not exist.",
    );
    let too_many: Vec<String> = (0..51).map(|_| format!("/_/{a}")).collect();
    refused(&put_sequence(&api, &bad, &too_many, false).await, 400, "Too many actions in the sequence.");
    let thirty: Vec<String> = (0..30).map(|_| format!("/_/{a}")).collect();
    let big = format!("{p}-big");
    assert_eq!(put_sequence(&api, &big, &thirty, false).await.status.as_u16(), 200);
    refused(
        &put_sequence(&api, &bad, &qualified(&[&big, &big]), false).await,
        400,
        "Too many actions in the sequence.",
    );
    // A cycle through a nested sequence, and directly.
    refused(&put_sequence(&api, &seq, &qualified(&[&seq]), true).await, 400, "Sequence may not refer to itself.");
    refused(&put_sequence(&api, &seq, &qualified(&[&outer]), true).await, 400, "Sequence may not refer to itself.");
    refused(
        &api.put_action(&bad, &json!({"exec": {"kind": "sequence", "components": ["x"]}}), false).await,
        400,
        "The request content was malformed:\n'x' is not a fully qualified action name (/namespace/[package/]name).",
    );
    assert_eq!(api.get(&format!("/api/v1/namespaces/_/actions/{bad}")).await.status.as_u16(), 404, "nothing written");

    // A component deleted after create: an application error at run time.
    let gone = format!("{p}-gone");
    let loose = format!("{p}-loose");
    api.create_wasm(&gone, "echo", json!({})).await;
    assert_eq!(put_sequence(&api, &loose, &qualified(&[&gone]), false).await.status.as_u16(), 200);
    api.json(Method::DELETE, &format!("/api/v1/namespaces/_/actions/{gone}"), None).await;
    let r = api.invoke(&loose, "blocking=true", &json!({})).await;
    assert_eq!(r.status.as_u16(), 502, "{:?}", r.body);
    assert_eq!(r.body["response"]["status"], "application error");
    assert_eq!(r.body["response"]["result"], json!({"error": "Sequence component does not exist."}));

    // Entitlement on every component: reading at create, invoking at invoke.
    let (_, other) = new_user(d, "seqs").await;
    let private = put_sequence(&other, &bad, &[format!("/{ns}/{a}")], false).await;
    refused(&private, 403, &format!("The supplied authentication is not authorized to access '{ns}/{a}'."));
    let shared = format!("{p}-shared");
    let r = put_package(&api, &ns, &shared, &json!({"publish": true}), false).await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    let r = api
        .put_action(
            &format!("{shared}/echo"),
            &json!({"exec": {"kind": "wasm:wasip1", "code": gust_tests::wasm_b64("echo")}}),
            false,
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    let theirs = format!("{p}-theirs");
    let r = put_sequence(&other, &theirs, &[format!("/{ns}/{shared}/echo")], false).await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    let r = other.invoke(&theirs, "blocking=true&result=true", &json!({"z": 1})).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"z": 1})));
    assert_eq!(put_package(&api, &ns, &shared, &json!({"publish": false}), true).await.status.as_u16(), 200);
    let refusal = loop {
        // Other controllers may serve the package from their cache for a few seconds.
        let r = other.invoke(&theirs, "blocking=true", &json!({})).await;
        if r.status.as_u16() == 403 {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    refused(&refusal, 403, &format!("The supplied authentication is not authorized to access '{ns}/{shared}/echo'."));
}

/// Conductor compositions, with the `conductor` test action running the plan it is given.
pub(crate) async fn compositions(d: &dyn Deployment) {
    let api = d.api();
    let ns = text(&api.get("/api/v1/namespaces").await.body[0]).to_owned();
    let p = random_lower(6);
    let (a, b) = (format!("{p}-a"), format!("{p}-b"));
    api.create_wasm(&a, "echo", json!({})).await;
    api.create_wasm(&b, "echo", json!({"parameters": [{"key": "b", "value": 2}]})).await;
    let conductor = |plan: Vec<String>| json!({"parameters": [{"key": "plan", "value": plan}], "annotations": [{"key": "conductor", "value": true}]});
    let comp = format!("{p}-comp");
    api.create_wasm(&comp, "conductor", conductor(vec![format!("/_/{a}"), b.clone()])).await;

    let r = api.invoke(&comp, "blocking=true", &json!({"x": 1})).await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["result"], json!({"x": 1, "b": 2}));
    let primary = record(&api, text(&r.body["activationId"])).await;
    assert_eq!(annotation(&primary, "conductor"), Some(&json!(true)));
    let parts = check_chain(&api, &primary, true).await;
    let names: Vec<&str> = parts.iter().map(|r| text(&r["name"])).collect();
    assert_eq!(names, [comp.as_str(), a.as_str(), comp.as_str(), b.as_str(), comp.as_str()]);

    // Non-blocking, the same five steps.
    let r = api.invoke(&comp, "blocking=false", &json!({"x": 2})).await;
    assert_eq!(r.status.as_u16(), 202, "{:?}", r.body);
    let rec = record(&api, text(&r.body["activationId"])).await;
    assert_eq!(rec["response"]["result"], json!({"x": 2, "b": 2}));
    assert_eq!(check_chain(&api, &rec, true).await.len(), 5);

    // A missing action: the conductor is told, and here ends with that error.
    let lost = format!("{p}-lost");
    api.create_wasm(&lost, "conductor", conductor(vec![format!("/_/{p}-nothing")])).await;
    let r = api.invoke(&lost, "blocking=true", &json!({})).await;
    assert_eq!(r.status.as_u16(), 502, "{:?}", r.body);
    assert_eq!(
        r.body["response"]["result"],
        json!({"error": format!("Failed to resolve action with name '{ns}/{p}-nothing' during composition.")})
    );
    assert_eq!(steps(&r.body).len(), 2, "{:?}", r.body);

    // OpenWhisk's limit: the 51st component is not run, the conductor is told instead.
    let long = format!("{p}-long");
    api.create_wasm(&long, "conductor", conductor(vec![format!("/_/{a}"); 51])).await;
    let r = api.invoke(&long, "blocking=true", &json!({})).await;
    assert_eq!(r.status.as_u16(), 502, "{:?}", r.body);
    assert_eq!(r.body["response"]["result"], json!({"error": "Too many actions in the composition."}));
    assert_eq!(steps(&r.body).len(), 50 + 52, "50 components and 52 conductor activations: {:?}", r.body);

    // A composition as a sequence component.
    let mixed = format!("{p}-mixed");
    assert_eq!(put_sequence(&api, &mixed, &qualified(&[&comp, &a]), false).await.status.as_u16(), 200);
    let r = api.invoke(&mixed, "blocking=true&result=true", &json!({"m": 1})).await;
    assert_eq!((r.status.as_u16(), &r.body), (200, &json!({"m": 1, "b": 2})));
}
