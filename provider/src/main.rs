//! `pulumi-resource-jwks-rotation`: the Pulumi component provider plugin for jwks-rotation.
//! Launched by the engine with its address as argument, it listens on a loopback port, prints
//! that port as its only stdout line, and serves the `ResourceProvider` gRPC service until
//! SIGINT (or SIGTERM).

mod archive;
mod args;
mod cli;
mod error;
mod graph;
mod monitor;
mod schema;
mod server;
mod wire;

use std::io::Write;

use anyhow::Context;
use pulumi_gestalt_proto::pulumi::pulumirpc::resource_provider_server::ResourceProviderServer;
use tokio_stream::wrappers::TcpListenerStream;

/// Largest gRPC message, as the engine allows.
const MAX_MESSAGE_BYTES: usize = 400 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    let cli = cli::parse(std::env::args().skip(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(cli))
}

async fn serve(cli: cli::Cli) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("listening on 127.0.0.1")?;
    let port = listener.local_addr().context("reading the port")?.port();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{port}").context("printing the port")?;
        out.flush().context("printing the port")?;
    }
    let zip_root = archive::cache_root(|k| std::env::var(k).ok());
    let provider = server::Provider::new(cli.engine_address, zip_root);
    tonic::transport::Server::builder()
        .add_service(
            ResourceProviderServer::new(provider)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown())
        .await
        .context("serving gRPC")
}

/// Resolves on SIGINT (what the engine sends) or SIGTERM.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
