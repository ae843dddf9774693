//! The command line the engine launches the plugin with:
//! `pulumi-resource-jwks-rotation [--logtostderr] [-v=N] [--tracing URL] [engine-address]`.
//! Unknown flags are tolerated; without an address the plugin runs in attach mode.

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cli {
    /// The engine's gRPC address, absent in attach mode.
    pub engine_address: Option<String>,
    /// `--tracing` endpoint, if given.
    pub tracing: Option<String>,
}

/// Flags that take their value as the next argument.
const FLAGS_WITH_VALUE: [&str; 2] = ["--tracing", "-tracing"];

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Cli {
    let mut cli = Cli::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if FLAGS_WITH_VALUE.contains(&arg.as_str()) {
            cli.tracing = it.next();
        } else if let Some(v) = arg
            .strip_prefix("--tracing=")
            .or_else(|| arg.strip_prefix("-tracing="))
        {
            cli.tracing = Some(v.to_string());
        } else if arg.starts_with('-') {
            // --logtostderr, -v=N, and flags of newer engines
        } else if cli.engine_address.is_none() {
            cli.engine_address = Some(arg);
        }
    }
    cli
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Cli {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn engine_address_with_and_without_flags() {
        assert_eq!(
            p(&["127.0.0.1:1234"]).engine_address.as_deref(),
            Some("127.0.0.1:1234")
        );
        let c = p(&[
            "--logtostderr",
            "-v=9",
            "--tracing",
            "http://t",
            "127.0.0.1:5",
        ]);
        assert_eq!(c.engine_address.as_deref(), Some("127.0.0.1:5"));
        assert_eq!(c.tracing.as_deref(), Some("http://t"));
        assert_eq!(p(&[]).engine_address, None);
        assert_eq!(p(&["--unknown-flag"]).engine_address, None);
    }
}
