//! `gust action create|update|get|list|delete` (and `invoke`, in [`super::invoke`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

use super::Ctx;
use super::exec::exec_from_file;
use super::invoke::{self, InvokeArgs};
use super::output::{self, annotation};
use super::params::{AnnotationArgs, ParamArgs, key_values};
use super::sequence::sequence_exec;

/// `gust action ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ActionCommand {
    /// Create an action from a file (.wasm, .js, .py, or any file with --kind), or a sequence
    /// of actions with --sequence.
    Create(CreateArgs),
    /// Update an action: its code (when FILE is given) or its sequence's actions (with
    /// --sequence), parameters, annotations or limits.
    Update(UpdateArgs),
    /// Invoke an action (non-blocking unless --blocking or --result).
    Invoke(InvokeArgs),
    /// Show an action (without its code unless --code).
    Get(GetArgs),
    /// List actions, newest first: those of a namespace (its packages' too) or of one package.
    List(ListArgs),
    /// Delete an action.
    Delete(DeleteArgs),
}

/// The parts of an action the flags of `create` and `update` set.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ActionSpec {
    /// The runtime kind, e.g. wasm:wasip1 or nodejs:20 [default: from the file's extension:
    /// .wasm is wasm:wasip1, .js nodejs:default, .py python:default].
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// The name of the entry function, for runtimes that have one.
    #[arg(long, value_name = "NAME")]
    pub main: Option<String>,
    /// A Docker image that answers /init and /run (kind blackbox); FILE, if given, is the code
    /// handed to its /init. The image must be present on the invokers: Gust never pulls.
    #[arg(long, value_name = "IMAGE", conflicts_with = "kind")]
    pub docker: Option<String>,
    /// Make a sequence of these actions, comma-separated (NAME, PACKAGE/NAME or
    /// /NAMESPACE/[PACKAGE/]NAME; names without a leading / are in the default namespace,
    /// /_/): invoking it runs them in order, each result the next one's parameters. No FILE,
    /// --kind, --main or --docker with it.
    #[arg(long, value_name = "A,B,...")]
    pub sequence: Option<String>,
    /// Default parameters of the action.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Annotations of the action.
    #[command(flatten)]
    pub annotations: AnnotationArgs,
    /// Time limit of one activation, in milliseconds [server default: 60000].
    #[arg(short = 't', long, value_name = "MS")]
    pub timeout: Option<u64>,
    /// Memory limit, in megabytes [server default: 256].
    #[arg(short = 'm', long, value_name = "MB")]
    pub memory: Option<u64>,
    /// Log size limit, in megabytes [server default: 10].
    #[arg(short = 'l', long, value_name = "MB")]
    pub logs: Option<u64>,
    /// How many activations one instance may serve at once [server default: 1].
    #[arg(short = 'c', long, value_name = "N")]
    pub concurrency: Option<u64>,
}

