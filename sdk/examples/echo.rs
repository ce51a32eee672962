//! `echo`: returns its parameters (a JSON object) unchanged.

use std::convert::Infallible;

use serde_json::{Map, Value};

fn echo(params: Map<String, Value>) -> Result<Map<String, Value>, Infallible> {
    Ok(params)
}

gust_sdk::action!(echo);
