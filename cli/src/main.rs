//! The `gust` binary: `gust standalone` runs Gust; every other command is a client of a
//! running Gust (or OpenWhisk) API, shaped like `wsk`.

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: the activation path allocates many small objects on
/// several threads, where glibc's arenas and consolidation cost measurably (see bench/).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use gust_cli::{admin, commands, roles, standalone, telemetry};

/// Gust: an OpenWhisk-compatible serverless platform with a WebAssembly fast path.
#[derive(Debug, Parser)]
#[command(name = "gust", version, about, propagate_version = true, args_override_self = true)]
struct Cli {
    #[command(flatten)]
    global: commands::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run controller and invoker in one process on embedded parts (SQLite, in-process bus).
    Standalone(standalone::StandaloneArgs),
    /// Run a controller of a distributed deployment (CouchDB, Kafka, Consul).
    Controller(roles::ControllerArgs),
    /// Run an invoker of a distributed deployment (CouchDB, Kafka, Consul).
    Invoker(roles::InvokerArgs),
    /// Manage credentials and namespace limits in a deployment's store (wskadmin's commands).
    Admin(admin::AdminArgs),
    #[command(flatten)]
    Client(commands::ClientCommand),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Standalone(args) => {
            telemetry::init(cli.global.verbose);
            standalone::run(args).await
        }
        Command::Controller(args) => {
            telemetry::init(cli.global.verbose);
            roles::controller(args).await
        }
        Command::Invoker(args) => {
            telemetry::init(cli.global.verbose);
            roles::invoker(args).await
        }
        Command::Admin(args) => {
            telemetry::init(cli.global.verbose);
            admin::run(args).await
        }
        Command::Client(cmd) => commands::run(cmd, &cli.global).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
