//! `hello`: `{name?: string}` → `{"greeting": "Hello, <name>!"}`, name defaulting to
//! `stranger`; logs `hello: greeting <name>` to stderr.

use std::convert::Infallible;

use serde::{Deserialize, Serialize};

/// The parameters: an optional name.
#[derive(Deserialize)]
struct Params {
    name: Option<String>,
}

/// The result.
#[derive(Serialize)]
struct Greeting {
    greeting: String,
}

fn hello(params: Params) -> Result<Greeting, Infallible> {
    let name = params.name.unwrap_or_else(|| "stranger".to_owned());
    gust_sdk::log!("hello: greeting {name}");
    Ok(Greeting { greeting: format!("Hello, {name}!") })
}

gust_sdk::action!(hello);
