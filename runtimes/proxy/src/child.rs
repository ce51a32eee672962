//! A launcher process: started with the action's environment, parameters in on stdin, results
//! out on file descriptor 3, its stdout and stderr shared with the proxy (the activation logs).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::process::{Child, ChildStdin, Command};
use tokio::time::{Instant, timeout, timeout_at};

/// The descriptor launchers write their results to.
const RESULT_FD: RawFd = 3;
/// How long a launcher that closed its result pipe gets to exit before it is called hung.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// How to start a launcher; the same for every instance of one action.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    /// The program to run.
    pub(crate) program: PathBuf,
    /// Its arguments.
    pub(crate) args: Vec<String>,
    /// Variables added to the proxy's own environment.
    pub(crate) env: Vec<(String, String)>,
    /// Its working directory (the action directory).
    pub(crate) dir: PathBuf,
    /// How error messages name it, e.g. "the Python launcher".
    pub(crate) label: &'static str,
}

/// Why a launcher did not become ready.
#[derive(Debug)]
pub(crate) enum NotReady {
    /// It could not load the action and said so: `{"error": <this>}` on file descriptor 3.
    Refused(Value),
    /// It failed some other way; the text says how.
    Failed(String),
}

/// A running launcher.
#[derive(Debug)]
pub(crate) struct Launcher {
    child: Child,
    stdin: ChildStdin,
    results: BufReader<pipe::Receiver>,
    label: &'static str,
}

impl Launcher {
    /// Starts a launcher and waits until it acknowledges (`{"ok": true}` on file descriptor 3),
    /// or `deadline` passes.
    pub(crate) async fn start(setup: &Setup, deadline: Instant) -> Result<Self, NotReady> {
        let mut launcher = Self::spawn(setup)
            .map_err(|e| NotReady::Failed(format!("cannot start {}: {e}", setup.program.display())))?;
        match launcher.await_ack(deadline).await {
            Ok(()) => Ok(launcher),
            Err(why) => {
                launcher.kill().await;
                Err(why)
            }
        }
    }

    fn spawn(setup: &Setup) -> io::Result<Self> {
        let (reader, writer) = io::pipe()?;
        let mut command = Command::new(&setup.program);
        command
            .args(&setup.args)
            .envs(setup.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&setup.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        hand_over_as_fd3(&mut command, writer.as_raw_fd());
        let spawned = command.spawn();
        // The child has its own copy now; with ours closed, its exit closes the pipe.
        drop(command);
        drop(writer);
        let mut child = spawned?;
        let stdin = child.stdin.take().ok_or_else(|| io::Error::other("the child has no stdin pipe"))?;
        let results = BufReader::new(pipe::Receiver::from_owned_fd(OwnedFd::from(reader))?);
        Ok(Self { child, stdin, results, label: setup.label })
    }

    async fn await_ack(&mut self, deadline: Instant) -> Result<(), NotReady> {
        let line = match timeout_at(deadline, self.read_line()).await {
            Err(_) => return Err(NotReady::Failed(format!("{} was not ready before the deadline", self.label))),
            Ok(Err(e)) => return Err(NotReady::Failed(format!("cannot read from {}: {e}", self.label))),
            Ok(Ok(None)) => return Err(NotReady::Failed(self.exit_description().await)),
            Ok(Ok(Some(line))) => line,
        };
        if let Ok(Value::Object(mut ack)) = serde_json::from_slice::<Value>(&line) {
            if ack.get("ok") == Some(&Value::Bool(true)) {
                return Ok(());
            }
            if let Some(error) = ack.remove("error") {
                return Err(NotReady::Refused(error));
            }
        }
        let shown = String::from_utf8_lossy(&line);
        Err(NotReady::Failed(format!("{} answered {:?} instead of {{\"ok\":true}}", self.label, shown.trim_end())))
    }

    /// Sends one line (which must end with `\n`) and reads the one-line answer; `Err` when the
    /// launcher is gone (its stdin or result pipe closed).
    pub(crate) async fn exchange(&mut self, line: &[u8]) -> io::Result<Vec<u8>> {
        self.stdin.write_all(line).await?;
        self.stdin.flush().await?;
        self.read_line().await?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the result pipe closed"))
    }

    /// One line from file descriptor 3, without its newline; `None` at end of file.
    async fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        if self.results.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        Ok(Some(line))
    }