impl ActionSpec {
    /// The PUT body: `exec` from `file` or `--sequence` (if any), and whatever the flags set.
    /// Relative names in `--sequence` are qualified with `namespace` (the settings' one).
    pub(crate) fn body(&self, file: Option<&Path>, namespace: &str) -> anyhow::Result<Value> {
        let mut body = Map::new();
        if let Some(exec) = self.exec(file, namespace)? {
            body.insert("exec".into(), exec);
        }
        if !self.params.is_empty() {
            body.insert("parameters".into(), key_values(&self.params.object()?));
        }
        if !self.annotations.is_empty() {
            body.insert("annotations".into(), key_values(&self.annotations.object()?));
        }
        let limits: Map<String, Value> = [
            ("timeout", self.timeout),
            ("memory", self.memory),
            ("logs", self.logs),
            ("concurrency", self.concurrency),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), json!(v))))
        .collect();
        if !limits.is_empty() {
            body.insert("limits".into(), Value::Object(limits));
        }
        Ok(Value::Object(body))
    }

    /// The `exec` the flags and `file` give: a sequence, a Docker image (with `file` as the
    /// code its /init gets), the code of `file`, or none (the action keeps its code).
    fn exec(&self, file: Option<&Path>, namespace: &str) -> anyhow::Result<Option<Value>> {
        if let Some(list) = &self.sequence {
            self.check_sequence_flags(file)?;
            return Ok(Some(sequence_exec(namespace, list)?));
        }
        match (file, &self.docker) {
            (f, Some(image)) => {
                let mut exec = json!({"kind": "blackbox", "image": image});
                if let Some(f) = f {
                    let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                    let (code, binary) = crate::commands::exec::encode_code(f, bytes);
                    exec["code"] = json!(code);
                    exec["binary"] = json!(binary);
                }
                if let Some(m) = &self.main {
                    exec["main"] = json!(m);
                }
                Ok(Some(exec))
            }
            (Some(f), None) => Ok(Some(exec_from_file(f, self.kind.as_deref(), self.main.as_deref())?)),
            (None, None) if self.kind.is_some() || self.main.is_some() => {
                bail!("--kind and --main change the code: give the FILE with the code too")
            }
            (None, None) => Ok(None),
        }
    }

    /// Fails when `--sequence` comes with something that would give the action code.
    fn check_sequence_flags(&self, file: Option<&Path>) -> anyhow::Result<()> {
        if let Some(f) = file {
            bail!(
                "--sequence makes an action of other actions, so it takes no FILE (got '{}'): \
                 leave the file out, or drop --sequence to deploy the file",
                f.display()
            );
        }
        if let Some(kind) = &self.kind {
            bail!("--kind cannot go with --sequence: a sequence's kind is always 'sequence' (got --kind {kind})");
        }
        if self.main.is_some() {
            bail!("--main cannot go with --sequence: a sequence has no code and no entry function");
        }
        if self.docker.is_some() {
            bail!("--docker cannot go with --sequence: a sequence runs other actions, not an image");
        }
        Ok(())
    }
}

/// `gust action create NAME FILE [flags]`.
#[derive(Debug, Clone, clap::Args)]
pub struct CreateArgs {
    /// The action: NAME, PACKAGE/NAME or /NAMESPACE/[PACKAGE/]NAME.
    pub name: String,
    /// The file with the action's code (optional with --docker, none with --sequence).
    #[arg(required_unless_present_any = ["docker", "sequence"])]
    pub file: Option<PathBuf>,
    /// What the action is made of.
    #[command(flatten)]
    pub spec: ActionSpec,
}

/// `gust action update NAME [FILE] [flags]`.
#[derive(Debug, Clone, clap::Args)]
pub struct UpdateArgs {
    /// The action: NAME, PACKAGE/NAME or /NAMESPACE/[PACKAGE/]NAME.
    pub name: String,
    /// A file with new code [default: keep the code].
    pub file: Option<PathBuf>,
    /// What to change.
    #[command(flatten)]
    pub spec: ActionSpec,
}

/// `gust action get NAME [--code]`.
#[derive(Debug, Clone, clap::Args)]
pub struct GetArgs {
    /// The action: NAME, PACKAGE/NAME or /NAMESPACE/[PACKAGE/]NAME.
    pub name: String,
    /// Include the code (base64 for binaries such as Wasm modules).
    #[arg(long)]
    pub code: bool,
}

/// `gust action list [NAMESPACE | PACKAGE] [--limit N] [--skip N]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// Whose actions: /NAMESPACE, or a package (or binding) PACKAGE or /NAMESPACE/PACKAGE
    /// [default: the credential's namespace].
    #[arg(value_name = "NAMESPACE | PACKAGE")]
    pub target: Option<String>,
    /// How many actions to list (0 for the server's maximum, 200) [server default: 30].
    #[arg(short = 'l', long, value_name = "N")]
    pub limit: Option<u32>,
    /// How many of the newest actions to skip.
    #[arg(short = 's', long, value_name = "N", default_value_t = 0)]
    pub skip: u32,
}

/// `gust action delete NAME`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeleteArgs {
    /// The action: NAME, PACKAGE/NAME or /NAMESPACE/[PACKAGE/]NAME.
    pub name: String,
}

/// Runs `gust action ...`.
pub(crate) async fn run(ctx: &Ctx, cmd: ActionCommand) -> anyhow::Result<()> {
    match cmd {
        ActionCommand::Create(a) => put(ctx, &a.name, a.spec.body(a.file.as_deref(), &ctx.namespace)?, false).await,
        ActionCommand::Update(a) => put(ctx, &a.name, a.spec.body(a.file.as_deref(), &ctx.namespace)?, true).await,
        ActionCommand::Invoke(a) => invoke::run(ctx, a).await,
        ActionCommand::Get(a) => get(ctx, &a).await,
        ActionCommand::List(a) => list(ctx, &a).await,
        ActionCommand::Delete(a) => delete(ctx, &a.name).await,
    }
}

