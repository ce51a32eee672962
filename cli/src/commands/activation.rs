//! `gust activation list|get|logs|result`.

use anyhow::{Context, anyhow};
use serde_json::Value;

use super::Ctx;
use super::components::{self, Composite};
use super::localtime::Zone;
use super::output::{self, annotation};
use crate::client::ActivationFilter;

/// `gust activation ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ActivationCommand {
    /// List activations, newest first.
    List(ActivationListArgs),
    /// Show an activation's record; for a sequence (or conductor composition), then one line
    /// per component: its activation id, action, status and duration. With --json, only the
    /// record, as the server sent it.
    Get(Which),
    /// Print an activation's log lines.
    Logs(LogsArgs),
    /// Print an activation's result.
    Result(Which),
}

/// `gust activation list [NAME] [flags]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ActivationListArgs {
    /// Only the activations of this action (NAME or PACKAGE/NAME).
    pub name: Option<String>,
    /// How many activations to list (0 for the server's maximum, 200) [server default: 30].
    #[arg(short = 'l', long, value_name = "N")]
    pub limit: Option<u32>,
    /// How many of the newest activations to skip.
    #[arg(short = 's', long, value_name = "N", default_value_t = 0)]
    pub skip: u32,
    /// Only activations that started at or after this time, in epoch milliseconds.
    #[arg(long, value_name = "MS")]
    pub since: Option<u64>,
    /// Only activations that started at or before this time, in epoch milliseconds.
    #[arg(long, value_name = "MS")]
    pub upto: Option<u64>,
}

/// Which activation: an id, or `--last`.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Which {
    /// The activation id (32 hexadecimal characters).
    pub id: Option<String>,
    /// The newest activation instead of an id.
    #[arg(short = 'l', long)]
    pub last: bool,
}

/// `gust activation logs ID|--last [--strip]`.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// Which activation.
    #[command(flatten)]
    pub which: Which,
    /// Print only each line's text, without its timestamp and stream.
    #[arg(short = 'r', long)]
    pub strip: bool,
}

/// Runs `gust activation ...`.
pub(crate) async fn run(ctx: &Ctx, cmd: ActivationCommand) -> anyhow::Result<()> {
    match cmd {
        ActivationCommand::List(a) => list(ctx, a).await,
        ActivationCommand::Get(w) => {
            let id = resolve(ctx, &w).await?;
            let record =
                ctx.client.get_activation(&id).await.with_context(|| format!("Unable to get activation '{id}'"))?;
            if ctx.json {
                output::json(&record);
                return Ok(());
            }
            output::line(format_args!("ok: got activation {id}"));
            output::json(&record);
            if let Some(kind) = Composite::of(&record) {
                let components = components::fetch(&ctx.client, components::component_ids(&record)).await;
                output::line(components::listing(kind, &components));
            }
            Ok(())
        }
        ActivationCommand::Logs(a) => {
            let id = resolve(ctx, &a.which).await?;
            let logs = ctx
                .client
                .activation_logs(&id)
                .await
                .with_context(|| format!("Unable to get the logs of activation '{id}'"))?;
            if ctx.json {
                output::json(&logs);
                return Ok(());
            }
            for line in logs["logs"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let text = line.as_str().map_or_else(|| line.to_string(), str::to_owned);
                output::line(if a.strip { output::strip_log_line(&text) } else { &text });
            }
            Ok(())
        }
        ActivationCommand::Result(w) => {
            let id = resolve(ctx, &w).await?;
            let response = ctx
                .client
                .activation_result(&id)
                .await
                .with_context(|| format!("Unable to get the result of activation '{id}'"))?;
            output::json(if ctx.json { &response } else { &response["result"] });
            Ok(())
        }
    }
}

/// The id a [`Which`] names: as given, or the newest activation's.
async fn resolve(ctx: &Ctx, which: &Which) -> anyhow::Result<String> {
    if let Some(id) = &which.id {
        return Ok(id.clone());
    }
    let filter = ActivationFilter { limit: Some(1), ..ActivationFilter::default() };
    let newest = ctx.client.list_activations(&filter).await.context("Unable to find the last activation")?;
    newest[0]["activationId"].as_str().map(str::to_owned).ok_or_else(|| anyhow!("there are no activations yet"))
}

async fn list(ctx: &Ctx, a: ActivationListArgs) -> anyhow::Result<()> {
    let filter =
        ActivationFilter { name: a.name, since: a.since, upto: a.upto, skip: a.skip, limit: a.limit, docs: false };
    let activations = ctx.client.list_activations(&filter).await.context("Unable to list activations")?;
    if ctx.json {
        output::json(&activations);
    } else {
        let rows = activation_rows(&activations, &Zone::system());
        output::line(output::table(&["START", "ACTIVATION ID", "STATUS", "DURATION", "NAME"], &rows));
    }
    Ok(())
}

/// One table row per activation summary: local start time, id, status, duration, name.
fn activation_rows(activations: &Value, zone: &Zone) -> Vec<Vec<String>> {
    activations
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let start = a["start"].as_u64().map_or_else(|| "-".to_owned(), |ms| zone.format_ms(ms));
            vec![
                start,
                a["activationId"].as_str().unwrap_or_default().to_owned(),
                output::activation_status(a),
                output::duration_text(a["duration"].as_u64()),
                entity_name(a),
            ]
        })
        .collect()
}

/// `name`, or `pkg/name` when the `path` annotation has a package.
fn entity_name(a: &Value) -> String {
    let name = a["name"].as_str().unwrap_or_default();
    match annotation(a, "path").and_then(Value::as_str).map(|p| p.split('/').collect::<Vec<_>>()) {
        Some(parts) if parts.len() == 3 => format!("{}/{}", parts[1], parts[2]),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_show_start_id_status_duration_and_name() {
        let list = json!([
            {"name": "hello", "activationId": "a1", "start": 1_493_327_653_767u64, "duration": 2, "statusCode": 0,
             "annotations": [{"key": "path", "value": "guest/hello"}]},
            {"name": "x", "activationId": "a2", "start": 0, "statusCode": 2,
             "annotations": [{"key": "path", "value": "guest/pkg/x"}]},
        ]);
        assert_eq!(
            activation_rows(&list, &Zone::UTC),
            vec![
                ["2017-04-27 21:14:13", "a1", "success", "2ms", "hello"].map(String::from).to_vec(),
                ["1970-01-01 00:00:00", "a2", "developer error", "-", "pkg/x"].map(String::from).to_vec(),
            ]
        );
    }

    #[test]
    fn full_records_show_their_status_words() {
        let docs = json!([{"name": "n", "activationId": "a", "start": 0, "duration": 1500,
                            "response": {"status": "application error"}}]);
        let rows = activation_rows(&docs, &Zone::UTC);
        assert_eq!((rows[0][2].as_str(), rows[0][3].as_str()), ("application error", "1.50s"));
    }
}
