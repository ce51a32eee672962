//! Client settings, like `wsk`'s `~/.wskprops`.
//!
//! Precedence, first found wins: command-line flags (`--apihost`, `--auth`), the environment
//! (`GUST_APIHOST`/`GUST_AUTH`, then `__OW_API_HOST`/`__OW_API_KEY`, which actions see), the
//! props file (`$WSK_CONFIG_FILE` or `~/.wskprops`, `KEY=VALUE` lines), then the defaults:
//! `http://127.0.0.1:3233` and, for a loopback host only, OpenWhisk's public guest key.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::client::ClientError;

/// The API host when none is configured: `gust standalone`'s (and OpenWhisk standalone's) address.
pub const DEFAULT_APIHOST: &str = "http://127.0.0.1:3233";

/// The variables read for the API host, in order.
const APIHOST_VARS: [&str; 2] = ["GUST_APIHOST", "__OW_API_HOST"];
/// The variables read for the credential, in order.
const AUTH_VARS: [&str; 2] = ["GUST_AUTH", "__OW_API_KEY"];
/// The variables read for the namespace, in order.
const NAMESPACE_VARS: [&str; 2] = ["GUST_NAMESPACE", "__OW_NAMESPACE"];

/// What a client needs to reach an API.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// Scheme, host and port, e.g. `http://127.0.0.1:3233` (no `/api/v1`, no trailing slash).
    pub apihost: String,
    /// The credential as `UUID:KEY`.
    pub auth: String,
    /// The namespace to address; `None` means `_`, the credential's own.
    pub namespace: Option<String>,
}

impl std::fmt::Debug for Settings {
    /// Shows everything but the secret part of the credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = self.auth.split(':').next().unwrap_or_default();
        f.debug_struct("Settings")
            .field("apihost", &self.apihost)
            .field("auth", &format!("{user}:***"))
            .field("namespace", &self.namespace)
            .finish()
    }
}

/// Values given on the command line; they override everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--apihost`.
    pub apihost: Option<String>,
    /// `--auth`.
    pub auth: Option<String>,
}

/// The keys of a props file that the client uses (others are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropsFile {
    /// `APIHOST`.
    pub apihost: Option<String>,
    /// `AUTH`.
    pub auth: Option<String>,
    /// `NAMESPACE`.
    pub namespace: Option<String>,
}

impl PropsFile {
    /// Parses `KEY=VALUE` lines; blank lines, `#` comments, lines without `=` and unknown keys
    /// are skipped, empty values count as absent, and a later line wins.
    pub fn parse(text: &str) -> PropsFile {
        let mut props = PropsFile::default();
        for line in text.lines().map(str::trim) {
            if line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else { continue };
            let value = non_empty(Some(value.trim().to_owned()));
            match key.trim().to_ascii_uppercase().as_str() {
                "APIHOST" => props.apihost = value,
                "AUTH" => props.auth = value,
                "NAMESPACE" => props.namespace = value,
                _ => {}
            }
        }
        props
    }

    /// Reads the file at `path`; a missing file is an empty one.
    pub fn read(path: &std::path::Path) -> Result<PropsFile, ClientError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(PropsFile::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PropsFile::default()),
            Err(e) => Err(ClientError::Settings(format!("cannot read {}: {e}", path.display()))),
        }
    }
}

/// Where the props file is: `$WSK_CONFIG_FILE`, else `~/.wskprops` (`None` without a home).
pub fn props_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match non_empty(env("WSK_CONFIG_FILE")) {
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::home_dir().map(|h| h.join(".wskprops")),
    }
}

impl Settings {
    /// Settings for `apihost` (normalised as in a props file) and `auth`, in namespace `_`.
    pub fn new(apihost: &str, auth: &str) -> Settings {
        Settings { apihost: normalize_apihost(apihost), auth: auth.to_owned(), namespace: None }
    }

    /// Resolves the settings from the flags, the process environment and the props file.
    pub fn load(flags: &Overrides) -> Result<Settings, ClientError> {
        let env = |k: &str| std::env::var(k).ok();
        let file = match props_path(&env) {
            Some(path) => PropsFile::read(&path)?,
            None => PropsFile::default(),
        };
        Settings::resolve(flags, &env, &file)
    }