async fn put(ctx: &Ctx, name: &str, body: Value, overwrite: bool) -> anyhow::Result<()> {
    let verb = if overwrite { "update" } else { "create" };
    let action = ctx.client.put_action(name, &body, overwrite).await.map_err(|e| {
        let hint =
            if !overwrite && e.status() == Some(409) { " (`gust action update` changes an existing one)" } else { "" };
        anyhow::Error::new(e).context(format!("Unable to {verb} action '{name}'{hint}"))
    })?;
    if ctx.json {
        output::json(&action);
    } else {
        output::line(format_args!("ok: {verb}d action {name}"));
    }
    Ok(())
}

async fn get(ctx: &Ctx, a: &GetArgs) -> anyhow::Result<()> {
    let action =
        ctx.client.get_action(&a.name, a.code).await.with_context(|| format!("Unable to get action '{}'", a.name))?;
    if !ctx.json {
        output::line(format_args!("ok: got action {}", a.name));
    }
    output::json(&action);
    Ok(())
}

/// What `gust action list` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListScope<'a> {
    /// The actions of a namespace (`None`: the settings' one).
    Namespace(Option<&'a str>),
    /// The actions of a package: `PACKAGE` or `/NAMESPACE/PACKAGE`.
    Package(&'a str),
}

impl<'a> ListScope<'a> {
    /// `/ns` (or `/ns/`) is a namespace, anything else names a package, as `wsk` reads it.
    fn of(target: Option<&'a str>) -> ListScope<'a> {
        match target {
            None => ListScope::Namespace(None),
            Some(t) if t.strip_prefix('/').is_some_and(|rest| !rest.trim_end_matches('/').contains('/')) => {
                ListScope::Namespace(Some(t))
            }
            Some(t) => ListScope::Package(t),
        }
    }
}

async fn list(ctx: &Ctx, a: &ListArgs) -> anyhow::Result<()> {
    let actions = match ListScope::of(a.target.as_deref()) {
        ListScope::Namespace(ns) => ctx.client.list_actions_in(ns, a.skip, a.limit).await.with_context(|| {
            format!("Unable to obtain the list of actions for namespace '{}'", ctx.shown_namespace(ns))
        })?,
        ListScope::Package(p) => ctx
            .client
            .list_package_actions(p, a.skip, a.limit)
            .await
            .with_context(|| format!("Unable to obtain the list of actions of package '{p}'"))?,
    };
    if ctx.json {
        output::json(&actions);
    } else {
        output::line(output::table(&["NAME", "KIND", "VERSION"], &action_rows(&actions)));
    }
    Ok(())
}

/// One table row per action summary: `/namespace/name`, kind, version.
fn action_rows(actions: &Value) -> Vec<Vec<String>> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    actions
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let kind = annotation(a, "exec").and_then(Value::as_str).unwrap_or("-").to_owned();
            vec![format!("/{}/{}", text(&a["namespace"]), text(&a["name"])), kind, text(&a["version"])]
        })
        .collect()
}

