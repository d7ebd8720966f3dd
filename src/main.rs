//! The `gw-provision` binary: everything lives in the library; see `gw_provision::cli::main`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    gw_provision::cli::main()
}
