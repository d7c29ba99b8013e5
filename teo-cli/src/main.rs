//! `teo`: a tccli-compatible command line for Tencent Cloud EdgeOne. See `teo help`.

fn main() -> std::process::ExitCode {
    teo_cli::run(std::env::args_os().skip(1))
}
