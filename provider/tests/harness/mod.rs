//! An engine stand-in: a fake ResourceMonitor and Engine (gRPC servers on a loopback port) that
//! record every registration and answer with realistic outputs (or unknowns in preview), and a
//! launcher that starts the real provider binary the way the engine does.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prost_types::{ListValue, Struct, Value, value::Kind};
use pulumi_gestalt_proto::pulumi::pulumirpc::{
    CallResponse, Callback, ConstructRequest, ConstructResponse, GetRootResourceRequest,
    GetRootResourceResponse, InvokeResponse, LogRequest, ReadResourceRequest, ReadResourceResponse,
    RegisterErrorHookRequest, RegisterPackageRequest, RegisterPackageResponse,
    RegisterResourceHookRequest, RegisterResourceOutputsRequest, RegisterResourceRequest,
    RegisterResourceResponse, RequirePulumiVersionRequest, RequirePulumiVersionResponse,
    ResourceCallRequest, ResourceInvokeRequest, SetRootResourceRequest, SetRootResourceResponse,
    StartDebuggingRequest, SupportsFeatureRequest, SupportsFeatureResponse,
    engine_server::{Engine, EngineServer},
    resource_monitor_server::{ResourceMonitor, ResourceMonitorServer},
    resource_provider_client::ResourceProviderClient,
};
use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// Path of the provider binary under test (set by cargo for integration tests; the benchmark
/// passes the release binary explicitly).
pub const BINARY: Option<&str> = option_env!("CARGO_BIN_EXE_pulumi-resource-jwks-rotation");

/// The binary integration tests launch.
pub fn test_binary() -> &'static str {
    BINARY.expect("CARGO_BIN_EXE_pulumi-resource-jwks-rotation is set for integration tests")
}
/// Component type token.
pub const COMPONENT: &str = "jwks-rotation:index:JwksRotation";
/// URN of the stack the component is created in.
pub const STACK_URN: &str = "urn:pulumi:test::proj::pulumi:pulumi:Stack::proj-test";
/// Signature key of special objects.
pub const SIG: &str = "4dabf18193072939515e22adb298388d";
/// Secret signature.
pub const SECRET_SIG: &str = "1b47061264138c4ac30d75fd1eb44270";
/// Archive signature.
pub const ARCHIVE_SIG: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
/// Resource reference signature.
pub const RESOURCE_SIG: &str = "5cf8f73096256a8f31e491e813e4eb8e";
/// Unknown string sentinel.
pub const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

// ---------- JSON <-> protobuf Struct ----------

/// JSON to a wire value.
pub fn to_value(j: &Json) -> Value {
    let kind = match j {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(a) => Kind::ListValue(ListValue {
            values: a.iter().map(to_value).collect(),
        }),
        Json::Object(o) => Kind::StructValue(to_struct(&Json::Object(o.clone()))),
    };
    Value { kind: Some(kind) }
}

/// A JSON object to a Struct.
pub fn to_struct(j: &Json) -> Struct {
    Struct {
        fields: j
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
            .unwrap_or_default(),
    }
}

/// A wire value to JSON (special objects stay objects with their signature key).
pub fn to_json(v: &Value) -> Json {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::NumberValue(n)) => json!(n),
        Some(Kind::StringValue(s)) => Json::String(s.clone()),
        Some(Kind::ListValue(l)) => Json::Array(l.values.iter().map(to_json).collect()),
        Some(Kind::StructValue(s)) => struct_json(s),
    }
}

/// A Struct to a JSON object.
pub fn struct_json(s: &Struct) -> Json {
    Json::Object(
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), to_json(v)))
            .collect(),
    )
}

/// Removes secret wrappers (recursively), returning the plain JSON.
pub fn reveal(j: &Json) -> Json {
    match j {
        Json::Object(o) if o.get(SIG).and_then(Json::as_str) == Some(SECRET_SIG) => {
            reveal(o.get("value").unwrap_or(&Json::Null))
        }
        Json::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), reveal(v))).collect()),
        Json::Array(a) => Json::Array(a.iter().map(reveal).collect()),
        other => other.clone(),
    }
}

