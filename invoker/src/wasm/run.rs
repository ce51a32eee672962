//! One activation of a Wasm action: a fresh store and instance, JSON in on stdin, JSON out on
//! stdout, stderr as logs, the timeout by epoch, the memory limit by the store's limiter.

use std::time::{Duration, Instant};

use gust_core::activation::{ActivationResponse, ActivationStatus};
use wasmtime::{Engine, InstancePre, ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use super::engine::EPOCH_TICK;
use super::pipes::{LogPipe, ResultPipe};
use crate::classify::{MAX_RESULT_BYTES, classify_output, messages};
use crate::executor::Leftovers;

/// Per-store state: WASI, the memory limiter, and whether the deadline hit.
pub(crate) struct ActState {
    pub(crate) wasi: WasiP1Ctx,
    limits: MemoryLimits,
    timed_out: bool,
}

/// Refuses memory growth past the action's limit and remembers that it did.
struct MemoryLimits {
    max: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryLimits {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// What one run needs.
pub(crate) struct WasmRun<'a> {
    /// Parameters, serialized.
    pub(crate) stdin: Vec<u8>,
    /// `__OW_*` variables and init parameters.
    pub(crate) env: &'a [(String, String)],
    /// argv[0].
    pub(crate) name: &'a str,
    /// Time limit.
    pub(crate) timeout: Duration,
    /// Memory limit, bytes.
    pub(crate) memory_bytes: u64,
    /// Log limit, bytes.
    pub(crate) log_bytes: u64,
}

/// What came out of one run.
pub(crate) struct WasmOutcome {
    pub(crate) response: ActivationResponse,
    pub(crate) logs: Vec<String>,
    pub(crate) timed_out: bool,
    /// The store, released when dropped (after the caller has its answer).
    pub(crate) leftovers: Leftovers,
}

/// How the guest stopped.
enum Exit {
    /// `_start` returned, or `proc_exit(0)`.
    Normal,
    /// `proc_exit(n)` with n != 0.
    Code(i32),
    /// The time limit hit.
    Timeout,
    /// Memory growth past the limit was refused (and the guest then failed).
    OutOfMemory,
    /// Any other trap, with its description.
    Trap(String),
}

/// Runs one activation on `pre`. Never fails: every failure is an activation outcome.
pub(crate) async fn run(engine: &Engine, pre: &InstancePre<ActState>, req: WasmRun<'_>) -> WasmOutcome {
    let stdout = ResultPipe::new(MAX_RESULT_BYTES + 1);
    let stderr = LogPipe::new("stderr", req.log_bytes);
    let wasi = WasiCtxBuilder::new()
        .stdin(MemoryInputPipe::new(req.stdin))
        .stdout(stdout.stream())
        .stderr(stderr.stream())
        .envs(req.env)
        .arg(req.name)
        .build_p1();
    let limits = MemoryLimits { max: req.memory_bytes as usize, hit: false };
    let mut store = Store::new(engine, ActState { wasi, limits, timed_out: false });
    store.limiter(|s| &mut s.limits);
    let deadline = Instant::now() + req.timeout;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut ctx| {
        if Instant::now() >= deadline {
            ctx.data_mut().timed_out = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        // Let other activations run on this worker thread, then check again next tick.
        Ok(UpdateDeadline::Yield(1))
    });

    let call = async {
        let instance = pre.instantiate_async(&mut store).await?;
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        start.call_async(&mut store, ()).await
    };
    // The epoch only interrupts running wasm; a guest blocked in a host call (a sleep) is
    // stopped by this outer timer, with a little slack so the epoch wins when both apply.
    let slack = EPOCH_TICK * 3;
    let result = tokio::time::timeout(req.timeout + slack, call).await;

    let exit = match result {
        Err(_elapsed) => Exit::Timeout,
        Ok(Ok(())) => Exit::Normal,
        Ok(Err(e)) => {
            let st = store.data();
            if st.timed_out {
                Exit::Timeout
            } else if st.limits.hit {
                Exit::OutOfMemory
            } else if let Some(code) = e.downcast_ref::<I32Exit>() {
                if code.0 == 0 { Exit::Normal } else { Exit::Code(code.0) }
            } else if let Some(trap) = e.downcast_ref::<Trap>() {
                Exit::Trap(trap.to_string())
            } else {
                Exit::Trap(e.root_cause().to_string())
            }
        }
    };
    // The pipes are read while the store lives on: its teardown waits until the caller is answered.
    let leftovers = Leftovers::new(store);

    let (out, total) = stdout.take();
    let mut logs = stderr.take();
    let timed_out = matches!(exit, Exit::Timeout);
    let response = match exit {
        Exit::Timeout => ActivationResponse::error(
            ActivationStatus::DeveloperError,
            messages::timeout(req.timeout.as_millis() as u64),
        ),
        Exit::OutOfMemory => ActivationResponse::error(ActivationStatus::DeveloperError, messages::OUT_OF_MEMORY),
        Exit::Trap(what) => {
            ActivationResponse::error(ActivationStatus::DeveloperError, messages::trapped(&first_line(&what)))
        }
        Exit::Normal => classify_output(&out, total, MAX_RESULT_BYTES, &mut logs),
        Exit::Code(code) => {
            if out.iter().all(u8::is_ascii_whitespace) {
                ActivationResponse::error(ActivationStatus::DeveloperError, messages::exited(code))
            } else {
                classify_output(&out, total, MAX_RESULT_BYTES, &mut logs)
            }
        }
    };
    WasmOutcome { response, logs, timed_out, leftovers }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_owned()
}
