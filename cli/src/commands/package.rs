//! `gust package create|update|bind|get|list|delete`.

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::Ctx;
use super::listing::{self, Collection};
use super::output;
use super::params::{AnnotationArgs, ParamArgs, key_values};
use super::summary;

/// `gust package ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum PackageCommand {
    /// Create a package: a namespace-level group of actions with shared parameters.
    Create(PackageArgs),
    /// Update a package (its parameters, annotations or visibility), or create it.
    Update(PackageArgs),
    /// Bind a package under a new name with parameters of its own (a package binding).
    Bind(BindArgs),
    /// Show a package with its actions and feeds, or with --summary its actions' parameters.
    Get(PackageGetArgs),
    /// List packages, newest first ("binding" marks package bindings).
    List(PackageListArgs),
    /// Delete a package (which must hold no actions) or a package binding.
    Delete(PackageDeleteArgs),
}

/// Visibility of a package: shared packages can be read and bound from other namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shared {
    /// Shared (`publish: true`).
    Yes,
    /// Private (`publish: false`).
    No,
}

/// `gust package create|update NAME [flags]`.
#[derive(Debug, Clone, clap::Args)]
pub struct PackageArgs {
    /// The package: NAME or /NAMESPACE/NAME.
    pub name: String,
    /// Default parameters of the package's actions.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Annotations of the package (e.g. -a description "...").
    #[command(flatten)]
    pub annotations: AnnotationArgs,
    /// Package visibility: yes = shared, no = private [server default: private].
    #[arg(long, value_enum, ignore_case = true, value_name = "yes|no")]
    pub shared: Option<Shared>,
}

impl PackageArgs {
    /// The PUT body: what the flags set (nothing else, so an update keeps the rest).
    pub(crate) fn body(&self) -> anyhow::Result<Value> {
        let mut body = kv_body(&self.params, &self.annotations)?;
        if let Some(shared) = self.shared {
            body.insert("publish".into(), json!(shared == Shared::Yes));
        }
        Ok(Value::Object(body))
    }
}

/// `gust package bind PACKAGE BINDING [flags]`.
#[derive(Debug, Clone, clap::Args)]
pub struct BindArgs {
    /// The package to bind: NAME or /NAMESPACE/NAME (e.g. /whisk.system/utils).
    pub package: String,
    /// The name of the new binding: NAME or /NAMESPACE/NAME.
    pub binding: String,
    /// Parameters of the binding (over the package's).
    #[command(flatten)]
    pub params: ParamArgs,
    /// Annotations of the binding.
    #[command(flatten)]
    pub annotations: AnnotationArgs,
}

/// `gust package get NAME [--summary]`.
#[derive(Debug, Clone, clap::Args)]
pub struct PackageGetArgs {
    /// The package or binding: NAME or /NAMESPACE/NAME.
    pub name: String,
    /// Summarize the package and its actions and feeds with their parameters (those with a
    /// "*" prefix are bound, "**" bound and final) instead of printing the JSON.
    #[arg(short, long)]
    pub summary: bool,
}

/// `gust package list [NAMESPACE] [flags]`.
#[derive(Debug, Clone, clap::Args)]
pub struct PackageListArgs {
    /// The namespace, /NAMESPACE [default: the credential's own]; another namespace lists
    /// only its shared packages.
    pub namespace: Option<String>,
    /// How many packages to list (0 for the server's maximum, 200) [server default: 30].
    #[arg(short = 'l', long, value_name = "N")]
    pub limit: Option<u32>,
    /// How many of the newest packages to skip.
    #[arg(short = 's', long, value_name = "N", default_value_t = 0)]
    pub skip: u32,
    /// Sort the listed packages by name.
    #[arg(short = 'n', long)]
    pub name_sort: bool,
}

/// `gust package delete NAME`.
#[derive(Debug, Clone, clap::Args)]
pub struct PackageDeleteArgs {
    /// The package or binding: NAME or /NAMESPACE/NAME.
    pub name: String,
}

/// Runs `gust package ...`.
pub(crate) async fn run(ctx: &Ctx, cmd: PackageCommand) -> anyhow::Result<()> {
    match cmd {
        PackageCommand::Create(a) => put(ctx, &a, false).await,
        PackageCommand::Update(a) => put(ctx, &a, true).await,
        PackageCommand::Bind(a) => bind(ctx, &a).await,
        PackageCommand::Get(a) => get(ctx, &a).await,
        PackageCommand::List(a) => list(ctx, &a).await,
        PackageCommand::Delete(a) => delete(ctx, &a.name).await,
    }
}

