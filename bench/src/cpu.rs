//! How much CPU other processes took during a cell: busy time of the whole machine (/proc/stat)
//! minus that of the bench, its reaped children (`wasmtime run`) and the server it drives; in
//! the Docker cells, minus the Docker engine and the containers too (cpu_tree.rs).

use std::sync::Arc;

use crate::cpu_tree::TreeSampler;

/// Clock ticks per second of /proc counters (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// Counters at one instant, in clock ticks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Snapshot {
    machine_busy: u64,
    ours: u64,
    at: std::time::Instant,
}

/// Takes snapshots counting `pids` (the server) as ours, besides this process.
#[derive(Debug, Clone, Default)]
pub(crate) struct CpuProbe {
    pids: Vec<u32>,
    /// Docker cells: whole process trees, the engine's included.
    trees: Option<Arc<TreeSampler>>,
}

impl CpuProbe {
    /// A probe that also counts these processes as the bench's own.
    pub(crate) fn with_pids(pids: Vec<u32>) -> Self {
        Self { pids, trees: None }
    }

    /// A probe for the Docker cells: also counts the trees of `pids`, of the Docker engine and
    /// of every container shim (other deployments' containers included), sampled in a thread.
    pub(crate) fn with_docker(pids: Vec<u32>) -> Self {
        let trees = Some(Arc::new(TreeSampler::start(&pids)));
        Self { pids, trees }
    }

    /// The counters now, or `None` off Linux.
    pub(crate) fn snapshot(&self) -> Option<Snapshot> {
        let machine_busy = machine_busy()?;
        let ours = match &self.trees {
            Some(t) => t.ticks(),
            None => {
                let mut ours = process_ticks("self", true)?;
                for pid in &self.pids {
                    ours += process_ticks(&pid.to_string(), false).unwrap_or(0);
                }
                ours
            }
        };
        Some(Snapshot { machine_busy, ours, at: std::time::Instant::now() })
    }
}

/// The share of the machine's CPU capacity (all CPUs) other processes used between two snapshots.
pub(crate) fn others_share(a: Snapshot, b: Snapshot, cpus: usize) -> Option<f64> {
    let capacity = b.at.duration_since(a.at).as_secs_f64() * TICKS_PER_SECOND * cpus as f64;
    if capacity <= 0.0 {
        return None;
    }
    let busy = b.machine_busy.saturating_sub(a.machine_busy);
    let ours = b.ours.saturating_sub(a.ours);
    Some((busy.saturating_sub(ours) as f64 / capacity).clamp(0.0, 1.0))
}

/// user + nice + system + irq + softirq + steal of the `cpu` line of /proc/stat.
fn machine_busy() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal
    Some(v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7).copied().unwrap_or(0))
}

/// utime + stime (+ cutime + cstime when `children`) of /proc/<pid>/stat.
fn process_ticks(pid: &str, children: bool) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_pid_stat(&text, children)
}

fn parse_pid_stat(text: &str, children: bool) -> Option<u64> {
    // The command name is in parentheses and may contain spaces: count fields after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17) => indices 11..=14.
    let n = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
    let own = n(11)? + n(12)?;
    Some(if children { own + n(13)? + n(14)? } else { own })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "cpu  100 5 50 1000 7 3 2 1 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        assert_eq!(parse_stat(stat), Some(100 + 5 + 50 + 3 + 2 + 1));
        let pid = "42 (tokio (rt) w) S 1 42 42 0 -1 4194304 10 0 0 0 70 30 4 6 20 0 8 0 1 2 3";
        assert_eq!(parse_pid_stat(pid, false), Some(100));
        assert_eq!(parse_pid_stat(pid, true), Some(110));
        assert!(CpuProbe::default().snapshot().is_some());
    }

    #[test]
    fn share_of_capacity() {
        let at = std::time::Instant::now();
        let a = Snapshot { machine_busy: 0, ours: 0, at };
        let b = Snapshot { machine_busy: 300, ours: 200, at: at + std::time::Duration::from_secs(5) };
        // 100 foreign ticks out of 5 s x 100 ticks x 2 CPUs.
        assert!((others_share(a, b, 2).unwrap() - 0.1).abs() < 1e-9);
    }
}
