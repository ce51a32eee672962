//! `gust admin limits ...`: the throttles of a namespace (OpenWhisk's names and flags).

use anyhow::bail;
use gust_core::names;
use gust_core::store::SubjectStore;
use gust_core::user_limits::UserLimits;

/// `gust admin limits ...`.
#[derive(Debug, clap::Subcommand)]
pub enum LimitsCommand {
    /// Set a namespace's limits (the ones given; the others keep their value).
    Set {
        /// The namespace.
        namespace: String,
        /// Invocations started per minute.
        #[arg(long = "invocationsPerMinute", value_name = "N")]
        invocations_per_minute: Option<u32>,
        /// Invocations in flight at once.
        #[arg(long = "concurrentInvocations", value_name = "N")]
        concurrent_invocations: Option<u32>,
        /// Trigger fires per minute.
        #[arg(long = "firesPerMinute", value_name = "N")]
        fires_per_minute: Option<u32>,
    },
    /// Show a namespace's limits.
    Get {
        /// The namespace.
        namespace: String,
    },
    /// Remove a namespace's limits: the system's apply again.
    Delete {
        /// The namespace.
        namespace: String,
    },
}

pub(super) async fn run(store: &dyn SubjectStore, cmd: LimitsCommand) -> anyhow::Result<()> {
    match cmd {
        LimitsCommand::Set { namespace, invocations_per_minute, concurrent_invocations, fires_per_minute } => {
            names::validate_namespace(&namespace).map_err(|e| anyhow::anyhow!("namespace '{namespace}': {e}"))?;
            let given = UserLimits { invocations_per_minute, concurrent_invocations, fires_per_minute };
            if given.is_empty() {
                bail!("give at least one of --invocationsPerMinute, --concurrentInvocations, --firesPerMinute");
            }
            let old = store.get_limits(&namespace).await?.unwrap_or_default();
            let limits = UserLimits {
                invocations_per_minute: invocations_per_minute.or(old.invocations_per_minute),
                concurrent_invocations: concurrent_invocations.or(old.concurrent_invocations),
                fires_per_minute: fires_per_minute.or(old.fires_per_minute),
            };
            store.put_limits(&namespace, &limits).await?;
            println!("Limits successfully set for \"{namespace}\"");
            Ok(())
        }
        LimitsCommand::Get { namespace } => {
            match store.get_limits(&namespace).await? {
                None => println!("No limits found, default system limits apply"),
                Some(l) => {
                    for (k, v) in [
                        ("invocationsPerMinute", l.invocations_per_minute),
                        ("concurrentInvocations", l.concurrent_invocations),
                        ("firesPerMinute", l.fires_per_minute),
                    ] {
                        if let Some(v) = v {
                            println!("{k} = {v}");
                        }
                    }
                }
            }
            Ok(())
        }
        LimitsCommand::Delete { namespace } => {
            if !store.delete_limits(&namespace).await? {
                bail!("namespace '{namespace}' has no limits set");
            }
            println!("Limits deleted");
            Ok(())
        }
    }
}
