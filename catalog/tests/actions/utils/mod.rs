//! `/whisk.system/utils`, one file per action.

mod cat;
mod date;
mod echo;
mod head;
mod hosturl;
mod namespace;
mod smash;
mod sort;
mod split;
