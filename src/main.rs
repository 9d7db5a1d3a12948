fn main() -> std::process::ExitCode {
    claimaudit::cli::main()
}
