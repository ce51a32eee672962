//! Waiting for a deployment's Node.js stem cells through `docker ps`, between the samples of
//! (g) and before the warm cells, so that no container starts while the bench measures.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::docker_cli::{DockerCli, Listed};

/// The stem cells' names end so (`gust_<instance>_<slot>_prewarm_nodejs18`).
const STEM_SUFFIX: &str = "_prewarm_nodejs18";
/// A stem cell counts as ready once seen running this long, and the set of them unchanged.
pub(crate) const SETTLED: Duration = Duration::from_secs(1);
/// How long the pool may take to refill its stem cells.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Between polls of `docker ps` (each one costs the CLI's start-up and a daemon call).
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// Watches the deployment's Node.js stem cells through `docker ps`. A used stem cell keeps its
/// `_prewarm_` name, so "ready" is: at least `min` such containers, all running (or paused) for
/// [`SETTLED`] as seen from here, and none added or gone for as long (a refill under way shows
/// as a new name).
#[derive(Debug, Default)]
pub(crate) struct StemCells {
    running_since: HashMap<String, Instant>,
    names: BTreeSet<String>,
    changed: Option<Instant>,
}

impl StemCells {
    /// How many `_prewarm_nodejs18` containers exist (idle stem cells and used ones).
    pub(crate) fn count(&self) -> usize {
        self.names.len()
    }

    /// Waits until the stem cells are ready (see above); returns how long that took.
    pub(crate) async fn settle(&mut self, docker: &DockerCli, instance: &str, min: usize) -> anyhow::Result<Duration> {
        let begin = Instant::now();
        loop {
            let list = docker.containers(instance).await?;
            let now = Instant::now();
            if self.observe(&list, now, min) {
                return Ok(begin.elapsed());
            }
            if begin.elapsed() > SETTLE_TIMEOUT {
                let seen: Vec<String> = list.iter().map(|c| format!("{} ({})", c.name, c.state)).collect();
                bail!(
                    "the pool did not have {min} settled Node.js stem cells within {SETTLE_TIMEOUT:?}; containers: {}",
                    seen.join(", ")
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Takes one listing in; whether the stem cells are ready.
    fn observe(&mut self, list: &[Listed], now: Instant, min: usize) -> bool {
        let cells: Vec<&Listed> = list.iter().filter(|c| c.name.ends_with(STEM_SUFFIX)).collect();
        let names: BTreeSet<String> = cells.iter().map(|c| c.name.clone()).collect();
        if names != self.names || self.changed.is_none() {
            self.names = names;
            self.changed = Some(now);
        }
        let mut all_up = true;
        for c in &cells {
            if c.state == "running" || c.state == "paused" {
                let since = *self.running_since.entry(c.name.clone()).or_insert(now);
                all_up &= now.duration_since(since) >= SETTLED;
            } else {
                all_up = false;
            }
        }
        let quiet = self.changed.is_some_and(|t| now.duration_since(t) >= SETTLED);
        cells.len() >= min && all_up && quiet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str, state: &str) -> Listed {
        Listed { name: name.into(), state: state.into() }
    }

    #[test]
    fn stem_cells_are_ready_once_running_and_quiet() {
        let mut w = StemCells::default();
        let t0 = Instant::now();
        let two = [listed("gust_x_1_prewarm_nodejs18", "running"), listed("gust_x_2_prewarm_nodejs18", "created")];
        assert!(!w.observe(&two, t0, 2));
        let two = [listed("gust_x_1_prewarm_nodejs18", "running"), listed("gust_x_2_prewarm_nodejs18", "running")];
        assert!(!w.observe(&two, t0 + Duration::from_millis(500), 2), "the second one just started");
        assert!(w.observe(&two, t0 + Duration::from_millis(1600), 2));
        // One taken (it keeps its name), the refill appears: not ready until it ran 1 s.
        let mut three = two.to_vec();
        three.push(listed("gust_x_5_prewarm_python311", "running"));
        three.push(listed("gust_x_6_prewarm_nodejs18", "running"));
        assert!(!w.observe(&three, t0 + Duration::from_millis(1700), 3));
        assert!(!w.observe(&three, t0 + Duration::from_millis(2200), 3));
        assert!(w.observe(&three, t0 + Duration::from_millis(2800), 3));
        assert_eq!(w.count(), 3);
        // Fewer than asked for: the refill has not shown up yet.
        assert!(!w.observe(&three, t0 + Duration::from_millis(5000), 4));
    }
}
