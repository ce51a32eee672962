//! `/whisk.system/utils/echo`: returns its parameters unchanged.

use std::convert::Infallible;

use gust_catalog_actions::params::Params;

fn echo(params: Params) -> Result<Params, Infallible> {
    Ok(params)
}

gust_sdk::action!(echo);
