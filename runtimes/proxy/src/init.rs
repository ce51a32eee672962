//! `/init`: the request, and turning it into a running action.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::child::{Launcher, NotReady, Setup, Unused, ZYGOTE_VAR};
use crate::code;
use crate::config::Config;
use crate::run::{self, Pool};

/// How long a launcher may take to load the action when the init has no `__OW_DEADLINE`.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// The body of `POST /init`.
#[derive(Debug, Deserialize)]
pub(crate) struct InitRequest {
    /// The action.
    pub(crate) value: InitValue,
}

/// The action in an `/init` request.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct InitValue {
    /// The entry point; `main` when absent.
    pub(crate) main: Option<String>,
    /// Whether `code` is base64 (a zip, an executable, or a base64 script).
    pub(crate) binary: bool,
    /// The code.
    pub(crate) code: Option<String>,
    /// Variables for the action's environment (the first activation's `__OW_*`, init params).
    pub(crate) env: Option<BTreeMap<String, Value>>,
}

impl InitValue {
    /// Whether there is code to run.
    pub(crate) fn has_code(&self) -> bool {
        self.code.as_deref().is_some_and(|c| !c.trim().is_empty())
    }
}

/// Why an init failed: `Refused` carries the launcher's own `error` value.
#[derive(Debug)]
pub(crate) enum InitError {
    /// The launcher could not load the code and said why.
    Refused(Value),
    /// Anything else, as a sentence.
    Failed(String),
}

/// Starts the zygote of a runtime that has one (an interpreter started before any `/init`, then
/// handed the action by [`initialize`]); `None` for the native runtime, or when it cannot start.
pub(crate) fn start_zygote(config: &Config) -> Option<Launcher> {
    if !config.runtime.has_zygote() {
        return None;
    }
    let (program, args) = config.runtime.launcher(&config.launcher_dir, &config.action_dir);
    let env = vec![(ZYGOTE_VAR.to_owned(), "1".to_owned())];
    let setup = Setup { program, args, env, dir: PathBuf::from("/"), label: config.runtime.launcher_label() };
    match Launcher::start_zygote(&setup) {
        Ok(zygote) => Some(zygote),
        Err(e) => {
            eprintln!("gust-proxy: cannot start {} ahead of /init: {e}", setup.label);
            None
        }
    }
}

/// Materialises the code, then hands it to the zygote if there is one, or starts the first
/// launcher, and waits for it to load the action.
pub(crate) async fn initialize(config: Config, value: InitValue, zygote: Option<Launcher>) -> Result<Pool, InitError> {
    let env = child_env(&config, &value);
    let deadline = deadline_from(lookup(&env, "__OW_DEADLINE"));
    let concurrency = run::concurrency(
        lookup(&env, "__OW_ALLOW_CONCURRENT").or(std::env::var("__OW_ALLOW_CONCURRENT").ok()).as_deref(),
    );

    let code = code::classify(value.binary, value.code.as_deref().unwrap_or_default()).map_err(InitError::Failed)?;
    let (runtime, dir) = (config.runtime, config.action_dir.clone());
    tokio::task::spawn_blocking(move || code::materialize(runtime, code, &dir))
        .await
        .map_err(|e| InitError::Failed(format!("writing the code failed: {e}")))?
        .map_err(InitError::Failed)?;

    let (program, args) = config.runtime.launcher(&config.launcher_dir, &config.action_dir);
    let setup = Setup { program, args, env, dir: config.action_dir.clone(), label: config.runtime.launcher_label() };
    let first = match zygote {
        Some(zygote) => match zygote.take_action(&init_line(&setup, &value), deadline).await {
            Ok(launcher) => Ok(launcher),
            Err(Unused::NotReady(why)) => Err(why),
            Err(Unused::Unusable(why)) => {
                eprintln!("gust-proxy: the launcher started ahead of /init is unusable ({why}); starting one afresh");
                Launcher::start(&setup, deadline).await
            }
        },
        None => Launcher::start(&setup, deadline).await,
    };
    match first {
        Ok(first) => Ok(Pool::new(setup, first, concurrency)),
        Err(NotReady::Refused(error)) => Err(InitError::Refused(error)),
        Err(NotReady::Failed(why)) => Err(InitError::Failed(why)),
    }
}

/// What a zygote is told instead of being started with `setup`: `{"init": {"dir", "main", "env"}}`
/// and a newline. `env` holds the variables `setup` adds to the proxy's environment (the zygote
/// inherited that environment when it started).
fn init_line(setup: &Setup, value: &InitValue) -> Vec<u8> {
    // Later entries win, as they do in a command's environment.
    let env: serde_json::Map<String, Value> =
        setup.env.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let line = serde_json::json!({ "init": {
        "dir": setup.dir.to_string_lossy(),
        "main": main_name(value),
        "env": env,
    }});
    let mut line = line.to_string().into_bytes();
    line.push(b'\n');
    line
}

/// The entry point an init names, `main` by default.
fn main_name(value: &InitValue) -> &str {
    value.main.as_deref().map(str::trim).filter(|m| !m.is_empty()).unwrap_or("main")
}

