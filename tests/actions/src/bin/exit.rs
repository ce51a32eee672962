//! `exit`: writes nothing to stdout and exits with status 3, without the SDK. The host must
//! report a developer error (no result, non-zero exit).

fn main() {
    std::process::exit(3);
}
