//! A launcher process: started with the action's environment, parameters in on stdin, results
//! out on file descriptor 3, its stdout and stderr shared with the proxy (the activation logs).
//!
//! A zygote is a launcher started before there is an action (`GUST_ZYGOTE=1`): it says
//! `{"ready": true}` on file descriptor 3 once its interpreter is up, then waits for one stdin
//! line naming the action's directory, main and environment, and goes on like any launcher.

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

/// The variable that starts a launcher as a zygote (`1`). A launcher gets it only from its
/// `Setup`, never from the proxy's own environment.
pub(crate) const ZYGOTE_VAR: &str = "GUST_ZYGOTE";
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

/// Why a zygote did not take the action.
#[derive(Debug)]
pub(crate) enum Unused {
    /// It died or never got ready, and has not seen the action: start a launcher the normal way.
    Unusable(String),
    /// It did not take the action in time, or it took it and failed to load it: final.
    NotReady(NotReady),
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
            .env_remove(ZYGOTE_VAR)
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

    /// Starts a zygote: a launcher with `setup` (whose env should hold `GUST_ZYGOTE=1`) that
    /// has no action yet. Its `{"ready": true}` is read by [`Launcher::take_action`].
    pub(crate) fn start_zygote(setup: &Setup) -> io::Result<Self> {
        Self::spawn(setup)
    }

    /// Hands an action to a zygote: waits (until `deadline`) for its `{"ready": true}`, sends
    /// `init_line` (one line, ending with `\n`), and waits for the acknowledgement as
    /// [`Launcher::start`] does. A zygote that is gone, or said something else than ready, is
    /// killed and reported [`Unused::Unusable`]: it never saw the action.
    pub(crate) async fn take_action(mut self, init_line: &[u8], deadline: Instant) -> Result<Self, Unused> {
        let ready = match self.await_line(deadline, "{\"ready\":true}").await {
            Ok(line) if is_true(&line, "ready") => Ok(()),
            Ok(line) => Err(Unused::Unusable(self.unexpected(&line, "{\"ready\":true}"))),
            Err(why @ Waited::Late(_)) => Err(Unused::NotReady(NotReady::Failed(why.into()))),
            Err(why) => Err(Unused::Unusable(why.into())),
        };
        if let Err(unused) = ready {
            self.kill().await;
            return Err(unused);
        }
        // Still there? (A zygote that died after saying ready has not seen the action either.)
        if let Ok(Some(status)) = self.child.try_wait() {
            return Err(Unused::Unusable(format!("{} {}", self.label, describe(status))));
        }
        if let Err(e) = self.send(init_line).await {
            let why = format!("cannot hand the action to {}: {e}", self.label);
            self.kill().await;
            return Err(Unused::Unusable(why));
        }
        match self.await_ack(deadline).await {
            Ok(()) => Ok(self),
            Err(why) => {
                self.kill().await;
                Err(Unused::NotReady(why))
            }
        }
    }

    async fn await_ack(&mut self, deadline: Instant) -> Result<(), NotReady> {
        let line = self.await_line(deadline, "{\"ok\":true}").await.map_err(|why| NotReady::Failed(why.into()))?;
        if let Ok(Value::Object(mut ack)) = serde_json::from_slice::<Value>(&line) {
            if ack.get("ok") == Some(&Value::Bool(true)) {
                return Ok(());
            }
            if let Some(error) = ack.remove("error") {
                return Err(NotReady::Refused(error));
            }
        }
        Err(NotReady::Failed(self.unexpected(&line, "{\"ok\":true}")))
    }

    /// The first line on file descriptor 3 (an acknowledgement or a zygote's ready line).
    async fn await_line(&mut self, deadline: Instant, wanted: &str) -> Result<Vec<u8>, Waited> {
        match timeout_at(deadline, self.read_line()).await {
            Err(_) => Err(Waited::Late(format!("{} was not ready before the deadline", self.label))),
            Ok(Err(e)) => Err(Waited::Broken(format!("cannot read {wanted} from {}: {e}", self.label))),
            Ok(Ok(None)) => Err(Waited::Broken(self.exit_description().await)),
            Ok(Ok(Some(line))) => Ok(line),
        }
    }

    fn unexpected(&self, line: &[u8], wanted: &str) -> String {
        let shown = String::from_utf8_lossy(line);
        format!("{} answered {:?} instead of {wanted}", self.label, shown.trim_end())
    }