/// Whether a JSON value is a secret wrapper.
pub fn is_secret(j: &Json) -> bool {
    j.get(SIG).and_then(Json::as_str) == Some(SECRET_SIG)
}

// ---------- the recording monitor ----------

/// One recorded `RegisterResource`.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The request as sent.
    pub request: RegisterResourceRequest,
    /// The URN given back.
    pub urn: String,
    /// Inputs as JSON.
    pub inputs: Json,
}

impl Registration {
    /// Input `key` with secrets revealed.
    pub fn input(&self, key: &str) -> Json {
        reveal(self.inputs.get(key).unwrap_or(&Json::Null))
    }
    /// The raw input (secret wrappers kept).
    pub fn raw(&self, key: &str) -> Json {
        self.inputs.get(key).cloned().unwrap_or(Json::Null)
    }
    /// Input `key` parsed as a JSON document (policies).
    pub fn document(&self, key: &str) -> Json {
        self.input(key)
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Json::Null)
    }
}

/// What the monitor saw.
#[derive(Debug, Default)]
pub struct Record {
    /// RegisterResource calls in arrival order.
    pub registrations: Vec<Registration>,
    /// RegisterResourceOutputs calls.
    pub outputs: Vec<RegisterResourceOutputsRequest>,
    /// Log messages sent to the engine.
    pub logs: Vec<LogRequest>,
}

/// The fake monitor and engine.
#[derive(Clone)]
pub struct FakeEngine {
    /// Recorded calls.
    pub record: Arc<Mutex<Record>>,
    /// Whether registrations answer as in a preview (unknown computed outputs).
    pub preview: bool,
}

fn urn_for(parent: &str, ty: &str, name: &str) -> String {
    let chain = parent
        .split("::")
        .nth(2)
        .filter(|_| !parent.is_empty())
        .map(|p| format!("{p}${ty}"))
        .unwrap_or_else(|| ty.to_string());
    format!("urn:pulumi:test::proj::{chain}::{name}")
}

/// Physical names the aws provider would give autonamed resources.
fn physical_name(name: &str) -> String {
    format!("{name}-a1b2c3d")
}

/// The computed outputs pulumi-aws returns for a type, given the inputs.
fn computed(
    ty: &str,
    name: &str,
    inputs: &serde_json::Map<String, Json>,
) -> BTreeMap<String, Json> {
    let given = |k: &str| {
        inputs
            .get(k)
            .map(reveal)
            .and_then(|v| v.as_str().map(String::from))
    };
    let phys = given("name").unwrap_or_else(|| physical_name(name));
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), Json::String(v));
    };
    match ty {
        "aws:s3/bucket:Bucket" => {
            let b = given("bucket").unwrap_or_else(|| physical_name(name).to_lowercase());
            put("id", b.clone());
            put("arn", format!("arn:aws:s3:::{b}"));
            put(
                "bucketRegionalDomainName",
                format!("{b}.s3.{REGION}.amazonaws.com"),
            );
            put("bucketDomainName", format!("{b}.s3.amazonaws.com"));
            put("bucket", b);
        }
        "aws:secretsmanager/secret:Secret" => {
            let arn = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{phys}-AbCdEf");
            put("id", arn.clone());
            put("arn", arn);
            put("name", phys);
        }
        "aws:lambda/function:Function" => {
            put("id", phys.clone());
            put(
                "arn",
                format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{phys}"),
            );
            put(
                "invokeArn",
                format!("arn:aws:apigateway:{REGION}:lambda:path/functions/x"),
            );
            put("name", phys);
        }
        "aws:iam/role:Role" => {
            put("id", phys.clone());
            put("arn", format!("arn:aws:iam::{ACCOUNT}:role/{phys}"));
            put("name", phys);
        }
        "aws:cloudwatch/logGroup:LogGroup" => {
            put("id", phys.clone());
            put(
                "arn",
                format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{phys}"),
            );
            put("name", phys);
        }
        "aws:cloudwatch/eventRule:EventRule" => {
            put("id", phys.clone());
            put(
                "arn",
                format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{phys}"),
            );
            put("name", phys);
        }
        "aws:cloudfront/distribution:Distribution" => {
            put("id", "E1DISTRIBUTION".into());
            put(
                "arn",
                format!("arn:aws:cloudfront::{ACCOUNT}:distribution/E1DISTRIBUTION"),
            );
            put("domainName", "d111111abcdef8.cloudfront.net".into());
        }
        "aws:cloudfront/originAccessControl:OriginAccessControl" => {
            put("id", "E2OAC".into());
        }
        "aws:cloudwatch/metricAlarm:MetricAlarm" => {
            put("id", phys.clone());
            put(
                "arn",
                format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{phys}"),
            );
        }
        _ => put("id", phys),
    }
    out
}

