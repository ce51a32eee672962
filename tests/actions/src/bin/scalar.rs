//! `scalar`: prints `42` to stdout (valid JSON, but not an object) and exits with status 0,
//! without the SDK. The host must report that the result is not a JSON object (developer error).

fn main() {
    println!("42");
}
