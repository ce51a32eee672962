//! `hog`: allocates 1 MiB chunks filled with non-zero bytes and keeps them all, forever. The
//! host must stop it at the action's memory limit and report that (developer error).
//!
//! Do not run the native build without a memory limit (e.g. `ulimit -v`).

use std::convert::Infallible;
use std::hint::black_box;

use gust_sdk::serde::de::IgnoredAny;
use serde_json::Value;

/// Bytes per chunk.
const CHUNK: usize = 1 << 20;

fn hog(_params: IgnoredAny) -> Result<Value, Infallible> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        chunks.push(vec![0xA5; CHUNK]);
        black_box(&mut chunks);
        if chunks.len().is_multiple_of(64) {
            gust_sdk::log!("hog: holding {} MiB", chunks.len());
        }
    }
}

gust_sdk::action!(hog);
