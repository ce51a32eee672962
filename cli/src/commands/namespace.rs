//! `gust namespace list|get` and `gust list`.

use anyhow::Context;
use serde_json::{Value, json};

use super::Ctx;
use super::listing::{self, Collection};
use super::output;

/// `gust namespace ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum NamespaceCommand {
    /// List the namespaces the credential acts in.
    List,
    /// List the entities of a namespace: its packages, actions, triggers and rules.
    ///
    /// The same as `gust list`: "Entities in namespace: NS", then each collection's name and
    /// one line per entity (up to 200 of each). With --json: {"packages": [...], "actions":
    /// [...], "triggers": [...], "rules": [...]}, each rule with the status its GET answers.
    Get(EntitiesArgs),
}

/// `gust namespace get [NAMESPACE]` and `gust list [NAMESPACE]`.
#[derive(Debug, Clone, clap::Args)]
pub struct EntitiesArgs {
    /// The namespace, /NAMESPACE [default: the credential's own].
    pub namespace: Option<String>,
    /// Sort each collection by name.
    #[arg(short = 'n', long)]
    pub name_sort: bool,
}

/// Runs `gust namespace ...`.
pub(crate) async fn run(ctx: &Ctx, cmd: NamespaceCommand) -> anyhow::Result<()> {
    match cmd {
        NamespaceCommand::List => {
            let namespaces = ctx.client.namespaces().await.context("Unable to list namespaces")?;
            if ctx.json {
                output::json(&namespaces);
            } else {
                output::line("namespaces");
                for ns in namespaces.as_array().map(Vec::as_slice).unwrap_or_default() {
                    output::line(ns.as_str().map_or_else(|| ns.to_string(), str::to_owned));
                }
            }
            Ok(())
        }
        NamespaceCommand::Get(a) => entities(ctx, &a).await,
    }
}

/// Runs `gust namespace get` / `gust list`: each of the four collections, up to the server's
/// maximum (`limit=0`) like `wsk`, and each rule's status (a list has none, the rule has it).
/// With `--json`: `{"packages": [...], "actions": [...], "triggers": [...], "rules": [...]}`,
/// the rules with their `status`.
pub(crate) async fn entities(ctx: &Ctx, a: &EntitiesArgs) -> anyhow::Result<()> {
    let ns = a.namespace.as_deref();
    let shown = ctx.shown_namespace(ns);
    let c = &ctx.client;
    let (actions, packages, triggers, rules) = tokio::try_join!(
        c.list_actions_in(ns, 0, Some(0)),
        c.list_packages(ns, 0, Some(0)),
        c.list_triggers(ns, 0, Some(0)),
        c.list_rules(ns, 0, Some(0)),
    )
    .with_context(|| format!("Unable to obtain the list of entities for namespace '{shown}'"))?;
    let rules = with_status(ctx, rules).await?;
    if ctx.json {
        output::json(&json!({"packages": packages, "actions": actions, "triggers": triggers, "rules": rules}));
        return Ok(());
    }
    output::line(format_args!("Entities in namespace: {shown}"));
    for (collection, items) in [
        (Collection::Packages, &packages),
        (Collection::Actions, &actions),
        (Collection::Triggers, &triggers),
        (Collection::Rules, &rules),
    ] {
        output::line(listing::section(collection, items, a.name_sort));
    }
    Ok(())
}

/// The rules of a list, each with the `status` its GET answers.
async fn with_status(ctx: &Ctx, rules: Value) -> anyhow::Result<Value> {
    let Value::Array(mut items) = rules else { return Ok(rules) };
    for rule in &mut items {
        let name = rule["name"].as_str().unwrap_or_default().to_owned();
        let qualified = format!("/{}/{name}", rule["namespace"].as_str().unwrap_or_default());
        let got =
            ctx.client.get_rule(&qualified).await.with_context(|| format!("Unable to get status of rule '{name}'"))?;
        rule["status"] = got["status"].clone();
    }
    Ok(Value::Array(items))
}