/// The variables a launcher gets on top of the proxy's environment.
fn child_env(config: &Config, value: &InitValue) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = value
        .env
        .iter()
        .flatten()
        .map(|(key, value)| (key.clone(), env_string(value)))
        .filter(|(key, value)| !key.is_empty() && !key.contains(['=', '\0']) && !value.contains('\0'))
        .filter(|(key, _)| key != ZYGOTE_VAR)
        .collect();
    let main = main_name(value);
    env.extend([
        ("__OW_WAIT_FOR_ACK".to_owned(), "1".to_owned()),
        ("__OW_PROXY_VERSION".to_owned(), format!("gust-{}", env!("CARGO_PKG_VERSION"))),
        ("GUST_ACTION_DIR".to_owned(), config.action_dir.to_string_lossy().into_owned()),
        ("GUST_MAIN".to_owned(), main.to_owned()),
    ]);
    env
}

/// An env value as OpenWhisk passes it: strings as they are, null as "", the rest as JSON.
fn env_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn lookup(env: &[(String, String)], name: &str) -> Option<String> {
    env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// The instant an epoch-milliseconds deadline (a string or a number) stands for; `DEFAULT_WAIT`
/// from now when there is none.
pub(crate) fn deadline_from(epoch_ms: Option<String>) -> Instant {
    let now = Instant::now();
    let Some(deadline) = epoch_ms.and_then(|v| v.trim().parse::<u64>().ok()).filter(|&ms| ms > 0) else {
        return now + DEFAULT_WAIT;
    };
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    now + Duration::from_millis(u64::try_from(u128::from(deadline).saturating_sub(now_ms)).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::config::Runtime;

    fn config() -> Config {
        Config {
            port: 8080,
            runtime: Runtime::Native,
            action_dir: PathBuf::from("/action"),
            launcher_dir: PathBuf::from("/gust"),
        }
    }

    #[test]
    fn requests_parse_with_defaults() {
        let request: InitRequest = serde_json::from_value(json!({ "value": { "code": "x" } })).unwrap();
        assert!(request.value.has_code());
        assert!(!request.value.binary);
        let empty: InitRequest = serde_json::from_value(json!({ "value": { "code": "  " } })).unwrap();
        assert!(!empty.value.has_code());
        let none: InitRequest = serde_json::from_value(json!({ "value": {} })).unwrap();
        assert!(!none.value.has_code());
    }

    #[test]
    fn the_child_env_carries_init_env_and_the_protocol() {
        let request: InitRequest = serde_json::from_value(json!({ "value": {
            "code": "x", "main": "handler",
            "env": { "__OW_DEADLINE": "5", "N": 3, "NULL": null, "BAD=": "x", "OBJ": { "a": [1] }, "GUST_ZYGOTE": "1" }
        }}))
        .unwrap();
        let env = child_env(&config(), &request.value);
        let get = |name: &str| lookup(&env, name);
        assert_eq!(get("__OW_DEADLINE").as_deref(), Some("5"));
        assert_eq!(get("N").as_deref(), Some("3"));
        assert_eq!(get("NULL").as_deref(), Some(""));
        assert_eq!(get("OBJ").as_deref(), Some(r#"{"a":[1]}"#));
        assert_eq!(get("BAD="), None);
        assert_eq!(get("GUST_ZYGOTE"), None, "reserved for the proxy");
        assert_eq!(get("__OW_WAIT_FOR_ACK").as_deref(), Some("1"));
        assert_eq!(get("GUST_MAIN").as_deref(), Some("handler"));
        assert_eq!(get("GUST_ACTION_DIR").as_deref(), Some("/action"));
        assert!(get("__OW_PROXY_VERSION").is_some_and(|v| v.starts_with("gust-")));
    }

    #[test]
    fn the_zygote_gets_the_child_env_in_its_init_line() {
        let request: InitRequest = serde_json::from_value(json!({ "value": {
            "code": "x", "main": " ", "env": { "A": "1", "GUST_MAIN": "ignored", "N": 2 }
        }}))
        .unwrap();
        let env = child_env(&config(), &request.value);
        let setup =
            Setup { program: PathBuf::from("node"), args: vec![], env, dir: PathBuf::from("/action"), label: "" };
        let line = init_line(&setup, &request.value);
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        let line: Value = serde_json::from_slice(&line).unwrap();
        let env = json!({
            "A": "1", "N": "2", "GUST_MAIN": "main", "GUST_ACTION_DIR": "/action", "__OW_WAIT_FOR_ACK": "1",
            "__OW_PROXY_VERSION": format!("gust-{}", env!("CARGO_PKG_VERSION")),
        });
        assert_eq!(line, json!({ "init": { "dir": "/action", "main": "main", "env": env } }));
    }

    #[test]
    fn deadlines_are_epoch_milliseconds() {
        let now = Instant::now();
        let default = deadline_from(None);
        assert!(default >= now + DEFAULT_WAIT - Duration::from_secs(1));
        let past = deadline_from(Some("1000".to_owned()));
        assert!(past <= Instant::now());
        let in_5s = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 5_000;
        let soon = deadline_from(Some(in_5s.to_string()));
        assert!(soon > now + Duration::from_secs(4) && soon < now + Duration::from_secs(6));
        assert!(deadline_from(Some("soon".to_owned())) >= now + DEFAULT_WAIT - Duration::from_secs(1));
    }
}
