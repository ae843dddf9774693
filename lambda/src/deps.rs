//! What every invocation borrows, built once per process: the AWS clients (with one shared
//! API-call counter), the validated configuration, the clock and the metrics sink.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use jwks_rotation_core::{Clock, RotationConfig};

/// Counts AWS API requests (every attempt, retries included) of the clients it is attached to.
/// For fault-injection tests it can also refuse every request after a given count, which is what
/// a process killed after that many calls leaves behind.
#[derive(Debug, Clone)]
pub struct ApiCallCounter(Arc<AtomicU64>, Arc<AtomicU64>);

impl Default for ApiCallCounter {
    fn default() -> Self {
        ApiCallCounter(
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(u64::MAX)),
        )
    }
}

impl ApiCallCounter {
    /// Requests sent so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Refuses every request once `total` requests have been sent (None: never). Tests only.
    pub fn stop_after(&self, total: Option<u64>) {
        self.1.store(total.unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

impl Intercept for ApiCallCounter {
    fn name(&self) -> &'static str {
        "ApiCallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.0.load(Ordering::Relaxed) >= self.1.load(Ordering::Relaxed) {
            return Err("fault injection: the process was stopped before this call".into());
        }
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Where Embedded Metric Format lines go.
#[derive(Debug, Clone)]
pub enum MetricsSink {
    /// Standard output, where the Lambda service picks them up.
    Stdout,
    /// Kept in memory (for callers that inspect the metrics, such as tests and benchmarks).
    Memory(Arc<Mutex<Vec<String>>>),
}

impl MetricsSink {
    /// Writes one EMF line.
    pub fn emit(&self, line: &str) {
        match self {
            MetricsSink::Stdout => println!("{line}"),
            MetricsSink::Memory(lines) => lines
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(line.to_string()),
        }
    }
}

/// Dependencies of every step.
pub struct Deps {
    /// Secrets Manager client.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// S3 client.
    pub s3: aws_sdk_s3::Client,
    /// The rotation configuration.
    pub config: RotationConfig,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// AWS API calls made by both clients.
    pub api_calls: ApiCallCounter,
    /// Where metrics go.
    pub metrics: MetricsSink,
}

impl Deps {
    /// Builds both clients from one SDK configuration. `path_style` selects S3 path-style
    /// addressing, needed for local endpoints (`AWS_ENDPOINT_URL`).
    pub fn new(
        sdk: &aws_config::SdkConfig,
        path_style: bool,
        config: RotationConfig,
        clock: Arc<dyn Clock>,
        metrics: MetricsSink,
    ) -> Deps {
        let api_calls = ApiCallCounter::default();
        let secrets = aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(sdk)
                .interceptor(api_calls.clone())
                .build(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(path_style)
                .interceptor(api_calls.clone())
                .build(),
        );
        Deps {
            secrets,
            s3,
            config,
            clock,
            api_calls,
            metrics,
        }
    }
}

impl Deps {
    /// The clock's instant, truncated to whole seconds (the registry's resolution), so a state
    /// read back compares equal to the state written.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let now = self.clock.now();
        chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
    }
}