    /// Resolves the settings from explicit sources (`env` looks a variable up); see the module
    /// documentation for the precedence.
    pub fn resolve(
        flags: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
        file: &PropsFile,
    ) -> Result<Settings, ClientError> {
        let from_env = |vars: &[&str]| vars.iter().find_map(|v| non_empty(env(v)));
        let apihost = non_empty(flags.apihost.clone())
            .or_else(|| from_env(&APIHOST_VARS))
            .or_else(|| file.apihost.clone())
            .unwrap_or_else(|| DEFAULT_APIHOST.to_owned());
        let apihost = normalize_apihost(&apihost);
        let auth = non_empty(flags.auth.clone()).or_else(|| from_env(&AUTH_VARS)).or_else(|| file.auth.clone());
        let auth = match auth {
            Some(a) => a,
            None if is_loopback(&apihost) => gust_core::subject::GUEST_AUTH.to_owned(),
            None => {
                return Err(ClientError::Settings(format!(
                    "no credential configured for {apihost}: pass --auth UUID:KEY, export GUST_AUTH=UUID:KEY, \
                     or add a line AUTH=UUID:KEY to ~/.wskprops (or to the file WSK_CONFIG_FILE names)"
                )));
            }
        };
        let namespace = from_env(&NAMESPACE_VARS).or_else(|| file.namespace.clone()).filter(|n| n != "_" && n != "/_");
        let namespace = namespace.map(|n| n.trim_matches('/').to_owned());
        Ok(Settings { apihost, auth, namespace })
    }
}

/// Adds the scheme `wsk` would (`http://` for loopback hosts, `https://` otherwise) and drops
/// a trailing `/` or `/api/v1`.
pub fn normalize_apihost(raw: &str) -> String {
    let mut host = raw.trim().trim_end_matches('/').to_owned();
    if let Some(stripped) = host.strip_suffix("/api/v1") {
        host = stripped.trim_end_matches('/').to_owned();
    }
    if host.contains("://") {
        return host;
    }
    // A bare IPv6 address (`::1`) needs brackets in a URL.
    if host.matches(':').count() > 1 && !host.starts_with('[') {
        host = format!("[{host}]");
    }
    let scheme = if is_loopback(&host) { "http" } else { "https" };
    format!("{scheme}://{host}")
}