#[tonic::async_trait]
impl ResourceMonitor for FakeEngine {
    async fn supports_feature(
        &self,
        _: Request<SupportsFeatureRequest>,
    ) -> Result<Response<SupportsFeatureResponse>, Status> {
        Ok(Response::new(SupportsFeatureResponse { has_support: true }))
    }
    async fn invoke(
        &self,
        _: Request<ResourceInvokeRequest>,
    ) -> Result<Response<InvokeResponse>, Status> {
        Err(Status::unimplemented("invoke"))
    }
    async fn call(
        &self,
        _: Request<ResourceCallRequest>,
    ) -> Result<Response<CallResponse>, Status> {
        Err(Status::unimplemented("call"))
    }
    async fn read_resource(
        &self,
        _: Request<ReadResourceRequest>,
    ) -> Result<Response<ReadResourceResponse>, Status> {
        Err(Status::unimplemented("read_resource"))
    }
    async fn register_resource(
        &self,
        request: Request<RegisterResourceRequest>,
    ) -> Result<Response<RegisterResourceResponse>, Status> {
        let req = request.into_inner();
        let urn = urn_for(&req.parent, &req.r#type, &req.name);
        let inputs = struct_json(&req.object.clone().unwrap_or_default());
        let mut outputs = inputs.as_object().cloned().unwrap_or_default();
        let mut id = String::new();
        if req.custom {
            for (k, v) in computed(&req.r#type, &req.name, &outputs.clone()) {
                if k == "id" {
                    id = v.as_str().unwrap_or_default().to_string();
                    continue;
                }
                if !outputs.contains_key(&k) {
                    outputs.insert(k, if self.preview { json!(UNKNOWN) } else { v });
                }
            }
            if self.preview {
                id.clear();
            }
        }
        self.record
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .registrations
            .push(Registration {
                request: req,
                urn: urn.clone(),
                inputs,
            });
        Ok(Response::new(RegisterResourceResponse {
            urn,
            id,
            object: Some(to_struct(&Json::Object(outputs))),
            ..Default::default()
        }))
    }
    async fn register_resource_outputs(
        &self,
        request: Request<RegisterResourceOutputsRequest>,
    ) -> Result<Response<()>, Status> {
        self.record
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .outputs
            .push(request.into_inner());
        Ok(Response::new(()))
    }
    async fn register_stack_transform(&self, _: Request<Callback>) -> Result<Response<()>, Status> {
        Err(Status::unimplemented("transforms"))
    }
    async fn register_stack_invoke_transform(
        &self,
        _: Request<Callback>,
    ) -> Result<Response<()>, Status> {
        Err(Status::unimplemented("transforms"))
    }
    async fn register_resource_hook(
        &self,
        _: Request<RegisterResourceHookRequest>,
    ) -> Result<Response<()>, Status> {
        Err(Status::unimplemented("hooks"))
    }
    async fn register_error_hook(
        &self,
        _: Request<RegisterErrorHookRequest>,
    ) -> Result<Response<()>, Status> {
        Err(Status::unimplemented("hooks"))
    }
    async fn register_package(
        &self,
        _: Request<RegisterPackageRequest>,
    ) -> Result<Response<RegisterPackageResponse>, Status> {
        Err(Status::unimplemented("packages"))
    }
    async fn signal_and_wait_for_shutdown(&self, _: Request<()>) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }
}