    /// Says how the launcher ended, once its result pipe is closed.
    async fn exit_description(&mut self) -> String {
        match timeout(EXIT_GRACE, self.child.wait()).await {
            Ok(Ok(status)) => format!("{} {}", self.label, describe(status)),
            Ok(Err(e)) => format!("{} closed its result pipe (cannot wait for it: {e})", self.label),
            Err(_) => {
                self.kill().await;
                format!("{} closed its result pipe without exiting", self.label)
            }
        }
    }

    /// Kills the launcher and reaps it.
    pub(crate) async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// "exited with status 1", "was killed by signal 9".
fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => format!("ended ({status})"),
    }
}

/// Makes `fd` the child's file descriptor 3, left open across `exec`.
#[allow(unsafe_code)]
fn hand_over_as_fd3(command: &mut Command, fd: RawFd) {
    // SAFETY: the closure runs in the forked child between fork and exec, where only
    // async-signal-safe calls are allowed: it calls `dup2` (or `fcntl` when the pipe already is
    // descriptor 3, since `dup2(3, 3)` would leave close-on-exec set) and reads `errno`; it
    // allocates nothing and takes no lock. `fd` stays open in the parent until `spawn` returns.
    unsafe {
        command.pre_exec(move || {
            let rc = if fd == RESULT_FD { libc::fcntl(fd, libc::F_SETFD, 0) } else { libc::dup2(fd, RESULT_FD) };
            if rc == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(script: &str) -> Setup {
        Setup {
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".to_owned(), script.to_owned()],
            env: vec![("GREETING".to_owned(), "hi".to_owned())],
            dir: std::env::temp_dir(),
            label: "the test launcher",
        }
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    #[tokio::test]
    async fn a_launcher_acknowledges_and_answers_on_fd3() {
        let script =
            r#"echo '{"ok":true}' >&3; while read -r line; do echo "{\"got\":$line,\"g\":\"$GREETING\"}" >&3; done"#;
        let mut launcher = Launcher::start(&setup(script), soon()).await.unwrap();
        assert_eq!(launcher.exchange(b"1\n").await.unwrap(), br#"{"got":1,"g":"hi"}"#);
        assert_eq!(launcher.exchange(b"2\n").await.unwrap(), br#"{"got":2,"g":"hi"}"#);
        launcher.kill().await;
    }

    #[tokio::test]
    async fn refusals_exits_and_silence_are_reported() {
        let refused = Launcher::start(&setup(r#"echo '{"error":"no main"}' >&3; exit 1"#), soon()).await;
        assert!(matches!(refused, Err(NotReady::Refused(Value::String(s))) if s == "no main"));
        let exited = Launcher::start(&setup("exit 3"), soon()).await;
        assert!(matches!(exited, Err(NotReady::Failed(s)) if s == "the test launcher exited with status 3"));
        let late = Instant::now() + Duration::from_millis(200);
        let silent = Launcher::start(&setup("sleep 5"), late).await;
        assert!(matches!(silent, Err(NotReady::Failed(s)) if s.contains("before the deadline")));
        let junk = Launcher::start(&setup("echo hello >&3; sleep 5"), soon()).await;
        assert!(matches!(junk, Err(NotReady::Failed(s)) if s.contains("answered \"hello\"")));
    }

    #[tokio::test]
    async fn a_launcher_that_exits_is_gone() {
        let script = r#"echo '{"ok":true}' >&3; read -r line; exit 0"#;
        let mut launcher = Launcher::start(&setup(script), soon()).await.unwrap();
        assert!(launcher.exchange(b"{}\n").await.is_err());
    }
}
