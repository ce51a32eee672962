//! The client commands (placeholder until the wsk-shaped commands land).

/// Flags shared by every command.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// More log output.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// The client commands.
#[derive(Debug, clap::Subcommand)]
pub enum ClientCommand {
    /// Namespaces.
    Namespace,
}

/// Runs a client command.
pub async fn run(_cmd: ClientCommand, _global: &GlobalArgs) -> anyhow::Result<()> {
    anyhow::bail!("not available yet")
}