#[tonic::async_trait]
impl Engine for FakeEngine {
    async fn log(&self, request: Request<LogRequest>) -> Result<Response<()>, Status> {
        self.record
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .logs
            .push(request.into_inner());
        Ok(Response::new(()))
    }
    async fn get_root_resource(
        &self,
        _: Request<GetRootResourceRequest>,
    ) -> Result<Response<GetRootResourceResponse>, Status> {
        Ok(Response::new(GetRootResourceResponse {
            urn: STACK_URN.into(),
        }))
    }
    async fn set_root_resource(
        &self,
        _: Request<SetRootResourceRequest>,
    ) -> Result<Response<SetRootResourceResponse>, Status> {
        Ok(Response::new(SetRootResourceResponse {}))
    }
    async fn start_debugging(
        &self,
        _: Request<StartDebuggingRequest>,
    ) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }
    async fn require_pulumi_version(
        &self,
        _: Request<RequirePulumiVersionRequest>,
    ) -> Result<Response<RequirePulumiVersionResponse>, Status> {
        Ok(Response::new(RequirePulumiVersionResponse {}))
    }
}

/// A running engine stand-in with the provider launched against it.
pub struct Harness {
    /// The fake engine's state.
    pub engine: FakeEngine,
    /// `host:port` of the monitor and engine services.
    pub address: String,
    /// The provider process.
    pub plugin: Child,
    /// A client of the provider.
    pub client: ResourceProviderClient<Channel>,
    /// Time from spawning the binary to reading its port line.
    pub launch_time: Duration,
    /// The port line.
    pub port_line: String,
}

/// Starts the fake monitor/engine services on a loopback port.
pub async fn start_engine(preview: bool) -> (FakeEngine, String) {
    let engine = FakeEngine {
        record: Arc::new(Mutex::new(Record::default())),
        preview,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the fake engine");
    let address = listener.local_addr().expect("local address").to_string();
    let svc = engine.clone();
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(ResourceMonitorServer::new(svc.clone()))
            .add_service(EngineServer::new(svc))
            .serve_with_incoming(
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            )
            .await;
    });
    (engine, address)
}

/// Launches the test binary with `args` and reads its first stdout line.
pub async fn launch(args: &[&str], env: &[(&str, &str)]) -> (Child, String, Duration) {
    launch_binary(test_binary(), args, env).await
}

/// Launches `binary` with `args` and reads its first stdout line, timing it.
pub async fn launch_binary(
    binary: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, String, Duration) {
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn the provider");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next_line()
        .await
        .expect("read the port line")
        .expect("the provider printed a line");
    let elapsed = started.elapsed();
    // Keep reading stdout so that any further line is noticed by tests that care.
    child.stdout = None;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, line, elapsed)
}

impl Harness {
    /// Starts the engine stand-in and launches the provider with the engine address.
    pub async fn start(preview: bool) -> Harness {
        Self::start_with_env(preview, &[]).await
    }

    /// Like [`Harness::start`], with extra environment variables for the provider.
    pub async fn start_with_env(preview: bool, env: &[(&str, &str)]) -> Harness {
        Self::start_binary(test_binary(), preview, env).await
    }

    /// Starts the engine stand-in and launches `binary` against it.
    pub async fn start_binary(binary: &str, preview: bool, env: &[(&str, &str)]) -> Harness {
        let (engine, address) = start_engine(preview).await;
        // Keep the archive cache out of the user's home unless a test picks its own.
        let default_cache = std::env::temp_dir().join("jwks-provider-tests-cache");
        let default_cache = default_cache.display().to_string();
        let mut env: Vec<(&str, &str)> = env.to_vec();
        if !env.iter().any(|(k, _)| *k == "XDG_CACHE_HOME") {
            env.push(("XDG_CACHE_HOME", &default_cache));
        }
        let (plugin, port_line, launch_time) = launch_binary(binary, &[&address], &env).await;
        let port: u16 = port_line.trim().parse().expect("the port line is a port");
        let client = ResourceProviderClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect to the provider");
        Harness {
            engine,
            address,
            plugin,
            client,
            launch_time,
            port_line,
        }
    }

