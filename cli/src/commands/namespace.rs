//! `gust namespace list`.

use anyhow::Context;

use super::Ctx;
use super::output;

/// `gust namespace ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum NamespaceCommand {
    /// List the namespaces the credential acts in.
    List,
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
    }
}
