//! `gust action invoke`.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::Ctx;
use super::output;
use super::params::ParamArgs;

/// `gust action invoke NAME [-p KEY VALUE]... [-P FILE] [-b] [-r] [--wait MS]`.
#[derive(Debug, Clone, clap::Args)]
pub struct InvokeArgs {
    /// The action: NAME, PACKAGE/NAME or /NAMESPACE/[PACKAGE/]NAME.
    pub name: String,
    /// Parameters of this invocation (over the action's defaults).
    #[command(flatten)]
    pub params: ParamArgs,
    /// Wait for the activation to finish and print its record.
    #[arg(short, long)]
    pub blocking: bool,
    /// Wait for the activation to finish and print only its result (implies --blocking).
    #[arg(short, long)]
    pub result: bool,
    /// How long to wait for a blocking invocation, in milliseconds, 1 to 60000 [server
    /// default: 60000] (implies --blocking). Past it, the id is printed and the activation
    /// goes on.
    #[arg(long, value_name = "MS")]
    pub wait: Option<u64>,
}

/// Runs `gust action invoke`.
pub(crate) async fn run(ctx: &Ctx, a: InvokeArgs) -> anyhow::Result<()> {
    let params = Value::Object(a.params.object()?);
    let blocking = a.blocking || a.result || a.wait.is_some();
    // The whole record is asked for even with --result: it says how a failure failed.
    let inv = ctx
        .client
        .invoke(&a.name, &params, blocking, false, a.wait)
        .await
        .with_context(|| format!("Unable to invoke action '{}'", a.name))?;
    let id = inv.activation_id.clone().unwrap_or_else(|| "<unknown>".into());
    let shown = ctx.qualified(&a.name);
    if !inv.finished() {
        if ctx.json {
            output::json(&inv.body);
        } else if blocking {
            output::line(format_args!("ok: invoked {shown}, but the request has not yet finished, with id {id}"));
        } else {
            output::line(format_args!("ok: invoked {shown} with id {id}"));
        }
        return Ok(());
    }
    let printed = if a.result { result_of(&inv.body) } else { inv.body.clone() };
    if !ctx.json && !a.result {
        output::line(format_args!("ok: invoked {shown} with id {id}"));
    }
    output::json(&printed);
    if inv.failed() {
        bail!("the action failed: {}", failure(&inv.body));
    }
    Ok(())
}

/// The result in a blocking invocation's body: `response.result` of the record (an array
/// result comes bare).
fn result_of(body: &Value) -> Value {
    match body {
        Value::Array(_) => body.clone(),
        _ => body["response"].get("result").cloned().unwrap_or_else(|| json!({})),
    }
}

/// `<status>: <error>` of a failed activation record.
fn failure(record: &Value) -> String {
    let status = record["response"]["status"].as_str().unwrap_or("application error");
    let message = match &record["response"]["result"]["error"] {
        Value::String(s) => s.clone(),
        Value::Null => "no error message".into(),
        other => other.to_string(),
    };
    format!("{status}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_from_the_record_or_bare() {
        assert_eq!(result_of(&json!({"response": {"result": {"a": 1}}})), json!({"a": 1}));
        assert_eq!(result_of(&json!([1, 2])), json!([1, 2]));
        assert_eq!(result_of(&json!({"response": {}})), json!({}));
    }

    #[test]
    fn failures_name_the_status_and_the_error() {
        let record = json!({"response": {"status": "action developer error", "result": {"error": "boom"}}});
        assert_eq!(failure(&record), "action developer error: boom");
        let structured = json!({"response": {"status": "application error", "result": {"error": {"code": 7}}}});
        assert_eq!(failure(&structured), r#"application error: {"code":7}"#);
        assert_eq!(failure(&json!({})), "application error: no error message");
    }
}
