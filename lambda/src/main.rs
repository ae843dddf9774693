//! `bootstrap`: the rotation Lambda. Reads its configuration from the environment once, builds
//! the AWS clients once (path-style S3 when `AWS_ENDPOINT_URL` points at a local endpoint), and
//! serves events through the Lambda Runtime API.

use std::sync::Arc;

use anyhow::Context as _;
use jwks_rotation_core::{RotationConfig, SystemClock};
use jwks_rotation_lambda::{Deps, MetricsSink, handle};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let config = match RotationConfig::from_lookup(|k| std::env::var(k).ok()) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(
                error_type = "InvalidConfiguration",
                "invalid configuration: {e}"
            );
            return Err(e).context("reading the rotation configuration from the environment");
        }
    };
    let path_style = std::env::var_os("AWS_ENDPOINT_URL").is_some();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deps = Deps::new(
        &sdk,
        path_style,
        config,
        Arc::new(SystemClock),
        MetricsSink::Stdout,
    );
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(deps, event.payload).await
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda runtime loop stopped")
}
