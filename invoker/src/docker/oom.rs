//! Out-of-memory detection. The kernel usually kills the action's process, not the container's
//! main one, so the container keeps running and its inspect state says nothing; the daemon's
//! `oom` events (from the container's memory cgroup) do say it, so they are followed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use futures::StreamExt;

use super::client::Docker;

/// Containers that hit their memory limit, by id.
pub(crate) struct OomWatch {
    seen: Arc<DashMap<String, Instant>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OomWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OomWatch {
    /// Follows the daemon's `oom` events of this invoker's containers.
    pub(crate) fn start(docker: &Docker) -> OomWatch {
        let seen: Arc<DashMap<String, Instant>> = Arc::default();
        let (docker, map) = (docker.clone(), seen.clone());
        let task = tokio::spawn(async move {
            loop {
                let mut events = docker.oom_events();
                while let Some(id) = events.next().await {
                    tracing::debug!(container = %id, "Container hit its memory limit.");
                    if map.len() > 10_000 {
                        // Containers are long gone after an hour.
                        map.retain(|_, at| at.elapsed() < Duration::from_secs(3600));
                    }
                    map.insert(id, Instant::now());
                }
                // The event stream broke (daemon restart): follow it again.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        OomWatch { seen, task }
    }

    /// True if container `id` ran out of memory (waiting briefly for the event to arrive).
    pub(crate) async fn killed(&self, docker: &Docker, id: &str) -> bool {
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            if self.seen.contains_key(id) {
                return true;
            }
            if Instant::now() >= deadline {
                return docker.oom_killed(id).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
