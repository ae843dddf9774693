//! `pulumi-resource-jwks-rotation`: the Pulumi component provider plugin for jwks-rotation.
//! Launched by the engine with its address as argument, it listens on a loopback port, prints
//! that port as its only stdout line, and serves the `ResourceProvider` gRPC service until
//! SIGINT (or SIGTERM).

mod archive;
mod args;
mod cli;
mod error;
mod graph;
mod liveness;
mod monitor;
mod schema;
mod server;
mod wire;

use std::io::Write;

use anyhow::Context;
use pulumi_gestalt_proto::pulumi::pulumirpc::resource_provider_server::ResourceProviderServer;
use tonic::transport::server::TcpIncoming;

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
    // Signal handlers are installed before the port is printed: the engine may interrupt the
    // plugin as soon as it knows the port.
    let shutdown = shutdown_signal().context("installing the signal handlers")?;
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
    let engine = cli.engine_address.clone();
    let provider = server::Provider::new(cli.engine_address, zip_root);
    let shutdown = async move {
        match engine {
            Some(address) => tokio::select! {
                _ = shutdown => {}
                _ = liveness::engine_gone(&address, liveness::ENGINE_CHECK_INTERVAL) => {
                    eprintln!("jwks-rotation: the engine at {address} is gone; exiting");
                }
            },
            None => shutdown.await,
        }
    };
    tonic::transport::Server::builder()
        .add_service(
            ResourceProviderServer::new(provider)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .context("serving gRPC")
}

/// A future resolving on SIGINT (what the engine sends) or SIGTERM; the handlers are
/// registered when this function returns.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future resolving on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
