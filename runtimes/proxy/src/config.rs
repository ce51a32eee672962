//! What the proxy learns from its container's environment.

use std::path::{Path, PathBuf};

/// The port the proxy listens on unless `GUST_PROXY_PORT` says otherwise.
const DEFAULT_PORT: u16 = 8080;
/// Where the action's code is materialised unless `GUST_ACTION_DIR` says otherwise.
const DEFAULT_ACTION_DIR: &str = "/action";
/// Where the images keep the launchers unless `GUST_LAUNCHER_DIR` says otherwise.
const DEFAULT_LAUNCHER_DIR: &str = "/gust";

/// The language runtime of an image, from `GUST_RUNTIME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runtime {
    /// Python 3: `__main__.py`, run by `python3 -u <launcher dir>/launcher.py`.
    Python,
    /// Node.js: `index.js` (or a package), run by `node <launcher dir>/launcher.js`.
    Nodejs,
    /// Any executable: the action's own `exec` speaks the actionloop protocol.
    Native,
}

impl Runtime {
    /// Reads a `GUST_RUNTIME` value.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name.trim() {
            "python" => Some(Self::Python),
            "nodejs" => Some(Self::Nodejs),
            "native" => Some(Self::Native),
            _ => None,
        }
    }

    /// The file that plain-text code is written to, inside the action directory.
    pub(crate) fn source_file(self) -> &'static str {
        match self {
            Self::Python => "__main__.py",
            Self::Nodejs => "index.js",
            Self::Native => "exec",
        }
    }

    /// How error messages name the long-lived process.
    pub(crate) fn launcher_label(self) -> &'static str {
        match self {
            Self::Python => "the Python launcher",
            Self::Nodejs => "the Node.js launcher",
            Self::Native => "the action's exec",
        }
    }

    /// Whether the launcher is an interpreter that can be started before the action exists (a
    /// zygote); not the native runtime, whose launcher is the action itself.
    pub(crate) fn has_zygote(self) -> bool {
        matches!(self, Self::Python | Self::Nodejs)
    }

    /// The program and arguments that serve the action in `action_dir`.
    pub(crate) fn launcher(self, launcher_dir: &Path, action_dir: &Path) -> (PathBuf, Vec<String>) {
        let script = |name: &str| launcher_dir.join(name).to_string_lossy().into_owned();
        match self {
            Self::Python => (PathBuf::from("python3"), vec!["-u".to_owned(), script("launcher.py")]),
            Self::Nodejs => (PathBuf::from("node"), vec![script("launcher.js")]),
            Self::Native => (action_dir.join("exec"), Vec::new()),
        }
    }
}

/// The proxy's settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `GUST_PROXY_PORT` (8080).
    pub(crate) port: u16,
    /// `GUST_RUNTIME`.
    pub(crate) runtime: Runtime,
    /// `GUST_ACTION_DIR` (`/action`).
    pub(crate) action_dir: PathBuf,
    /// `GUST_LAUNCHER_DIR` (`/gust`).
    pub(crate) launcher_dir: PathBuf,
}

impl Config {
    /// Reads the settings from the process environment.
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings from any variable lookup.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let runtime = match lookup("GUST_RUNTIME") {
            Some(name) => Runtime::parse(&name)
                .ok_or_else(|| format!("GUST_RUNTIME={name:?} is not one of python, nodejs, native"))?,
            None => return Err("GUST_RUNTIME is not set (python, nodejs or native)".to_owned()),
        };
        let port = match lookup("GUST_PROXY_PORT") {
            Some(port) => port.trim().parse().map_err(|_| format!("GUST_PROXY_PORT={port:?} is not a port number"))?,
            None => DEFAULT_PORT,
        };
        let dir = |name: &str, default: &str| {
            lookup(name).filter(|v| !v.is_empty()).map_or_else(|| PathBuf::from(default), PathBuf::from)
        };
        Ok(Self {
            port,
            runtime,
            action_dir: dir("GUST_ACTION_DIR", DEFAULT_ACTION_DIR),
            launcher_dir: dir("GUST_LAUNCHER_DIR", DEFAULT_LAUNCHER_DIR),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn defaults_apply() -> Result<(), String> {
        let c = config(&[("GUST_RUNTIME", "nodejs")])?;
        assert_eq!((c.port, c.runtime), (8080, Runtime::Nodejs));
        assert_eq!(c.action_dir, PathBuf::from("/action"));
        assert_eq!(c.launcher_dir, PathBuf::from("/gust"));
        Ok(())
    }

    #[test]
    fn bad_settings_are_reported() {
        assert!(config(&[]).is_err());
        assert!(config(&[("GUST_RUNTIME", "java")]).is_err());
        assert!(config(&[("GUST_RUNTIME", "native"), ("GUST_PROXY_PORT", "x")]).is_err());
    }

    #[test]
    fn launchers_per_runtime() {
        let (dir, action) = (Path::new("/gust"), Path::new("/action"));
        let (program, args) = Runtime::Python.launcher(dir, action);
        assert_eq!((program, args), (PathBuf::from("python3"), vec!["-u".to_owned(), "/gust/launcher.py".to_owned()]));
        assert_eq!(Runtime::Native.launcher(dir, action).0, PathBuf::from("/action/exec"));
    }
}
