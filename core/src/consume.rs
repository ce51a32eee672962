//! Consuming a topic with bounded concurrency, as invokers consume their work and controllers
//! the chains they drive: a slot is taken before a message, so while every slot is busy the
//! work stays on the bus (where another consumer of the group may take it).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::bus::{BusConsumer, Delivery};

/// Hands each message of `consumer` to `handle`, on a task of its own, with at most `slots`
/// handled at once. Returns once the bus is closed and drained and every handler has finished.
/// A failed read is retried after a pause that doubles up to 5 s; `what` names the topic in
/// the warning.
pub async fn bounded<F, Fut>(mut consumer: Box<dyn BusConsumer>, slots: usize, what: &str, handle: F)
where
    F: Fn(Delivery) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = slots.max(1);
    let free = Arc::new(Semaphore::new(slots));
    let mut backoff = Duration::from_millis(50);
    loop {
        let Ok(permit) = free.clone().acquire_owned().await else { break };
        match consumer.next().await {
            Ok(Some(delivery)) => {
                backoff = Duration::from_millis(50);
                let work = handle(delivery);
                tokio::spawn(async move {
                    work.await;
                    drop(permit);
                });
            }
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "Reading {what} failed; retrying.");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    let _all = free.acquire_many(slots as u32).await;
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::bus::{InProcessBus, MessageBus};
    use crate::messages::{BusMessage, InvokerId, PingMessage};
    use crate::topic::Topic;

    #[tokio::test]
    async fn every_message_is_handled_with_no_more_than_the_slots_at_once() {
        let bus = InProcessBus::new();
        let topic = Topic::other("work");
        let consumer = bus.subscribe(&topic, "g").await.unwrap();
        for i in 0..20 {
            let ping = PingMessage { invoker: InvokerId(i), user_memory_mb: 0, enabled: true };
            bus.publish(&topic, BusMessage::Ping(ping)).await.unwrap();
        }
        bus.close();
        let (running, most, done) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        bounded(consumer, 3, "work", |d| {
            let (running, most, done) = (running.clone(), most.clone(), done.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::task::yield_now().await;
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
                d.receipt.commit();
            }
        })
        .await;
        assert_eq!(done.load(Ordering::SeqCst), 20, "every message, and all finished on return");
        assert!(most.load(Ordering::SeqCst) <= 3, "at most three at once");
    }
}