    /// Sends one line (which must end with `\n`) and reads the one-line answer; `Err` when the
    /// launcher is gone (its stdin or result pipe closed).
    pub(crate) async fn exchange(&mut self, line: &[u8]) -> io::Result<Vec<u8>> {
        self.send(line).await?;
        self.read_line().await?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the result pipe closed"))
    }

    async fn send(&mut self, line: &[u8]) -> io::Result<()> {
        self.stdin.write_all(line).await?;
        self.stdin.flush().await
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

/// How waiting for a launcher's first line went wrong.
#[derive(Debug)]
enum Waited {
    /// The deadline passed.
    Late(String),
    /// It exited, or its result pipe failed.
    Broken(String),
}

impl From<Waited> for String {
    fn from(waited: Waited) -> Self {
        match waited {
            Waited::Late(why) | Waited::Broken(why) => why,
        }
    }
}

/// Whether `line` is a JSON object whose `key` is `true`.
fn is_true(line: &[u8], key: &str) -> bool {
    matches!(serde_json::from_slice::<Value>(line), Ok(Value::Object(o)) if o.get(key) == Some(&Value::Bool(true)))
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

    /// A zygote script: `before` runs first (it should say ready), then the init line is read,
    /// then `after` runs with the line in `$init`.
    fn zygote(before: &str, after: &str) -> Launcher {
        let script = format!("{before}; IFS= read -r init; {after}");
        Launcher::start_zygote(&setup(&script)).unwrap()
    }

    #[tokio::test]
    async fn a_zygote_says_ready_then_takes_the_action() {
        let after = r#"echo '{"ok":true}' >&3; while read -r line; do echo "{\"init\":$init,\"run\":$line}" >&3; done"#;
        let z = zygote(r#"echo '{"ready":true}' >&3"#, after);
        let mut launcher = z.take_action(b"{\"dir\":\"/x\"}\n", soon()).await.unwrap();
        assert_eq!(launcher.exchange(b"1\n").await.unwrap(), br#"{"init":{"dir":"/x"},"run":1}"#);
        launcher.kill().await;
    }

    #[tokio::test]
    async fn a_zygote_that_refuses_the_action_is_final() {
        let z = zygote(r#"echo '{"ready":true}' >&3"#, r#"echo '{"error":"no main"}' >&3; exit 1"#);
        let refused = z.take_action(b"{}\n", soon()).await;
        assert!(matches!(refused, Err(Unused::NotReady(NotReady::Refused(Value::String(s)))) if s == "no main"));
        let z = zygote(r#"echo '{"ready":true}' >&3"#, "exit 4");
        let exited = z.take_action(b"{}\n", soon()).await;
        assert!(matches!(exited, Err(Unused::NotReady(NotReady::Failed(s))) if s.ends_with("exited with status 4")));
    }

    #[tokio::test]
    async fn a_zygote_that_died_or_never_got_ready_is_unusable() {
        let died = zygote("exit 2", "").take_action(b"{}\n", soon()).await;
        assert!(matches!(died, Err(Unused::Unusable(s)) if s == "the test launcher exited with status 2"));
        let junk = zygote("echo hello >&3; sleep 5", "").take_action(b"{}\n", soon()).await;
        assert!(
            matches!(junk, Err(Unused::Unusable(s)) if s.contains(r#"answered "hello" instead of {"ready":true}"#))
        );
        // Ready, then gone before the action arrives.
        let z = zygote(r#"echo '{"ready":true}' >&3; exit 5"#, "");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let gone = z.take_action(b"{}\n", soon()).await;
        assert!(matches!(gone, Err(Unused::Unusable(s)) if s == "the test launcher exited with status 5"));
    }

    #[tokio::test]
    async fn a_zygote_is_waited_for_until_the_deadline() {
        let late = Instant::now() + Duration::from_millis(200);
        let slow = zygote("sleep 5", "").take_action(b"{}\n", late).await;
        assert!(matches!(slow, Err(Unused::NotReady(NotReady::Failed(s))) if s.contains("before the deadline")));
        let slow_load = zygote(r#"echo '{"ready":true}' >&3"#, "sleep 5").take_action(b"{}\n", late).await;
        assert!(matches!(slow_load, Err(Unused::NotReady(NotReady::Failed(s))) if s.contains("before the deadline")));
        let z = zygote(r#"sleep 0.3; echo '{"ready":true}' >&3"#, r#"echo '{"ok":true}' >&3; sleep 5"#);
        let mut launcher = z.take_action(b"{}\n", soon()).await.unwrap();
        launcher.kill().await;
    }
}