/// `parameters` and `annotations` of a PUT body, each only when its flags were given.
fn kv_body(params: &ParamArgs, annotations: &AnnotationArgs) -> anyhow::Result<Map<String, Value>> {
    let mut body = Map::new();
    if !params.is_empty() {
        body.insert("parameters".into(), key_values(&params.object()?));
    }
    if !annotations.is_empty() {
        body.insert("annotations".into(), key_values(&annotations.object()?));
    }
    Ok(body)
}

/// A package name without its namespace, as `wsk` shows it in messages: `/ns/utils` is `utils`.
fn short_name(name: &str) -> &str {
    match name.strip_prefix('/') {
        Some(qualified) => qualified.split_once('/').map_or(qualified, |(_, rest)| rest),
        None => name,
    }
}

async fn put(ctx: &Ctx, a: &PackageArgs, overwrite: bool) -> anyhow::Result<()> {
    let name = short_name(&a.name);
    let package = ctx.client.put_package(&a.name, &a.body()?, overwrite).await.map_err(|e| {
        let context = if overwrite {
            "Package update failed".to_owned()
        } else if e.status() == Some(409) {
            format!("Unable to create package '{name}' (`gust package update` changes an existing one)")
        } else {
            format!("Unable to create package '{name}'")
        };
        anyhow::Error::new(e).context(context)
    })?;
    if ctx.json {
        output::json(&package);
    } else {
        let verb = if overwrite { "updated" } else { "created" };
        output::line(format_args!("ok: {verb} package {name}"));
    }
    Ok(())
}

async fn bind(ctx: &Ctx, a: &BindArgs) -> anyhow::Result<()> {
    let body = Value::Object(kv_body(&a.params, &a.annotations)?);
    let binding =
        ctx.client.bind_package(&a.binding, &a.package, &body, false).await.context("Binding creation failed")?;
    if ctx.json {
        output::json(&binding);
    } else {
        output::line(format_args!("ok: created binding {}", a.binding));
    }
    Ok(())
}

async fn get(ctx: &Ctx, a: &PackageGetArgs) -> anyhow::Result<()> {
    let name = short_name(&a.name);
    let package = ctx.client.get_package(&a.name).await.with_context(|| format!("Unable to get package '{name}'"))?;
    if ctx.json {
        output::json(&package);
    } else if a.summary {
        output::line(summary::package(&package));
    } else {
        output::line(format_args!("ok: got package {name}"));
        output::json(&package);
    }
    Ok(())
}

async fn list(ctx: &Ctx, a: &PackageListArgs) -> anyhow::Result<()> {
    let packages = ctx.client.list_packages(a.namespace.as_deref(), a.skip, a.limit).await.with_context(|| {
        format!("Unable to obtain the list of packages for namespace '{}'", ctx.shown_namespace(a.namespace.as_deref()))
    })?;
    if ctx.json {
        output::json(&packages);
    } else {
        output::line(listing::section(Collection::Packages, &packages, a.name_sort));
    }
    Ok(())
}

async fn delete(ctx: &Ctx, full: &str) -> anyhow::Result<()> {
    let name = short_name(full);
    let package =
        ctx.client.delete_package(full, false).await.with_context(|| format!("Unable to delete package '{name}'"))?;
    if ctx.json {
        output::json(&package);
    } else {
        output::line(format_args!("ok: deleted package {name}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(shared: Option<Shared>, params: &[&str], annotations: &[&str]) -> PackageArgs {
        PackageArgs {
            name: "p".into(),
            params: ParamArgs { param: params.iter().map(|s| (*s).to_owned()).collect(), param_file: None },
            annotations: AnnotationArgs {
                annotation: annotations.iter().map(|s| (*s).to_owned()).collect(),
                annotation_file: None,
            },
            shared,
        }
    }

    #[test]
    fn bodies_hold_only_what_the_flags_set() {
        assert_eq!(args(None, &[], &[]).body().unwrap(), json!({}));
        assert_eq!(
            args(Some(Shared::Yes), &["n", "3", "who", "the world"], &["description", "tools"]).body().unwrap(),
            json!({
                "parameters": [{"key": "n", "value": 3}, {"key": "who", "value": "the world"}],
                "annotations": [{"key": "description", "value": "tools"}],
                "publish": true,
            })
        );
        assert_eq!(args(Some(Shared::No), &[], &[]).body().unwrap(), json!({"publish": false}));
    }

    #[test]
    fn messages_name_packages_without_their_namespace() {
        assert_eq!(short_name("utils"), "utils");
        assert_eq!(short_name("/whisk.system/utils"), "utils");
        assert_eq!(short_name("/guest"), "guest");
    }
}
