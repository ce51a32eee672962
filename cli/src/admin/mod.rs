//! `gust admin`: OpenWhisk's `wskadmin` for Gust. It works on the store of a deployment
//! directly, with the server up or down: `--data-dir DIR` for a standalone's SQLite file (by
//! default the standalone's default data directory), `--config gust.toml` for the CouchDB of a
//! distributed deployment. Controllers see a change within their credential cache's lifetime
//! (5 s).

mod limits;
mod users;

use std::path::PathBuf;

use anyhow::Context;

use crate::wiring::{self, AdminStore};

pub use limits::LimitsCommand;
pub use users::{NamespaceCommand, UserCommand};

/// Where the store is, and what to do.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// A standalone's data directory [default: the standalone's default, e.g.
    /// ~/.local/share/gust].
    #[arg(long, env = "GUST_DATA_DIR", conflicts_with = "config", global = true)]
    pub data_dir: Option<PathBuf>,
    /// The configuration file of a distributed deployment (its [couchdb] section is used).
    #[arg(long, env = "GUST_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// The `gust admin` commands (wskadmin's).
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create, delete, get and list credentials.
    #[command(subcommand)]
    User(UserCommand),
    /// List the namespaces that have credentials.
    #[command(subcommand)]
    Namespace(NamespaceCommand),
    /// Set, get and delete the throttles of a namespace.
    #[command(subcommand)]
    Limits(LimitsCommand),
}

/// Runs an admin command against the store `args` name.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let target = match (&args.config, &args.data_dir) {
        (Some(c), _) => AdminStore::Couch(Box::new(crate::config::GustConfig::load(Some(c))?)),
        (None, Some(d)) => AdminStore::Sqlite(d.clone()),
        (None, None) => AdminStore::Sqlite(crate::standalone::default_data_dir()?),
    };
    let store = wiring::admin_store(&target).await.context("opening the store")?;
    let result = match args.command {
        AdminCommand::User(c) => users::run(store.subjects.as_ref(), c).await,
        AdminCommand::Namespace(c) => users::run_namespace(store.subjects.as_ref(), c).await,
        AdminCommand::Limits(c) => limits::run(store.subjects.as_ref(), c).await,
    };
    store.close().await.context("closing the store")?;
    result
}
