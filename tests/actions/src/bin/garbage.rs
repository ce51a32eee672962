//! `garbage`: prints `this is not JSON` to stdout and exits with status 0, without the SDK.
//! The host must report an invalid result (developer error), not success.

fn main() {
    println!("this is not JSON");
}