/// True when the host of `apihost` (with or without scheme and port) is `localhost` or a
/// loopback address.
pub fn is_loopback(apihost: &str) -> bool {
    let rest = apihost.split_once("://").map_or(apihost, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else if authority.matches(':').count() > 1 {
        authority
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const GUEST: &str = gust_core::subject::GUEST_AUTH;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k: &str| map.get(k).cloned()
    }

    fn resolve(flags: Overrides, vars: &[(&str, &str)], file: &str) -> Result<Settings, ClientError> {
        Settings::resolve(&flags, &env(vars), &PropsFile::parse(file))
    }

    #[test]
    fn parses_props_lines_skipping_comments_and_unknown_keys() {
        let p = PropsFile::parse(
            "# wsk props\nAPIHOST=example.com:443\n\nAUTH = u:k \nAPIGW_ACCESS_TOKEN=x\nnonsense\nNAMESPACE=\n",
        );
        assert_eq!(p, PropsFile { apihost: Some("example.com:443".into()), auth: Some("u:k".into()), namespace: None });
    }

    #[test]
    fn later_lines_win_and_values_may_hold_equals_signs() {
        let p = PropsFile::parse("AUTH=a:b\nAUTH=c:d==\n");
        assert_eq!(p.auth.as_deref(), Some("c:d=="));
    }

    #[test]
    fn defaults_to_the_local_standalone_with_the_guest_key() {
        let s = resolve(Overrides::default(), &[], "").unwrap();
        assert_eq!(s, Settings { apihost: DEFAULT_APIHOST.into(), auth: GUEST.into(), namespace: None });
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file() {
        let file = "APIHOST=file.example\nAUTH=file:key\n";
        let vars = [("GUST_APIHOST", "env.example"), ("GUST_AUTH", "env:key")];
        let flags = Overrides { apihost: Some("flag.example".into()), auth: Some("flag:key".into()) };
        let s = resolve(flags, &vars, file).unwrap();
        assert_eq!((s.apihost.as_str(), s.auth.as_str()), ("https://flag.example", "flag:key"));
        let s = resolve(Overrides::default(), &vars, file).unwrap();
        assert_eq!((s.apihost.as_str(), s.auth.as_str()), ("https://env.example", "env:key"));
        let s = resolve(Overrides::default(), &[], file).unwrap();
        assert_eq!((s.apihost.as_str(), s.auth.as_str()), ("https://file.example", "file:key"));
    }

    #[test]
    fn gust_variables_beat_the_action_variables() {
        let vars = [("__OW_API_HOST", "http://ow:1"), ("__OW_API_KEY", "ow:key"), ("GUST_AUTH", "gust:key")];
        let s = resolve(Overrides::default(), &vars, "").unwrap();
        assert_eq!((s.apihost.as_str(), s.auth.as_str()), ("http://ow:1", "gust:key"));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let flags = Overrides { apihost: Some(" ".into()), auth: Some(String::new()) };
        let s = resolve(flags, &[("GUST_AUTH", "")], "AUTH=file:key").unwrap();
        assert_eq!((s.apihost.as_str(), s.auth.as_str()), (DEFAULT_APIHOST, "file:key"));
    }

    #[test]
    fn a_remote_host_without_a_credential_is_an_error_that_says_how_to_fix_it() {
        let err = resolve(Overrides::default(), &[], "APIHOST=openwhisk.example.com").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ClientError::Settings(_)));
        assert!(msg.contains("https://openwhisk.example.com") && msg.contains("AUTH=UUID:KEY"), "{msg}");
        assert!(msg.contains("--auth") && msg.contains("GUST_AUTH"), "{msg}");
    }

    #[test]
    fn a_loopback_host_without_a_credential_gets_the_guest_key() {
        for host in ["localhost:3233", "127.0.0.2", "http://[::1]:3233", "::1"] {
            let s = resolve(Overrides { apihost: Some(host.into()), auth: None }, &[], "").unwrap();
            assert_eq!(s.auth, GUEST, "{host}");
        }
    }

    #[test]
    fn the_namespace_comes_from_the_environment_or_the_file() {
        assert_eq!(resolve(Overrides::default(), &[], "NAMESPACE=team").unwrap().namespace.as_deref(), Some("team"));
        let vars = [("__OW_NAMESPACE", "/other")];
        assert_eq!(resolve(Overrides::default(), &vars, "NAMESPACE=team").unwrap().namespace.as_deref(), Some("other"));
        assert_eq!(resolve(Overrides::default(), &[], "NAMESPACE=_").unwrap().namespace, None);
    }

    #[test]
    fn hosts_without_a_scheme_get_wsk_defaults() {
        assert_eq!(normalize_apihost("127.0.0.1:3233"), "http://127.0.0.1:3233");
        assert_eq!(normalize_apihost("localhost"), "http://localhost");
        assert_eq!(normalize_apihost("::1"), "http://[::1]");
        assert_eq!(normalize_apihost("[::1]:3233"), "http://[::1]:3233");
        assert_eq!(normalize_apihost("openwhisk.ng.bluemix.net"), "https://openwhisk.ng.bluemix.net");
        assert_eq!(normalize_apihost("10.0.0.5:3233/"), "https://10.0.0.5:3233");
        assert_eq!(normalize_apihost("http://example.com/api/v1/"), "http://example.com");
        assert_eq!(normalize_apihost(" https://127.0.0.1 "), "https://127.0.0.1");
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("http://127.0.0.1:3233"));
        assert!(is_loopback("LOCALHOST"));
        assert!(is_loopback("http://user@[::1]:80/x"));
        assert!(!is_loopback("https://example.com"));
        assert!(!is_loopback("http://10.1.2.3:3233"));
        assert!(!is_loopback("http://localhost.example.com"));
    }

    #[test]
    fn the_props_path_is_wsk_config_file_or_the_home_file() {
        let p = props_path(&env(&[("WSK_CONFIG_FILE", "/tmp/props")]));
        assert_eq!(p, Some(PathBuf::from("/tmp/props")));
        let home = props_path(&env(&[]));
        assert!(home.is_none_or(|h| h.ends_with(".wskprops")));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let s = Settings::new("localhost:3233", "user:secret");
        let shown = format!("{s:?}");
        assert!(shown.contains("user:***") && !shown.contains("secret"), "{shown}");
    }
}
