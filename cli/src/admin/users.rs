//! `gust admin user ...` and `gust admin namespace list`: credentials, kept hashed (so a key is
//! shown once, when it is created).

use anyhow::{Context, bail};
use gust_core::names;
use gust_core::store::SubjectStore;
use gust_core::subject::{AuthKey, SubjectRecord};

/// `gust admin user ...`.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a credential for a subject and print it (UUID:KEY): it cannot be shown again.
    Create {
        /// The subject (user) name.
        name: String,
        /// The namespace the key acts in [default: the subject's name].
        #[arg(short = 'n', long = "namespace", visible_alias = "ns")]
        namespace: Option<String>,
        /// Use this credential (UUID:KEY) instead of a generated one.
        #[arg(short = 'u', long)]
        auth: Option<String>,
    },
    /// Delete a subject's credentials (all of them, or those of one namespace).
    Delete {
        /// The subject name.
        name: String,
        /// Only the credential for this namespace.
        #[arg(short = 'n', long = "namespace", visible_alias = "ns")]
        namespace: Option<String>,
    },
    /// Show a subject's credentials: their UUIDs and namespaces (keys are stored hashed).
    Get {
        /// The subject name.
        name: String,
        /// Only the credential for this namespace.
        #[arg(short = 'n', long = "namespace", visible_alias = "ns")]
        namespace: Option<String>,
    },
    /// List the credentials of a namespace: UUID and subject, one per line.
    List {
        /// The namespace.
        namespace: String,
    },
}

/// `gust admin namespace ...`.
#[derive(Debug, clap::Subcommand)]
pub enum NamespaceCommand {
    /// Every namespace that has a credential, one per line.
    List,
}

fn valid(what: &str, name: &str) -> anyhow::Result<()> {
    names::validate_namespace(name).map_err(|e| anyhow::anyhow!("{what} '{name}': {e}"))
}

pub(super) async fn run(store: &dyn SubjectStore, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create { name, namespace, auth } => {
            let namespace = namespace.unwrap_or_else(|| name.clone());
            valid("subject", &name)?;
            valid("namespace", &namespace)?;
            let key = match auth {
                Some(a) => a.parse::<AuthKey>().context("--auth must look like UUID:KEY")?,
                None => AuthKey::generate(),
            };
            let all = store.list_subjects().await?;
            if all.iter().any(|r| r.subject == name && r.namespace == namespace) {
                bail!("subject '{name}' already has a credential for namespace '{namespace}'");
            }
            if all.iter().any(|r| r.uuid == key.uuid) {
                bail!("a credential with UUID {} exists already", key.uuid);
            }
            store.put_subject(SubjectRecord::new(&name, &namespace, &key)).await?;
            println!("{key}");
            Ok(())
        }
        UserCommand::Delete { name, namespace } => {
            let mine = matching(store, &name, namespace.as_deref()).await?;
            for r in &mine {
                store.delete_subject(&r.uuid).await?;
            }
            println!("Subject deleted ({} credential{}).", mine.len(), if mine.len() == 1 { "" } else { "s" });
            Ok(())
        }
        UserCommand::Get { name, namespace } => {
            for r in matching(store, &name, namespace.as_deref()).await? {
                println!("{}\t{}", r.uuid, r.namespace);
            }
            Ok(())
        }
        UserCommand::List { namespace } => {
            let mut all: Vec<SubjectRecord> =
                store.list_subjects().await?.into_iter().filter(|r| r.namespace == namespace).collect();
            all.sort_by(|a, b| (&a.subject, &a.uuid).cmp(&(&b.subject, &b.uuid)));
            for r in all {
                println!("{}\t{}", r.uuid, r.subject);
            }
            Ok(())
        }
    }
}

/// The credentials of subject `name` (in `namespace`, when given); an error when none.
async fn matching(store: &dyn SubjectStore, name: &str, namespace: Option<&str>) -> anyhow::Result<Vec<SubjectRecord>> {
    let found: Vec<SubjectRecord> = store
        .list_subjects()
        .await?
        .into_iter()
        .filter(|r| r.subject == name && namespace.is_none_or(|n| r.namespace == n))
        .collect();
    if found.is_empty() {
        match namespace {
            Some(n) => bail!("subject '{name}' has no credential for namespace '{n}'"),
            None => bail!("subject '{name}' does not exist"),
        }
    }
    Ok(found)
}

pub(super) async fn run_namespace(store: &dyn SubjectStore, cmd: NamespaceCommand) -> anyhow::Result<()> {
    match cmd {
        NamespaceCommand::List => {
            let mut all: Vec<String> = store.list_subjects().await?.into_iter().map(|r| r.namespace).collect();
            all.sort();
            all.dedup();
            for ns in all {
                println!("{ns}");
            }
            Ok(())
        }
    }
}
