//! The JavaScript semantics the catalog's actions mirror, on JSON values: truthiness,
//! `String(value)`, `Array.prototype.join`, the default order of `Array.prototype.sort` and
//! `Number(value)`.

mod number;
mod value;

pub use number::{number_to_string, string_to_number, to_integer, to_number};
pub use value::{compare_utf16, join, to_string, truthy};