async fn delete(ctx: &Ctx, name: &str) -> anyhow::Result<()> {
    let action = ctx.client.delete_action(name).await.with_context(|| format!("Unable to delete action '{name}'"))?;
    if ctx.json {
        output::json(&action);
    } else {
        output::line(format_args!("ok: deleted action {name}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_images_become_blackbox_execs() {
        let spec = ActionSpec { docker: Some("me/server:1".into()), ..ActionSpec::default() };
        assert_eq!(spec.body(None, "_").unwrap(), json!({"exec": {"kind": "blackbox", "image": "me/server:1"}}));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("init.sh");
        std::fs::write(&file, "echo hi").unwrap();
        let body = spec.body(Some(&file), "_").unwrap();
        assert_eq!(
            body["exec"],
            json!({"kind": "blackbox", "image": "me/server:1", "code": "echo hi", "binary": false})
        );
    }

    #[test]
    fn bodies_hold_only_what_the_flags_set() {
        assert_eq!(ActionSpec::default().body(None, "_").unwrap(), json!({}));
        let spec = ActionSpec {
            params: ParamArgs { param: ["n", "3"].map(String::from).to_vec(), param_file: None },
            annotations: AnnotationArgs {
                annotation: ["web-export", "true"].map(String::from).to_vec(),
                annotation_file: None,
            },
            timeout: Some(1000),
            memory: Some(128),
            ..ActionSpec::default()
        };
        assert_eq!(
            spec.body(None, "_").unwrap(),
            json!({
                "parameters": [{"key": "n", "value": 3}],
                "annotations": [{"key": "web-export", "value": true}],
                "limits": {"timeout": 1000, "memory": 128},
            })
        );
    }

    #[test]
    fn code_flags_need_a_file() {
        let spec = ActionSpec { kind: Some("wasm:wasip1".into()), ..ActionSpec::default() };
        assert!(spec.body(None, "_").unwrap_err().to_string().contains("FILE"));
    }

    #[test]
    fn files_become_the_exec() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.wasm");
        std::fs::write(&file, b"\0asm").unwrap();
        let body = ActionSpec::default().body(Some(&file), "_").unwrap();
        assert_eq!(body, json!({"exec": {"kind": "wasm:wasip1", "code": "AGFzbQ==", "binary": true}}));
    }

    #[test]
    fn sequences_become_sequence_execs() {
        let spec =
            ActionSpec { sequence: Some("a,pkg/b,/other/pkg/c".into()), timeout: Some(5000), ..ActionSpec::default() };
        assert_eq!(
            spec.body(None, "_").unwrap(),
            json!({
                "exec": {"kind": "sequence", "components": ["/_/a", "/_/pkg/b", "/other/pkg/c"]},
                "limits": {"timeout": 5000},
            })
        );
        assert_eq!(spec.body(None, "team").unwrap()["exec"]["components"][0], "/team/a");
    }

    #[test]
    fn sequences_take_no_code() {
        let seq = |spec: ActionSpec| ActionSpec { sequence: Some("a,b".into()), ..spec };
        // The file is refused before it is read: it need not exist.
        let err = seq(ActionSpec::default()).body(Some(Path::new("code.wasm")), "_").unwrap_err().to_string();
        assert!(err.contains("--sequence") && err.contains("no FILE") && err.contains("code.wasm"), "{err}");
        let err = seq(ActionSpec { kind: Some("nodejs:20".into()), ..ActionSpec::default() }).body(None, "_");
        assert!(err.unwrap_err().to_string().starts_with("--kind cannot go with --sequence"));
        let err = seq(ActionSpec { main: Some("run".into()), ..ActionSpec::default() }).body(None, "_");
        assert!(err.unwrap_err().to_string().starts_with("--main cannot go with --sequence"));
        let err = seq(ActionSpec { docker: Some("me/img".into()), ..ActionSpec::default() }).body(None, "_");
        assert!(err.unwrap_err().to_string().starts_with("--docker cannot go with --sequence"));
        let bad = ActionSpec { sequence: Some("a,".into()), ..ActionSpec::default() };
        assert!(bad.body(None, "_").unwrap_err().to_string().contains("action 2 has no name"));
    }

    #[test]
    fn list_targets_are_namespaces_or_packages() {
        assert_eq!(ListScope::of(None), ListScope::Namespace(None));
        assert_eq!(ListScope::of(Some("/guest")), ListScope::Namespace(Some("/guest")));
        assert_eq!(ListScope::of(Some("/guest/")), ListScope::Namespace(Some("/guest/")));
        assert_eq!(ListScope::of(Some("utils")), ListScope::Package("utils"));
        assert_eq!(ListScope::of(Some("/whisk.system/utils")), ListScope::Package("/whisk.system/utils"));
    }

    #[test]
    fn rows_show_the_qualified_name_the_kind_and_the_version() {
        let list = json!([
            {"namespace": "guest", "name": "hello", "version": "0.0.2",
             "annotations": [{"key": "exec", "value": "wasm:wasip1"}]},
            {"namespace": "guest/pkg", "name": "x", "version": "0.0.1", "annotations": []},
        ]);
        assert_eq!(
            action_rows(&list),
            vec![
                vec!["/guest/hello".to_owned(), "wasm:wasip1".to_owned(), "0.0.2".to_owned()],
                vec!["/guest/pkg/x".to_owned(), "-".to_owned(), "0.0.1".to_owned()],
            ]
        );
        assert!(action_rows(&json!({})).is_empty());
    }
}
