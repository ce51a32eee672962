//! The `wsk`-shaped client commands: `gust action ...`, `gust activation ...`,
//! `gust package ...`, `gust namespace ...` and `gust list`. Readable output by default;
//! `--json` prints the server's JSON.

mod action;
mod activation;
mod components;
mod exec;
mod invoke;
mod listing;
mod localtime;
mod namespace;
mod output;
mod package;
mod params;
mod sequence;
mod summary;

pub use action::{ActionCommand, ActionSpec, CreateArgs, DeleteArgs, GetArgs, ListArgs, UpdateArgs};
pub use activation::{ActivationCommand, ActivationListArgs, LogsArgs, Which};
pub use invoke::InvokeArgs;
pub use namespace::{EntitiesArgs, NamespaceCommand};
pub use package::{BindArgs, PackageArgs, PackageCommand, PackageDeleteArgs, PackageGetArgs, PackageListArgs, Shared};
pub use params::{AnnotationArgs, ParamArgs};

use crate::client::Client;
use crate::props::{Overrides, Settings};

/// Flags shared by every command (they may come before or after the command's name).
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// More log output; for client commands, each request and its status on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The API host, e.g. http://127.0.0.1:3233 [default: $GUST_APIHOST, $__OW_API_HOST,
    /// APIHOST in $WSK_CONFIG_FILE or ~/.wskprops, then http://127.0.0.1:3233].
    #[arg(long, global = true, value_name = "URL")]
    pub apihost: Option<String>,
    /// The credential, UUID:KEY [default: $GUST_AUTH, $__OW_API_KEY, AUTH in $WSK_CONFIG_FILE or
    /// ~/.wskprops, then OpenWhisk's guest key for a loopback API host].
    #[arg(short = 'u', long, global = true, value_name = "UUID:KEY")]
    pub auth: Option<String>,
    /// Print the server's JSON instead of readable output (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
}

/// The client commands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
pub enum ClientCommand {
    /// Create, update, get, list, delete and invoke actions.
    #[command(subcommand)]
    Action(ActionCommand),
    /// List activations and read their records, logs and results.
    #[command(subcommand)]
    Activation(ActivationCommand),
    /// Create, update, bind, get, list and delete packages.
    #[command(subcommand)]
    Package(PackageCommand),
    /// List the namespaces of the credential, or the entities of one.
    #[command(subcommand)]
    Namespace(NamespaceCommand),
    /// List the entities of a namespace: its packages, actions, triggers and rules.
    ///
    /// Like `wsk list`: "Entities in namespace: NS", then each collection's name and one
    /// line per entity (up to 200 of each). With --json: {"packages": [...], "actions": [...],
    /// "triggers": [...], "rules": [...]}, each rule with the status its GET answers.
    List(EntitiesArgs),
}

/// What every command works with.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The API.
    pub(crate) client: Client,
    /// `--json`.
    pub(crate) json: bool,
    /// The namespace shown for plain names (`_` unless the settings name one).
    pub(crate) namespace: String,
}

impl Ctx {
    /// A name as `wsk` shows it: `/_/hello` for `hello`, fully qualified names as they are.
    pub(crate) fn qualified(&self, name: &str) -> String {
        if name.starts_with('/') { name.to_owned() } else { format!("/{}/{name}", self.namespace) }
    }

    /// A namespace as `wsk` names it in messages: the argument (`ns` or `/ns`) or the settings'
    /// namespace, with `_` (the credential's own) shown as `default`.
    pub(crate) fn shown_namespace(&self, namespace: Option<&str>) -> String {
        let ns = namespace.map_or(self.namespace.as_str(), |n| n.trim_matches('/'));
        if ns == "_" { "default".to_owned() } else { ns.to_owned() }
    }
}