    /// A Construct request for the component named `name` with JSON inputs.
    pub fn request(&self, name: &str, inputs: Json) -> ConstructRequest {
        ConstructRequest {
            project: "proj".into(),
            stack: "test".into(),
            dry_run: self.engine.preview,
            parallel: 4,
            monitor_endpoint: self.address.clone(),
            r#type: COMPONENT.into(),
            name: name.into(),
            parent: STACK_URN.into(),
            inputs: Some(to_struct(&inputs)),
            accepts_output_values: true,
            ..Default::default()
        }
    }

    /// Sends a Construct request.
    pub async fn construct_request(
        &mut self,
        req: ConstructRequest,
    ) -> Result<ConstructResponse, Status> {
        self.client.construct(req).await.map(|r| r.into_inner())
    }

    /// Constructs `name` with JSON inputs.
    pub async fn construct(
        &mut self,
        name: &str,
        inputs: Json,
    ) -> Result<ConstructResponse, Status> {
        let req = self.request(name, inputs);
        self.construct_request(req).await
    }

    /// Every registration so far.
    pub fn registrations(&self) -> Vec<Registration> {
        self.engine
            .record
            .lock()
            .map(|r| r.registrations.clone())
            .unwrap_or_default()
    }

    /// Every RegisterResourceOutputs so far.
    pub fn outputs(&self) -> Vec<RegisterResourceOutputsRequest> {
        self.engine
            .record
            .lock()
            .map(|r| r.outputs.clone())
            .unwrap_or_default()
    }

    /// Every log message the provider sent the engine so far.
    pub fn logs(&self) -> Vec<LogRequest> {
        self.engine
            .record
            .lock()
            .map(|r| r.logs.clone())
            .unwrap_or_default()
    }

    /// Clears the record.
    pub fn clear(&self) {
        if let Ok(mut r) = self.engine.record.lock() {
            *r = Record::default();
        }
    }
}

/// Registrations of one type.
pub fn of_type<'a>(regs: &'a [Registration], ty: &str) -> Vec<&'a Registration> {
    regs.iter().filter(|r| r.request.r#type == ty).collect()
}

/// The single registration of a type.
pub fn one<'a>(regs: &'a [Registration], ty: &str) -> &'a Registration {
    let found = of_type(regs, ty);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {ty}, got {}",
        found.len()
    );
    found[0]
}

/// Minimal valid inputs.
pub fn minimal() -> Json {
    json!({
        "secretName": "my-jwks-secret",
        "keySpec": {"algorithm": "RS256"},
        "maxTokenValidityDuration": "1h"
    })
}

/// `minimal()` with fields replaced or added.
pub fn with(patch: Json) -> Json {
    let mut base = minimal();
    if let (Some(b), Some(p)) = (base.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            if v.is_null() {
                b.remove(k);
            } else {
                b.insert(k.clone(), v.clone());
            }
        }
    }
    base
}

// ---------- pulumi-aws input fixture ----------

/// The pulumi-aws input fixture.
pub fn fixture() -> Json {
    let text = include_str!("../fixtures/pulumi-aws-inputs.json");
    serde_json::from_str(text).expect("fixture is JSON")
}

/// The nested type a declared input type refers to, if it is an object type of the fixture.
fn nested_type<'a>(fixture: &'a Json, declared: &str) -> Option<(&'a Json, bool)> {
    for alt in declared.split('|').map(str::trim) {
        let (name, is_list) = match alt.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (alt, false),
        };
        if let Some(t) = fixture["types"].get(name) {
            return Some((t, is_list));
        }
    }
    None
}

