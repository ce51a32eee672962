//! `spin`: reads its parameters, then busy-loops forever. The host must stop it at the
//! action's timeout and report a timeout (developer error), with no result.

use std::convert::Infallible;
use std::hint::black_box;

use gust_sdk::serde::de::IgnoredAny;
use serde_json::Value;

fn spin(_params: IgnoredAny) -> Result<Value, Infallible> {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

gust_sdk::action!(spin);