/// Runs a client command with the settings from the flags, the environment and the props file.
pub async fn run(cmd: ClientCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    if global.verbose {
        crate::telemetry::init(true);
    }
    let settings = Settings::load(&Overrides { apihost: global.apihost.clone(), auth: global.auth.clone() })?;
    tracing::debug!(?settings, "Client settings.");
    let client = Client::new(&settings)?;
    let namespace = settings.namespace.clone().unwrap_or_else(|| "_".into());
    let ctx = Ctx { client, json: global.json, namespace };
    match cmd {
        ClientCommand::Action(c) => action::run(&ctx, c).await,
        ClientCommand::Activation(c) => activation::run(&ctx, c).await,
        ClientCommand::Package(c) => package::run(&ctx, c).await,
        ClientCommand::Namespace(c) => namespace::run(&ctx, c).await,
        ClientCommand::List(a) => namespace::entities(&ctx, &a).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// The shape `main.rs` gives the commands, without `standalone`.
    #[derive(Debug, Parser)]
    #[command(name = "gust")]
    struct Cli {
        #[command(flatten)]
        global: GlobalArgs,
        #[command(subcommand)]
        command: ClientCommand,
    }

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = Cli::try_parse_from(["gust", "action", "list", "--json", "--apihost", "h:1", "-u", "a:b"]).unwrap();
        assert!(cli.global.json);
        assert_eq!((cli.global.apihost.as_deref(), cli.global.auth.as_deref()), (Some("h:1"), Some("a:b")));
    }

    #[test]
    fn params_take_a_key_and_a_value() {
        let cli =
            Cli::try_parse_from(["gust", "action", "invoke", "x", "-p", "n", "-5", "-p", "s", "a b", "-r"]).unwrap();
        let ClientCommand::Action(ActionCommand::Invoke(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!(args.params.param, ["n", "-5", "s", "a b"]);
        assert!(args.result);
        assert!(Cli::try_parse_from(["gust", "action", "invoke", "x", "-p", "only-key"]).is_err());
    }

    #[test]
    fn sequences_are_created_without_a_file() {
        let cli = Cli::try_parse_from(["gust", "action", "create", "s", "--sequence", "a,/ns/p/b"]).unwrap();
        let ClientCommand::Action(ActionCommand::Create(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!((args.file, args.spec.sequence.as_deref()), (None, Some("a,/ns/p/b")));
        let cli = Cli::try_parse_from(["gust", "action", "update", "s", "--sequence", "c"]).unwrap();
        let ClientCommand::Action(ActionCommand::Update(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!(args.spec.sequence.as_deref(), Some("c"));
        // Without --sequence or --docker, create needs the FILE.
        let err = Cli::try_parse_from(["gust", "action", "create", "s"]).unwrap_err().to_string();
        assert!(err.contains("<FILE>"), "{err}");
        assert!(Cli::try_parse_from(["gust", "action", "create", "s", "--sequence"]).is_err());
    }

    #[test]
    fn activation_commands_need_an_id_or_last() {
        assert!(Cli::try_parse_from(["gust", "activation", "get"]).is_err());
        assert!(Cli::try_parse_from(["gust", "activation", "get", "abc", "--last"]).is_err());
        assert!(Cli::try_parse_from(["gust", "activation", "logs", "--last", "--strip"]).is_ok());
        assert!(Cli::try_parse_from(["gust", "activation", "result", "abc"]).is_ok());
    }

    #[test]
    fn package_commands_take_wsk_flags() {
        let cli =
            Cli::try_parse_from(["gust", "package", "create", "p", "-p", "a", "1", "-a", "k", "v", "--shared", "YES"])
                .unwrap();
        let ClientCommand::Package(PackageCommand::Create(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!(
            (args.params.param, args.annotations.annotation),
            (vec!["a".into(), "1".into()], ["k", "v"].map(String::from).to_vec())
        );
        assert_eq!(args.shared, Some(Shared::Yes));
        assert!(Cli::try_parse_from(["gust", "package", "update", "p", "--shared", "maybe"]).is_err());

        let cli =
            Cli::try_parse_from(["gust", "package", "bind", "/whisk.system/utils", "mine", "-P", "f.json"]).unwrap();
        let ClientCommand::Package(PackageCommand::Bind(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!((args.package.as_str(), args.binding.as_str()), ("/whisk.system/utils", "mine"));
        assert_eq!(args.params.param_file.as_deref(), Some(std::path::Path::new("f.json")));
        assert!(Cli::try_parse_from(["gust", "package", "bind", "utils"]).is_err());

        let cli = Cli::try_parse_from(["gust", "package", "get", "p", "-s"]).unwrap();
        assert!(matches!(
            cli.command,
            ClientCommand::Package(PackageCommand::Get(PackageGetArgs { summary: true, .. }))
        ));
        let cli = Cli::try_parse_from(["gust", "package", "list", "/guest", "-l", "0", "-s", "2", "-n"]).unwrap();
        let ClientCommand::Package(PackageCommand::List(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!(
            (args.namespace.as_deref(), args.limit, args.skip, args.name_sort),
            (Some("/guest"), Some(0), 2, true)
        );
        assert!(Cli::try_parse_from(["gust", "package", "delete", "p"]).is_ok());
    }

    #[test]
    fn namespace_get_and_list_take_an_optional_namespace() {
        let cli = Cli::try_parse_from(["gust", "list"]).unwrap();
        assert!(matches!(cli.command, ClientCommand::List(EntitiesArgs { namespace: None, name_sort: false })));
        let cli = Cli::try_parse_from(["gust", "namespace", "get", "/guest", "-n"]).unwrap();
        let ClientCommand::Namespace(NamespaceCommand::Get(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!((args.namespace.as_deref(), args.name_sort), (Some("/guest"), true));
        let cli = Cli::try_parse_from(["gust", "action", "list", "utils", "--limit", "5"]).unwrap();
        let ClientCommand::Action(ActionCommand::List(args)) = cli.command else { panic!("{:?}", cli.command) };
        assert_eq!((args.target.as_deref(), args.limit), (Some("utils"), Some(5)));
    }

    #[test]
    fn namespaces_are_shown_as_wsk_shows_them() {
        let settings = Settings::new("localhost", "u:k");
        let ctx = Ctx { client: Client::new(&settings).unwrap(), json: false, namespace: "_".into() };
        assert_eq!(ctx.shown_namespace(None), "default");
        assert_eq!(ctx.shown_namespace(Some("/_")), "default");
        assert_eq!(ctx.shown_namespace(Some("/whisk.system/")), "whisk.system");
        let ctx = Ctx { namespace: "team".into(), ..ctx };
        assert_eq!(ctx.shown_namespace(None), "team");
    }

    #[test]
    fn names_are_shown_qualified() {
        let settings = Settings::new("localhost", "u:k");
        let ctx = Ctx { client: Client::new(&settings).unwrap(), json: false, namespace: "_".into() };
        assert_eq!(ctx.qualified("hello"), "/_/hello");
        assert_eq!(ctx.qualified("pkg/hello"), "/_/pkg/hello");
        assert_eq!(ctx.qualified("/guest/hello"), "/guest/hello");
    }
}