fn check_object(fixture: &Json, what: &str, ty: &Json, value: &Json, problems: &mut Vec<String>) {
    let value = reveal(value);
    let Some(obj) = value.as_object() else {
        return; // unknown sentinel or a JSON string policy
    };
    if obj.contains_key(SIG) {
        return;
    }
    let fields: Vec<&str> = ty["fields"]
        .as_array()
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    for key in obj.keys() {
        if !fields.contains(&key.as_str()) {
            problems.push(format!(
                "{what}: unknown field `{key}` (accepted: {fields:?})"
            ));
        }
    }
    for req in ty["required"].as_array().into_iter().flatten() {
        let req = req.as_str().unwrap_or_default();
        if !obj.contains_key(req) {
            problems.push(format!("{what}: missing required field `{req}`"));
        }
    }
    for (key, v) in obj {
        if let Some(decl) = ty["fieldTypes"][key].as_str() {
            check_value(fixture, &format!("{what}.{key}"), decl, v, problems);
        }
    }
}

fn check_value(
    fixture: &Json,
    what: &str,
    declared: &str,
    value: &Json,
    problems: &mut Vec<String>,
) {
    let Some((ty, is_list)) = nested_type(fixture, declared) else {
        return;
    };
    let value = reveal(value);
    if is_list {
        for (i, item) in value.as_array().into_iter().flatten().enumerate() {
            check_object(fixture, &format!("{what}[{i}]"), ty, item, problems);
        }
    } else {
        check_object(fixture, what, ty, &value, problems);
    }
}

/// Checks a registration against pulumi-aws: known, non-deprecated token (no `...V2`), every
/// input accepted, required inputs present, nested object fields accepted and complete.
pub fn check_against_fixture(fixture: &Json, reg: &Registration) -> Vec<String> {
    let ty = reg.request.r#type.as_str();
    let mut problems = Vec::new();
    let Some(res) = fixture["resources"].get(ty) else {
        return vec![format!("{ty}: not a pulumi-aws type token")];
    };
    if !res["deprecated"].is_null() || ty.contains("V2:") {
        problems.push(format!("{ty}: deprecated token"));
    }
    let accepted: Vec<&str> = res["inputs"]
        .as_array()
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let inputs = reg.inputs.as_object().cloned().unwrap_or_default();
    for key in inputs.keys() {
        if !accepted.contains(&key.as_str()) {
            problems.push(format!("{ty} {}: unknown input `{key}`", reg.request.name));
        }
    }
    for req in res["required"].as_array().into_iter().flatten() {
        let req = req.as_str().unwrap_or_default();
        if !inputs.contains_key(req) {
            problems.push(format!(
                "{ty} {}: missing required input `{req}`",
                reg.request.name
            ));
        }
    }
    for (key, v) in &inputs {
        if let Some(decl) = res["inputTypes"][key].as_str() {
            check_value(fixture, &format!("{ty}.{key}"), decl, v, &mut problems);
        }
    }
    problems
}

/// Asserts every child registration is valid for pulumi-aws.
pub fn assert_valid_children(regs: &[Registration]) {
    let fx = fixture();
    let problems: Vec<String> = regs
        .iter()
        .filter(|r| r.request.custom)
        .flat_map(|r| check_against_fixture(&fx, r))
        .collect();
    assert!(
        problems.is_empty(),
        "invalid child registrations:\n{}",
        problems.join("\n")
    );
}

/// The set of (type, name) of the registrations.
pub fn shape(regs: &[Registration]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = regs
        .iter()
        .map(|r| (r.request.r#type.clone(), r.request.name.clone()))
        .collect();
    v.sort();
    v
}

/// The component's registered outputs as JSON.
pub fn outputs_json(h: &Harness) -> Json {
    h.outputs()
        .last()
        .map(|o| struct_json(&o.outputs.clone().unwrap_or_default()))
        .unwrap_or(Json::Null)
}

/// A map helper for the providers field.
pub fn providers(aws: &str) -> HashMap<String, String> {
    HashMap::from([("aws".to_string(), aws.to_string())])
}
