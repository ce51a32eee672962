//! The CPU the bench's own process trees used, for the Docker cells: this process, its server,
//! the Docker engine (`dockerd`, `containerd`) and every container shim with what runs under it
//! (`runc`, the container's processes). A thread rescans /proc every 100 ms so that short-lived
//! processes (a `docker run --rm` container and its shim) are seen before they go.
//!
//! The sum is kept per process (pid and start time): what each used since it was first seen,
//! from zero for a process born meanwhile. A process that dies is counted by its parent's
//! children time when the parent is in the trees (what was counted for it is taken back);
//! otherwise (a shim, whose parent is init) what it used after the last scan is missed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the thread rescans.
const PERIOD: Duration = Duration::from_millis(100);

/// Processes that are roots of a tree besides the bench and its server, by command name (the
/// kernel keeps 15 bytes of it: `containerd-shim-runc-v2` is `containerd-shim`).
fn is_docker_root(comm: &str) -> bool {
    comm == "dockerd" || comm == "containerd" || comm.starts_with("containerd-shim")
}

/// One line of /proc/<pid>/stat, the fields we use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProcStat {
    pid: u32,
    comm: String,
    ppid: u32,
    /// utime + stime + cutime + cstime, clock ticks.
    total: u64,
    /// Clock ticks after boot when it started.
    start: u64,
}

fn parse(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_owned();
    let f: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // After ')': state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17) ... starttime(22).
    let n = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
    Some(ProcStat {
        pid,
        comm,
        ppid: u32::try_from(n(1)?).ok()?,
        total: n(11)? + n(12)? + n(13)? + n(14)?,
        start: n(19)?,
    })
}

fn read_all() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return vec![] };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|t| parse(&t))
        .collect()
}

/// Clock ticks since boot, from /proc/uptime.
fn uptime_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some((secs * 100.0) as u64)
}

/// The running sum.
#[derive(Debug)]
struct Tally {
    roots: Vec<u32>,
    /// Processes born before this were running when counting began: their past is not counted.
    since: u64,
    /// The trees' processes at the last scan, by (pid, start): their parent and total.
    seen: HashMap<(u32, u64), (u32, u64)>,
    ours: i64,
}

impl Tally {
    fn new(roots: Vec<u32>) -> Self {
        let mut t = Self { roots, since: uptime_ticks().unwrap_or(0), seen: HashMap::new(), ours: 0 };
        t.scan();
        t.ours = 0;
        t
    }

    /// The processes of the trees now.
    fn trees(&self, all: Vec<ProcStat>) -> HashMap<(u32, u64), (u32, u64)> {
        let mut children: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, p) in all.iter().enumerate() {
            children.entry(p.ppid).or_default().push(i);
        }
        let mut stack: Vec<usize> = all
            .iter()
            .enumerate()
            .filter(|(_, p)| self.roots.contains(&p.pid) || is_docker_root(&p.comm))
            .map(|(i, _)| i)
            .collect();
        let mut ours = HashSet::new();
        while let Some(i) = stack.pop() {
            if ours.insert(i)
                && let Some(c) = children.get(&all[i].pid)
            {
                stack.extend(c.iter().copied());
            }
        }
        ours.into_iter().map(|i| ((all[i].pid, all[i].start), (all[i].ppid, all[i].total))).collect()
    }

    fn scan(&mut self) {
        let now = self.trees(read_all());
        let alive: HashSet<u32> = now.keys().map(|(pid, _)| *pid).collect();
        let mut delta: i64 = 0;
        for (key, &(_, total)) in &now {
            let before = match self.seen.get(key) {
                Some(&(_, t)) => t,
                // Born before counting began: only what it uses from now on counts.
                None if key.1 < self.since => total,
                None => 0,
            };
            delta += total as i64 - before as i64;
        }
        for (key, &(ppid, total)) in &self.seen {
            // Gone, reaped by a parent in the trees: its whole life arrives in the parent's
            // children time, so what was counted for it so far is taken back.
            if !now.contains_key(key) && alive.contains(&ppid) {
                delta -= total as i64;
            }
        }
        self.ours += delta;
        self.seen = now;
    }
}

/// Counts the trees in a background thread until dropped.
#[derive(Debug)]
pub(crate) struct TreeSampler {
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TreeSampler {
    /// Starts counting the trees of this process, `pids`, and the Docker engine's processes.
    pub(crate) fn start(pids: &[u32]) -> Self {
        let mut roots = vec![std::process::id()];
        roots.extend_from_slice(pids);
        let tally = Arc::new(Mutex::new(Tally::new(roots)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (tally, stop) = (tally.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(PERIOD);
                    tally.lock().unwrap_or_else(PoisonError::into_inner).scan();
                }
            })
        };
        Self { tally, stop, thread: Some(thread) }
    }

    /// Clock ticks the trees used since counting began (rescanned now).
    pub(crate) fn ticks(&self) -> u64 {
        let mut t = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        t.scan();
        u64::try_from(t.ours.max(0)).unwrap_or(0)
    }
}

impl Drop for TreeSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_stat_line() {
        let line = "42 (containerd-shim) S 1 42 42 0 -1 4194304 10 0 0 0 70 30 4 6 20 0 8 0 12345 2 3";
        let p = parse(line).unwrap();
        assert_eq!(p, ProcStat { pid: 42, comm: "containerd-shim".into(), ppid: 1, total: 110, start: 12345 });
        assert!(is_docker_root(&p.comm));
        assert!(!is_docker_root("node"));
    }

    #[test]
    fn counts_a_child_that_burns_cpu_and_exits() {
        let sampler = TreeSampler::start(&[]);
        let before = sampler.ticks();
        // A child doing ~0.3 s of CPU work, reaped by this process: its time arrives in ours.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
            .status()
            .unwrap();
        assert!(status.success());
        let used = sampler.ticks().saturating_sub(before);
        assert!(used >= 10, "{used} ticks");
    }
}
